"""The set-off engine (debt/clearing.py): optimal against an independent LP, exact in fen, and
handing each pair's set-off to its obligations earliest due first. No database."""

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import coo_array

from debt import clearing

A, B, C, D = 1, 2, 3, 4


@pytest.fixture(autouse=True)
def _fresh_catalog_cache():
    """The engine caches nothing: override the suite-wide catalogue cache bump so these tests
    need neither the database nor Redis."""


def lp_optimum(debtor, creditor, amount):
    """The largest set-off by scipy's HiGHS on the obligation-level LP: maximise sum(s) with
    0 <= s <= amount and, per company, set-off received = set-off given."""
    companies, code = np.unique(np.concatenate([debtor, creditor]), return_inverse=True)
    n = debtor.size
    balance = coo_array(
        (np.r_[np.ones(n), -np.ones(n)], (np.r_[code[n:], code[:n]], np.r_[np.arange(n), np.arange(n)])),
        shape=(companies.size, n),
    )
    solution = linprog(-np.ones(n), A_eq=balance, b_eq=np.zeros(companies.size),
                       bounds=np.c_[np.zeros(n), amount], method="highs")
    assert solution.status == 0
    return round(-solution.fun)


def assert_invariants(debtor, creditor, amount, setoff):
    """Checked here without the engine's own code: bounds, and every company receives as much
    set-off as it gives, i.e. its net position is unchanged."""
    assert setoff.dtype == np.int64
    assert np.all((setoff >= 0) & (setoff <= amount))
    balance = {}
    for owes, owed, cancelled in zip(debtor.tolist(), creditor.tolist(), setoff.tolist(), strict=True):
        balance[owed] = balance.get(owed, 0) + cancelled
        balance[owes] = balance.get(owes, 0) - cancelled
    assert all(value == 0 for value in balance.values())


def random_book(seed):
    """5-30 companies, up to 6 obligations each; some pairs carry several obligations and some
    owe each other both ways, so aggregation and the 2-cycle trap are exercised."""
    rng = np.random.default_rng(seed)
    companies = int(rng.integers(5, 31))
    obligations = int(rng.integers(companies, 6 * companies))
    debtor = rng.integers(0, companies, obligations)
    creditor = (debtor + rng.integers(1, companies, obligations)) % companies
    repeats = rng.integers(0, obligations, obligations // 4)
    debtor, creditor = np.r_[debtor, debtor[repeats]], np.r_[creditor, creditor[repeats]]
    amount = rng.integers(1, 100_000, debtor.size)
    return debtor * 10 + 7, creditor * 10 + 7, amount  # ids need not be 0..n-1


@pytest.mark.parametrize("seed", range(30))
def test_random_books_clear_as_much_as_the_linear_program(seed):
    debtor, creditor, amount = random_book(seed)
    result = clearing.clear(debtor, creditor, amount)
    assert result.cleared == lp_optimum(debtor, creditor, amount)
    assert result.cleared == result.setoff.sum()
    assert result.total_debt == amount.sum()
    assert result.net_internal_debt == amount.sum() - result.cleared
    assert_invariants(debtor, creditor, amount, result.setoff)
    clearing.verify_setoff(debtor, creditor, amount, result.setoff)


def test_two_cycle_trap_is_cleared_optimally():
    # Cancelling A<->B first would leave B->C->A uncleared (20 set off). The optimum cancels
    # the 3-cycle A->B->C->A and leaves only B owing A 10.
    debtor, creditor = np.array([A, B, B, C]), np.array([B, A, C, A])
    amount = np.array([1000, 1000, 1000, 1000])
    result = clearing.clear(debtor, creditor, amount)
    assert result.setoff.tolist() == [1000, 0, 1000, 1000]
    assert result.cleared == 3000
    assert result.net_internal_debt == 1000


def test_pairs_owing_each_other_are_not_netted_before_the_longer_cycle():
    # The same trap hidden among parallel obligations: A->B is two invoices, B->A one.
    debtor, creditor = np.array([A, A, B, B, C]), np.array([B, B, A, C, A])
    amount = np.array([600, 400, 1000, 1000, 1000])
    result = clearing.clear(debtor, creditor, amount)
    assert result.cleared == 3000 == lp_optimum(debtor, creditor, amount)
    assert_invariants(debtor, creditor, amount, result.setoff)


def test_long_debt_rings_with_shortcuts_are_cleared_optimally():
    # Debt routes hundreds of firms long: many primal-dual phases.
    rng = np.random.default_rng(11)
    ring = np.arange(400)
    shortcut_from = rng.integers(0, 400, 8)
    debtor = np.r_[ring, shortcut_from]
    creditor = np.r_[(ring + 1) % 400, (shortcut_from + rng.integers(2, 399, 8)) % 400]
    amount = rng.integers(1, 1_000_000, debtor.size)
    result = clearing.clear(debtor, creditor, amount)
    assert result.cleared == lp_optimum(debtor, creditor, amount)
    assert_invariants(debtor, creditor, amount, result.setoff)


def test_debt_between_separate_cycles_is_not_set_off():
    # Two cycles joined one way only (A->C): no cycle uses that arc.
    debtor, creditor = np.array([A, B, C, D, A]), np.array([B, A, D, C, C])
    amount = np.array([500, 300, 700, 700, 999])
    result = clearing.clear(debtor, creditor, amount)
    assert result.setoff.tolist() == [300, 300, 700, 700, 0]


def test_pair_setoff_goes_to_the_earliest_due_obligation_first():
    # A owes B three invoices (500, 700, 400) and B owes A 900: 900 of A->B is set off.
    debtor, creditor = np.array([A, A, A, B]), np.array([B, B, B, A])
    amount = np.array([500, 700, 400, 900])
    due = np.array(["2025-03-01", "2025-01-15", "2025-02-01", "2025-06-30"], dtype="datetime64[D]")
    result = clearing.clear(debtor, creditor, amount, priority=due)
    # Due order: the 700 (Jan 15) in full, then 200 of the 400 (Feb 1), none of the 500 (Mar 1).
    assert result.setoff.tolist() == [0, 700, 200, 900]


def test_without_due_dates_input_order_decides():
    debtor, creditor = np.array([A, A, A, B]), np.array([B, B, B, A])
    amount = np.array([500, 700, 400, 900])
    assert clearing.clear(debtor, creditor, amount).setoff.tolist() == [500, 400, 0, 900]


def test_equal_due_dates_keep_input_order():
    debtor, creditor = np.array([A, A, B]), np.array([B, B, A])
    amount = np.array([300, 300, 400])
    due = np.array([5, 5, 1])
    assert clearing.clear(debtor, creditor, amount, priority=due).setoff.tolist() == [300, 100, 400]


def test_large_amounts_stay_exact_to_the_fen():
    # Amounts near 10^16 fen (MoneyField's largest) lose their last digits in float64.
    big = 9_999_999_999_999_999
    debtor, creditor = np.array([A, B, C, B]), np.array([B, C, A, A])
    amount = np.array([big, big - 1, big - 3, 7])
    result = clearing.clear(debtor, creditor, amount)
    # The 3-cycle takes big - 3; A->B's last 3 then cancel against B->A.
    assert result.setoff.tolist() == [big, big - 3, big - 3, 3]
    assert result.net_internal_debt == 6  # B still owes C 2 and A 4
    assert_invariants(debtor, creditor, amount, result.setoff)


def test_a_book_without_cycles_clears_nothing():
    debtor, creditor = np.array([A, B, A]), np.array([B, C, C])
    result = clearing.clear(debtor, creditor, np.array([100, 200, 300]))
    assert result.cleared == 0
    assert result.setoff.tolist() == [0, 0, 0]


def test_an_empty_book_clears_nothing():
    empty = np.zeros(0, np.int64)
    result = clearing.clear(empty, empty, empty)
    assert (result.total_debt, result.cleared, result.companies, result.setoff.size) == (0, 0, 0, 0)


def test_companies_are_counted_once():
    result = clearing.clear(np.array([10**12, 5]), np.array([5, -3]), np.array([1, 1]))
    assert result.companies == 3


@pytest.mark.parametrize(("debtor", "creditor", "amount"), [
    ([A], [A], [100]),  # owes itself
    ([A], [B], [-1]),  # negative amount
    ([A, B], [B], [1, 1]),  # lengths differ
    ([A], [B], [1.5]),  # fen are integers
])
def test_engine_refuses_inconsistent_input(debtor, creditor, amount):
    with pytest.raises(ValueError):
        clearing.clear(np.array(debtor), np.array(creditor), np.array(amount))


def test_verify_setoff_catches_a_setoff_beyond_the_amount():
    debtor, creditor, amount = np.array([A, B]), np.array([B, A]), np.array([100, 50])
    with pytest.raises(clearing.SetoffInvariantError, match="outside"):
        clearing.verify_setoff(debtor, creditor, amount, np.array([60, 60]))


def test_verify_setoff_catches_a_changed_net_position():
    debtor, creditor, amount = np.array([A, B]), np.array([B, A]), np.array([100, 50])
    with pytest.raises(clearing.SetoffInvariantError, match="net position"):
        clearing.verify_setoff(debtor, creditor, amount, np.array([50, 40]))


def test_verify_setoff_accepts_the_engine_result_and_no_setoff():
    debtor, creditor, amount = np.array([A, B, C]), np.array([B, C, A]), np.array([100, 80, 90])
    clearing.verify_setoff(debtor, creditor, amount, clearing.clear(debtor, creditor, amount).setoff)
    clearing.verify_setoff(debtor, creditor, amount, np.zeros(3, np.int64))
