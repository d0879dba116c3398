"""The barter matching engine (barter/matching.py): optimal against an independent LP, every rule of a
match kept, multi-party cycles and one-to-many lots found, cash limits binding, deals balanced.

Pure numpy: no database, no Django."""

import itertools
from dataclasses import replace

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from barter import matching
from barter.matching import Book, MatchInvariantError, check_match, match

# Categories
PAPER, PULP, BOARD, CHEMICALS = range(4)


@pytest.fixture(autouse=True)
def _fresh_catalog_cache():
    """The engine caches nothing: override the suite-wide catalogue cache bump so these tests
    need neither the database nor Redis."""


def make_book(cash_limits, haves=(), wants=()):
    """A book from plain numbers: haves (company, category, quantity in thousandths, unit value in
    fen), wants (company, category, budget in fen, maximum unit value in fen)."""
    have_rows = np.array(haves, dtype=np.int64).reshape(-1, 4)
    want_rows = np.array(wants, dtype=np.int64).reshape(-1, 4)
    return Book(
        cash_limit=np.array(cash_limits, dtype=np.int64),
        have_company=have_rows[:, 0], have_category=have_rows[:, 1],
        have_quantity=have_rows[:, 2], have_unit_value=have_rows[:, 3],
        want_company=want_rows[:, 0], want_category=want_rows[:, 1],
        want_budget=want_rows[:, 2], want_max_unit_value=want_rows[:, 3],
    )


def pair_lp_optimum(book: Book) -> int:
    """The most goods value by the straightforward LP, written independently of the engine: one
    variable per (have, want) that may trade and one cash variable per company."""
    pairs = [(h, w) for h, w in itertools.product(range(len(book.have_company)), range(len(book.want_company)))
             if book.have_category[h] == book.want_category[w]
             and book.have_company[h] != book.want_company[w]
             and book.have_unit_value[h] <= book.want_max_unit_value[w]]
    if not pairs:
        return 0
    companies, haves = book.companies, len(book.have_company)
    columns = len(pairs) + companies
    limit_rows, limit_columns, balance_rows, balance_columns, balance_values = [], [], [], [], []
    for column, (h, w) in enumerate(pairs):
        limit_rows += [h, haves + w]
        limit_columns += [column, column]
        balance_rows += [book.have_company[h], book.want_company[w]]
        balance_columns += [column, column]
        balance_values += [1, -1]
    for company in range(companies):  # goods given − goods received − cash received = 0
        balance_rows.append(company)
        balance_columns.append(len(pairs) + company)
        balance_values.append(-1)
    limits = coo_matrix((np.ones(len(limit_rows)), (limit_rows, limit_columns)),
                        shape=(haves + len(book.want_company), columns))
    balance = coo_matrix((balance_values, (balance_rows, balance_columns)), shape=(companies, columns))
    bounds = [(0, None)] * len(pairs) + [(-limit, limit) for limit in book.cash_limit.tolist()]
    result = linprog(np.r_[-np.ones(len(pairs)), np.zeros(companies)], A_ub=limits,
                     b_ub=np.r_[book.have_value, book.want_budget], A_eq=balance, b_eq=np.zeros(companies),
                     bounds=bounds, method="highs")
    assert result.status == 0, result.message
    return round(-result.fun)


def random_book(seed: int) -> Book:
    """A small book where companies offer in some categories and want in others; prices overlap
    enough that most such books trade, some with cash and some in rings."""
    rng = np.random.default_rng(seed)
    companies, categories = int(rng.integers(3, 9)), int(rng.integers(2, 5))
    offers = rng.random((companies, categories)) < 0.35
    haves, wants = [], []
    for _ in range(int(rng.integers(3, 16))):
        company, category = int(rng.integers(companies)), int(rng.integers(categories))
        offers[company, category] = True
        haves.append((company, category, int(rng.integers(1_000, 30_000)), int(rng.integers(100, 1_000))))
    wanted = np.argwhere(~offers)
    for _ in range(int(rng.integers(3, 16)) if len(wanted) else 0):
        company, category = wanted[rng.integers(len(wanted))]
        wants.append((int(company), int(category), int(rng.integers(0, 30_000)), int(rng.integers(300, 1_200))))
    cash_limits = np.where(rng.random(companies) < 0.4, 0, rng.integers(0, 10_000, companies))
    return make_book(cash_limits, haves, wants)


def companies_of_deal(book, result, deal):
    transfers = np.flatnonzero(result.transfer_deal == deal)
    givers = book.have_company[result.transfer_have[transfers]]
    takers = book.want_company[result.transfer_want[transfers]]
    return set(givers.tolist()) | set(takers.tolist())


@pytest.mark.parametrize("seed", range(30))
def test_match_moves_as_much_value_as_the_pair_lp_on_random_books(seed):
    book = random_book(seed)
    result = match(book)
    assert result.total_value == pair_lp_optimum(book)
    check_match(book, result)


@pytest.mark.parametrize("seed", range(30))
def test_every_deal_balances_on_its_own_within_cash_limits(seed):
    book = random_book(seed)
    result = match(book)
    for deal in range(result.deals):
        in_deal = result.transfer_deal == deal
        net = np.zeros(book.companies, np.int64)
        np.add.at(net, book.have_company[result.transfer_have[in_deal]], result.transfer_value[in_deal])
        np.add.at(net, book.want_company[result.transfer_want[in_deal]], -result.transfer_value[in_deal])
        settled = result.settlement_deal == deal
        cash = np.zeros(book.companies, np.int64)
        np.add.at(cash, result.settlement_company[settled], result.settlement_amount[settled])
        assert (net == cash).all()  # each company's goods given − received is its cash in the deal
        assert cash.sum() == 0
    # Over all deals a company's cash never exceeds its limit, counting payments and receipts alike.
    total_cash = np.zeros(book.companies, np.int64)
    np.add.at(total_cash, result.settlement_company, np.abs(result.settlement_amount))
    assert (total_cash <= book.cash_limit).all()


def test_three_party_cycle_is_found_as_one_deal():
    a, b, c = range(3)
    book = make_book(
        [0, 0, 0],
        haves=[(a, PAPER, 10_000, 500_00), (b, PULP, 20_000, 400_00), (c, BOARD, 5_000, 2_000_00)],
        wants=[(b, PAPER, 10_000_000_00, 600_00), (c, PULP, 10_000_000_00, 400_00),
               (a, BOARD, 10_000_000_00, 2_000_00)],
    )
    result = match(book)
    # Each company gives as much as it gets: ¥5,000 of paper, ¥8,000 of pulp, ¥10,000 of board
    # offered, so ¥5,000 goes round the ring with no cash.
    assert result.total_value == 3 * 5_000_00
    assert result.deals == 1
    assert companies_of_deal(book, result, 0) == {a, b, c}
    assert (result.cash == 0).all()
    pairs = zip(result.transfer_have.tolist(), result.transfer_want.tolist(), strict=True)
    assert sorted(pairs) == [(0, 0), (1, 1), (2, 2)]


def test_one_big_lot_is_spread_over_takers_who_each_give_goods_back():
    major, takers = 0, [1, 2, 3, 4]
    book = make_book(
        [0] * 5,
        haves=[(major, PAPER, 100_000, 1_000_00)]  # 100 t at ¥1,000: ¥100,000
        + [(taker, PULP, 50_000, 500_00) for taker in takers],  # ¥25,000 of pulp each
        wants=[(major, PULP, 100_000_00, 600_00)]
        + [(taker, PAPER, 25_000_00, 1_100_00) for taker in takers],
    )
    result = match(book)
    assert result.total_value == 2 * 100_000_00
    lot = result.transfer_have == 0
    assert sorted(book.want_company[result.transfer_want[lot]].tolist()) == takers
    assert (result.transfer_quantity[lot] == 25_000).all()  # 25 t each, and 100 t in all
    # Each taker swaps with the major client alone: four two-company deals.
    assert result.deals == 4
    assert sorted(sorted(companies_of_deal(book, result, deal)) for deal in range(4)) == [[major, t] for t in takers]


@pytest.mark.parametrize(("cash_limit", "sold"), [(0, 0), (300_00, 300_00), (1_000_00, 1_000_00), (5_000_00, 1_000_00)])
def test_a_sale_for_cash_is_cut_to_the_buyers_cash_limit_and_not_made_without_one(cash_limit, sold):
    seller, buyer = 0, 1
    book = make_book(
        [5_000_00, cash_limit],  # the buyer's limit binds
        haves=[(seller, PAPER, 1_000, 1_000_00)],
        wants=[(buyer, PAPER, 2_000_00, 1_000_00)],
    )
    result = match(book)
    assert result.total_value == sold
    assert result.cash.tolist() == [sold, -sold]


def test_a_ring_is_cut_to_what_the_cash_limits_can_balance():
    # A → B → C → A, but A's paper is worth ¥1,000 more than the pulp it gets back and nobody
    # may pay or receive more than ¥500: only ¥500 of the surplus can go round, B paying A.
    a, b, c = range(3)
    book = make_book(
        [500_00, 500_00, 500_00],
        haves=[(a, PAPER, 1_000, 3_000_00), (b, BOARD, 1_000, 2_000_00), (c, PULP, 1_000, 2_000_00)],
        wants=[(b, PAPER, 3_000_00, 3_000_00), (c, BOARD, 3_000_00, 3_000_00), (a, PULP, 3_000_00, 3_000_00)],
    )
    result = match(book)
    assert result.total_value == 2_000_00 + 2_000_00 + 2_500_00
    assert result.cash.tolist() == [500_00, -500_00, 0]
    assert (np.abs(result.cash) <= book.cash_limit).all()


def test_a_have_priced_above_the_wants_maximum_does_not_trade():
    book = make_book([10_000_00, 10_000_00],
                     haves=[(0, PAPER, 1_000, 1_000_01)], wants=[(1, PAPER, 5_000_00, 1_000_00)])
    assert match(book).total_value == 0


def test_quantities_carry_the_value_and_never_exceed_the_have():
    # 1.001 t at ¥3.33 is worth ¥3.33333; three takers share it.
    book = make_book(
        [100_00] * 4,
        haves=[(0, CHEMICALS, 1_001, 333)],
        wants=[(taker, CHEMICALS, 111, 333) for taker in (1, 2, 3)],
    )
    result = match(book)
    assert result.total_value == 333  # whole fen only: ¥3.33
    assert result.transfer_quantity.sum() <= 1_001
    assert result.transfer_quantity.sum() == 1_000  # 333 fen of ¥3.33 goods: exactly 1 t, none stranded
    error = result.transfer_quantity * 333 - result.transfer_value * 1_000
    assert (np.abs(error) < 333).all()  # within a thousandth of a tonne's value


def test_a_want_in_a_category_its_company_offers_is_refused():
    book = make_book([0, 0], haves=[(0, PAPER, 1_000, 100)], wants=[(0, PAPER, 100, 100), (1, PAPER, 100, 100)])
    assert matching.self_category_wants(book).tolist() == [0]
    with pytest.raises(ValueError, match="category it offers"):
        match(book)


def test_an_empty_book_matches_nothing():
    result = match(make_book([0, 0]))
    assert result.total_value == 0
    assert result.deals == 0


@pytest.mark.parametrize("breakage", ["cash over the limit", "price rule", "over budget", "deal unbalanced"])
def test_the_invariant_checker_refuses_a_broken_match(breakage):
    book = make_book(
        [1_000_00, 1_000_00],
        haves=[(0, PAPER, 1_000, 1_000_00), (1, PULP, 1_000, 1_000_00)],
        wants=[(1, PAPER, 1_000_00, 1_000_00), (0, PULP, 600_00, 1_000_00)],
    )
    result = match(book)
    check_match(book, result)
    if breakage == "cash over the limit":
        book = replace(book, cash_limit=np.abs(result.cash) - 1)
    elif breakage == "price rule":
        book = replace(book, want_max_unit_value=book.want_max_unit_value - 1)
    elif breakage == "over budget":
        book = replace(book, want_budget=book.want_budget - 1)
    else:
        result = replace(result, settlement_amount=result.settlement_amount + 1)
    with pytest.raises(MatchInvariantError, match=RULES[breakage]):
        check_match(book, result)


RULES = {
    "cash over the limit": "exceeds its limit",
    "price rule": "priced above",
    "over budget": "more than its budget",
    "deal unbalanced": "does not balance",
}
