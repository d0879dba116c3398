"""The barter matching engine: the exchange that moves the most goods value, split into deals.

Pure numpy and OR-Tools, no Django: services (and `manage.py match_barter`) turn listings into a
`Book` of integer arrays and the `Match` back into records; `match(book)` is the whole engine.

Units. Money is integer fen; quantities are integer thousandths of the have's unit (the book's
three decimals). A have offers floor(quantity × unit value) of goods, in whole fen.

The problem. A transfer moves value (fen) from a have to a want of the same category whose
maximum unit value is at least the have's unit value; a have and a want of one category are always
of different companies (a company may not want a category it offers, see `self_category_wants`).
No have gives more than it offers, no want gets more than its budget, and each company's goods
given − goods received is the cash it receives (negative: pays), within its cash limit. Among all
such sets of transfers, `match` finds one that moves the most value, exactly.

Why a circulation. Value is conserved at every company except for cash, so a match is a
circulation in the network

    company ──have (capacity: offered value, cost −1)──▶ price level of its category
    price level ──(unbounded, free)──▶ next price level up, same category
    price level ──want (capacity: budget)──▶ company      (the want's highest affordable level)
    company ◀──(capacity: cash limit)──▶ cash node

and a minimum-cost circulation is a maximum-value match. The price ladder lets a have reach every
want that may pay its price with one arc per listing instead of one per (have, want) pair, so the
network stays linear in the book; levels only open where a want's maximum falls between have
prices (`_ladder`), which matters: OR-Tools' cost scaling slows with the ladder's length (a dense
200k-listing book took 34 s with a level per distinct price, 5–9 s with these). It solves the network
whole: on the synthetic books nearly every company is in one connected part, so splitting it into
components would gain nothing.

From flow to transfers. The flow only says how much each have gives and each want gets. Within
a category, laying the haves (cheapest first) and the wants (lowest maximum first) end to end on
one value axis and cutting at every boundary pairs them legally (`_pair_flows`).

From transfers to deals (`_split_into_deals`) and from values to quantities (`_quantities`):
see there. `check_match` checks every rule of a match on every run, in linear time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

QUANTITY_SCALE = 1000  # quantities are thousandths of a unit
INT = np.int64
MAX_TOTAL_FEN = 2**61  # every sum of offers, budgets or cash limits stays below this, far inside int64


class BookTooLarge(ValueError):
    """The book's amounts add up to more than the engine counts exactly in 64-bit integers."""


class MatchInvariantError(AssertionError):
    """A match broke one of the rules a match must keep; a bug in the engine, never bad input."""


@dataclass(frozen=True)
class Book:
    """Companies, haves and wants as parallel integer arrays.

    Companies and categories are numbered from 0; listings refer to them by number. Quantities
    are in thousandths of a unit, money in fen. `have_value` (what each have offers, fen) is
    derived. Raises ValueError on arrays no book can have, BookTooLarge on sums past int64.
    """

    cash_limit: np.ndarray
    have_company: np.ndarray
    have_category: np.ndarray
    have_quantity: np.ndarray
    have_unit_value: np.ndarray
    want_company: np.ndarray
    want_category: np.ndarray
    want_budget: np.ndarray
    want_max_unit_value: np.ndarray
    have_value: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        for name in self.__dataclass_fields__:
            if name != "have_value":
                object.__setattr__(self, name, np.ascontiguousarray(getattr(self, name), dtype=INT))
        haves, wants = len(self.have_company), len(self.want_company)
        if {len(self.have_category), len(self.have_quantity), len(self.have_unit_value)} != {haves}:
            raise ValueError("have arrays differ in length")
        if {len(self.want_category), len(self.want_budget), len(self.want_max_unit_value)} != {wants}:
            raise ValueError("want arrays differ in length")
        for name in ("cash_limit", "have_quantity", "have_unit_value", "want_budget", "want_max_unit_value"):
            if (getattr(self, name) < 0).any():
                raise ValueError(f"{name} must not be negative")
        if (self.have_unit_value == 0).any():
            raise ValueError("have_unit_value must be positive")
        for name in ("have_category", "want_category"):
            if (getattr(self, name) < 0).any():
                raise ValueError(f"{name} must number categories from 0")
        companies = len(self.cash_limit)
        for name in ("have_company", "want_company"):
            values = getattr(self, name)
            if len(values) and (values.min() < 0 or values.max() >= companies):
                raise ValueError(f"{name} refers to a company that is not in the book")
        # quantity × unit value must fit in int64 before the division by 1000, and the network's
        # sums of capacities must fit too (floats are exact enough to tell "far too large").
        if (self.have_quantity.astype(float) * self.have_unit_value >= MAX_TOTAL_FEN).any():
            raise BookTooLarge("a have offers more value than the engine can count")
        object.__setattr__(self, "have_value", self.have_quantity * self.have_unit_value // QUANTITY_SCALE)
        for name in ("have_value", "want_budget", "cash_limit"):
            if getattr(self, name).sum(dtype=float) >= MAX_TOTAL_FEN:
                raise BookTooLarge(f"the {name} of the book add up to more than the engine can count")

    @property
    def companies(self) -> int:
        return len(self.cash_limit)


@dataclass(frozen=True)
class Match:
    """The transfers of a match, grouped into deals, and the cash that balances them.

    Transfers are ordered by deal; `transfer_deal` numbers the deals from 0. A have→want pair
    that two deals both use appears once in each. `cash[c]` is what company c receives over all
    deals (negative: pays); `settlement_*` is the same cash broken down by deal.
    """

    transfer_have: np.ndarray
    transfer_want: np.ndarray
    transfer_value: np.ndarray
    transfer_quantity: np.ndarray
    transfer_deal: np.ndarray
    cash: np.ndarray
    settlement_deal: np.ndarray
    settlement_company: np.ndarray
    settlement_amount: np.ndarray
    deals: int

    @property
    def total_value(self) -> int:
        return int(self.transfer_value.sum())

    def deal_members(self, book: Book) -> tuple[np.ndarray, np.ndarray]:
        """(deal, company) of every participant, by deal, each deal's in the order its cycle meets them."""
        deal = np.repeat(self.transfer_deal, 2)
        company = np.stack([book.have_company[self.transfer_have], book.want_company[self.transfer_want]], 1).ravel()
        _, first = np.unique(deal * book.companies + company, return_index=True)
        first.sort()
        return deal[first], company[first]


def self_category_wants(book: Book) -> np.ndarray:
    """Indexes of wants in a category their own company offers: the book must have none."""
    categories = int(max(book.have_category.max(initial=-1), book.want_category.max(initial=-1))) + 1
    offered = np.unique(book.have_company * categories + book.have_category)
    return np.flatnonzero(np.isin(book.want_company * categories + book.want_category, offered))


def match(book: Book) -> Match:
    """The match of `book` that moves the most goods value, split into balanced deals.

    Raises ValueError when a company wants a category it offers. The result is checked by
    `check_match` before it is returned.
    """
    if len(self_category_wants(book)):
        raise ValueError("a company wants a category it offers")
    have_flow, want_flow = _circulate(book)
    have, want, value = _pair_flows(book, have_flow, want_flow)
    cash = _company_cash(book, have, want, value)
    result = _split_into_deals(book, have, want, value, cash)
    check_match(book, result)
    return result


# --- the circulation -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Ladder:
    """Price levels, ordered by category, then price.

    A level is a run of have unit values with no want maximum between them: such haves can serve
    exactly the same wants, so they share a rung. A want hangs from the highest level it may pay.
    """

    category: np.ndarray
    have_level: np.ndarray  # level of each have
    want_level: np.ndarray  # highest level each want may take from; −1 when none


def _ladder(book: Book) -> _Ladder:
    """Sweep each category's have unit values and want maximums upwards, opening a level at every
    have that follows a want (or starts its category)."""
    haves = len(book.have_company)
    category = np.concatenate([book.have_category, book.want_category])
    price = np.concatenate([book.have_unit_value, book.want_max_unit_value])
    is_want = np.arange(len(price)) >= haves
    # One sweep up each category's prices; a have before a want of the same price (it may pay it).
    order = np.lexsort((is_want, price, category))
    swept_category, swept_want = category[order], is_want[order]
    new_category = np.ones(len(order), bool)
    new_category[1:] = swept_category[1:] != swept_category[:-1]
    after_want = np.zeros(len(order), bool)
    after_want[1:] = swept_want[:-1]
    opens_level = ~swept_want & (new_category | after_want)
    opened = np.cumsum(opens_level)  # levels opened so far, all categories
    # A want swept before any have of its category has no level to take from.
    category_start = np.maximum.accumulate(np.where(new_category, np.arange(len(order)), 0))
    opened_before_category = opened[category_start] - opens_level[category_start]
    level = np.where(opened > opened_before_category, opened - 1, -1)
    swept_level = np.empty(len(order), INT)
    swept_level[order] = level
    return _Ladder(swept_category[opens_level], swept_level[:haves], swept_level[haves:])


def _circulate(book: Book) -> tuple[np.ndarray, np.ndarray]:
    """Solve the maximum-value circulation; return the value each have gives and each want gets.

    Nodes are numbered price levels first, then companies, then the cash node. The order is only
    the order OR-Tools meets nodes in, but it matters: on dense 200k-listing books this one took
    6.3 s on average over a dozen category orders, companies first 7.9 s.
    """
    have_flow = np.zeros(len(book.have_company), INT)
    want_flow = np.zeros(len(book.want_company), INT)
    if not len(have_flow) or not len(want_flow):
        return have_flow, want_flow
    ladder = _ladder(book)
    levels = len(ladder.category)
    first_company, cash_node = levels, levels + book.companies

    # A have above every want level of its category can never give; dropping it keeps the
    # network (and the solver's work) to what can trade.
    categories = int(max(book.have_category.max(), book.want_category.max())) + 1
    top = np.full(categories, -1, INT)
    np.maximum.at(top, book.want_category, ladder.want_level)
    gives = (book.have_value > 0) & (ladder.have_level <= top[book.have_category])
    takes = (book.want_budget > 0) & (ladder.want_level >= 0)

    # Listings of one company at one level are one arc; their flow is shared out afterwards.
    have_group, have_arc = _groups(book.have_company[gives] * levels + ladder.have_level[gives])
    want_group, want_arc = _groups(book.want_company[takes] * levels + ladder.want_level[takes])
    have_capacity = _sum_by(have_group, book.have_value[gives], len(have_arc))
    want_capacity = _sum_by(want_group, book.want_budget[takes], len(want_arc))
    # The ladder is unbounded in effect: a category's whole offer may climb it.
    category_value = _sum_by(book.have_category[gives], book.have_value[gives], categories)
    step = np.flatnonzero(ladder.category[:-1] == ladder.category[1:])
    pays = np.flatnonzero(book.cash_limit > 0)
    to_cash = np.full(len(pays), cash_node)

    arcs = [  # (tails, heads, capacities); have arcs first: they alone carry a cost
        (first_company + have_arc // levels, have_arc % levels, have_capacity),
        (want_arc % levels, first_company + want_arc // levels, want_capacity),
        (step, step + 1, category_value[ladder.category[step]]),
        (first_company + pays, to_cash, book.cash_limit[pays]),
        (to_cash, first_company + pays, book.cash_limit[pays]),
    ]
    tails, heads, capacities = (np.concatenate(column) for column in zip(*arcs, strict=True))
    costs = np.zeros(len(tails), INT)
    costs[: len(have_capacity)] = -1  # one fen of goods given is worth one

    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = solver.flows(np.arange(len(have_capacity) + len(want_capacity)))
    have_flow[gives] = _share_out(flows[: len(have_capacity)], have_group, book.have_value[gives])
    want_flow[takes] = _share_out(flows[len(have_capacity):], want_group, book.want_budget[takes])
    return have_flow, want_flow


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The group number of each key and the sorted distinct keys."""
    distinct, group = np.unique(keys, return_inverse=True)
    return group.astype(INT), distinct


def _share_out(group_flow: np.ndarray, group: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Fill the members of each group in order with the group's flow, each up to its capacity."""
    order = np.argsort(group, kind="stable")
    member_group, member_capacity = group[order], capacity[order]
    before = np.cumsum(member_capacity) - member_capacity
    before -= before[np.searchsorted(member_group, member_group)]  # only earlier members of the group
    share = np.empty(len(group), INT)
    share[order] = np.clip(group_flow[member_group] - before, 0, member_capacity)
    return share


def _sum_by(group: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums per group (np.bincount would sum in floating point)."""
    sums = np.zeros(size, INT)
    np.add.at(sums, group, values)
    return sums


def _overlay(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut two runs of amounts with equal totals, laid end to end, at every boundary of either.

    Returns (index in first, index in second, amount) for each piece, in axis order. When both
    runs are ordered by a group and each group's totals agree, no piece crosses a group.
    """
    first_end, second_end = np.cumsum(first), np.cumsum(second)
    if len(first_end) == 0:
        return np.zeros(0, INT), np.zeros(0, INT), np.zeros(0, INT)
    if first_end[-1] != second_end[-1]:
        raise MatchInvariantError("overlaid runs differ in total")
    cuts = np.union1d(first_end, second_end)
    starts = np.concatenate([[0], cuts[:-1]])
    keep = cuts > starts
    starts, cuts = starts[keep], cuts[keep]
    return (np.searchsorted(first_end, starts, side="right"), np.searchsorted(second_end, starts, side="right"),
            cuts - starts)


def _pair_flows(book: Book, have_flow: np.ndarray, want_flow: np.ndarray):
    """Turn what each have gives and each want gets into have→want transfers that keep the price rule.

    Haves in (category, unit value) order and wants in (category, maximum) order are overlaid on
    one value axis. In a category, the flow up the ladder means the wants with a maximum below any
    price p take no more than the haves priced at most p give, so every piece of a want lies over
    haves it may pay for; and each category's totals agree, so no piece crosses categories.
    """
    haves = np.flatnonzero(have_flow)
    wants = np.flatnonzero(want_flow)
    haves = haves[np.lexsort((book.have_unit_value[haves], book.have_category[haves]))]
    wants = wants[np.lexsort((book.want_max_unit_value[wants], book.want_category[wants]))]
    i, j, value = _overlay(have_flow[haves], want_flow[wants])
    return haves[i], wants[j], value


def _company_cash(book: Book, have: np.ndarray, want: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Goods value each company gives minus what it receives: the cash it receives."""
    given = _sum_by(book.have_company[have], value, book.companies)
    received = _sum_by(book.want_company[want], value, book.companies)
    return (given - received).astype(INT)


# --- deals -----------------------------------------------------------------------------------

def _split_into_deals(book: Book, have, want, value, cash) -> Match:
    """Split the match into deals: cycles of the company-level circulation, each short.

    Between companies the match is a circulation: goods flow giver → taker, and each company's
    net cash flows through a cash node (cash → a company that receives, a company that pays →
    cash). Any decomposition of it into cycles is a set of deals that each balance on their own:
    every company on a cycle receives as much value as it gives, and a cycle through the cash node
    is one company paying another for the goods in between. The decomposition is conformal (a
    company that receives cash overall only receives in each deal), so its cash summed over its
    deals never exceeds its cash limit. Deals being independent, the platform may drop one (all
    of its participants did not confirm) and every other deal still balances.

    Fewest participants per deal is a hard problem (it asks for a decomposition into shortest
    cycles); the heuristic in `_CycleFinder` takes the company pairs with the least value first and
    closes each along a shortest cycle. A transfer that several deals share is split between them;
    a deal lists its transfers in cycle order, so its companies read as the ring they form.
    """
    companies = book.companies
    empty = np.zeros(0, INT)
    if len(value) == 0:
        return Match(empty, empty, empty, empty, empty, cash, empty, empty, empty, 0)
    cash_node = companies
    giver, taker = book.have_company[have], book.want_company[want]
    arc_of_transfer, arc_key = _groups(giver * (companies + 1) + taker)
    goods_arcs = len(arc_key)
    receivers, payers = np.flatnonzero(cash > 0), np.flatnonzero(cash < 0)
    tails = np.concatenate([arc_key // (companies + 1), np.full(len(receivers), cash_node), payers])
    heads = np.concatenate([arc_key % (companies + 1), receivers, np.full(len(payers), cash_node)])
    amounts = np.concatenate([_sum_by(arc_of_transfer, value, goods_arcs), cash[receivers], -cash[payers]])

    cycles = _CycleFinder(tails.tolist(), heads.tolist(), amounts.tolist(), cash_node)
    deal_of_use, arc_of_use, amount_of_use = (np.asarray(column, INT) for column in cycles.decompose())

    # Each company pair's deals used its value in turn; cut its transfers at the same points.
    goods = np.flatnonzero(arc_of_use < goods_arcs)
    uses = goods[np.argsort(arc_of_use[goods], kind="stable")]
    transfers = np.argsort(arc_of_transfer, kind="stable")
    u, t, piece_value = _overlay(amount_of_use[uses], value[transfers])
    order = np.lexsort((t, uses[u]))  # uses are numbered in deal order, then cycle order
    piece_transfer, piece_value, piece_deal = transfers[t[order]], piece_value[order], deal_of_use[uses[u[order]]]
    piece_have, piece_want = have[piece_transfer], want[piece_transfer]

    settled = np.flatnonzero(arc_of_use >= goods_arcs)
    receives = tails[arc_of_use[settled]] == cash_node
    settlement_company = np.where(receives, heads[arc_of_use[settled]], tails[arc_of_use[settled]])
    settlement_amount = np.where(receives, amount_of_use[settled], -amount_of_use[settled])
    settlement_deal = deal_of_use[settled]
    order = np.lexsort((settlement_company, settlement_deal))
    return Match(
        transfer_have=piece_have,
        transfer_want=piece_want,
        transfer_value=piece_value,
        transfer_quantity=_quantities(book, piece_have, piece_value),
        transfer_deal=piece_deal,
        cash=cash,
        settlement_deal=settlement_deal[order],
        settlement_company=settlement_company[order],
        settlement_amount=settlement_amount[order],
        deals=cycles.deals,
    )


class _CycleFinder:
    """Peels short cycles off a circulation given as arcs (tail, head, amount) until none is left.

    Arcs are taken smallest amount first; each is closed along a shortest path back from its head
    to its tail (breadth-first from both ends, low-degree companies first, so a deal prefers
    counterparties with few links), and the cycle's bottleneck amount becomes one deal. What is
    left is still a circulation, so every arc with an amount left lies on a cycle. Measured on the
    synthetic books of bench/barter_matching.py: 4.3 companies per deal on average with 20,000
    listings and 4.8 with 200,000, a few dozen at most; closing cycles along walks, as a plain flow
    decomposition does, gave 11 on average and over a hundred at most.

    Arcs are distinct (tail, head) pairs. `decompose` returns, for every use of an arc by a
    cycle, the cycle (deal) number, the arc and the amount, in the order the cycles were found.
    """

    def __init__(self, tails: list[int], heads: list[int], amounts: list[int], cash_node: int):
        self.tail, self.head, self.left = tails, heads, list(amounts)
        self.cash_node = cash_node
        self.out: dict[int, dict[int, int]] = {}
        self.into: dict[int, dict[int, int]] = {}
        for arc, (tail, head) in enumerate(zip(tails, heads, strict=True)):
            self.out.setdefault(tail, {})[head] = arc
            self.into.setdefault(head, {})[tail] = arc
        # Degrees as first built: what a search step costs, near enough, to choose which side grows.
        self.out_degree = np.bincount(tails, minlength=cash_node + 1).tolist()
        self.in_degree = np.bincount(heads, minlength=cash_node + 1).tolist()
        self.deals = 0
        self.use_deal: list[int] = []
        self.use_arc: list[int] = []
        self.use_amount: list[int] = []

    def decompose(self):
        # Smallest arcs first: one deal empties a small arc, carrying a slice of the bigger arcs on
        # its cycle, so big transfers are cut into few pieces and small ones not at all. (Largest
        # first cut a 20k-listing book into 65% more pieces, with 6.7 companies per deal, not 4.3.)
        for arc in sorted(range(len(self.left)), key=self.left.__getitem__):
            while self.left[arc]:
                self._cancel([arc, *self._shortest_path(self.head[arc], self.tail[arc])])
        return self.use_deal, self.use_arc, self.use_amount

    def _cancel(self, arcs: list[int]) -> None:
        """Make the cycle through `arcs` a deal of its bottleneck amount; drop the arcs it empties."""
        left = self.left
        amount = min(left[arc] for arc in arcs)
        for arc in arcs:
            left[arc] -= amount
            if not left[arc]:
                del self.out[self.tail[arc]][self.head[arc]]
                del self.into[self.head[arc]][self.tail[arc]]
        self.use_deal.extend([self.deals] * len(arcs))
        self.use_arc.extend(arcs)
        self.use_amount.extend([amount] * len(arcs))
        self.deals += 1

    def _shortest_path(self, source: int, target: int) -> list[int]:
        """The arcs of a shortest path from source to target, by breadth-first search from both ends.

        Each round grows the side whose next level has fewer arcs to look at. The cash node joins
        most companies, so it is never expanded: a path through it is found when the forward
        search reaches it (from a company that pays) and the backward search reaches it too (from
        a company that receives).
        """
        cash, out, into, out_degree, in_degree = self.cash_node, self.out, self.into, self.out_degree, self.in_degree
        reached_from = {source: -1}  # node → arc it was first reached by, searching forward
        reaches_to = {target: -1}  # node → arc it first reaches the target by, searching back
        forward = [source] if source != cash else []
        backward = [target] if target != cash else []
        forward_work = out_degree[source] if forward else 0
        backward_work = in_degree[target] if backward else 0
        while forward or backward:
            if forward and (forward_work <= backward_work or not backward):
                frontier, forward, forward_work = forward, [], 0
                frontier.sort(key=out_degree.__getitem__)
                for node in frontier:
                    for following, arc in out[node].items():
                        if reached_from.setdefault(following, arc) != arc:
                            continue  # reached before
                        if following in reaches_to:
                            return self._join(following, reached_from, reaches_to)
                        if following != cash:
                            forward.append(following)
                            forward_work += out_degree[following]
            else:
                frontier, backward, backward_work = backward, [], 0
                frontier.sort(key=in_degree.__getitem__)
                for node in frontier:
                    for preceding, arc in into[node].items():
                        if reaches_to.setdefault(preceding, arc) != arc:
                            continue
                        if preceding in reached_from:
                            return self._join(preceding, reached_from, reaches_to)
                        if preceding != cash:
                            backward.append(preceding)
                            backward_work += in_degree[preceding]
        raise MatchInvariantError("what is left of the match is not a circulation")

    def _join(self, meeting: int, reached_from: dict[int, int], reaches_to: dict[int, int]) -> list[int]:
        first, node = [], meeting
        while reached_from[node] >= 0:
            first.append(reached_from[node])
            node = self.tail[reached_from[node]]
        second, node = [], meeting
        while reaches_to[node] >= 0:
            second.append(reaches_to[node])
            node = self.head[reaches_to[node]]
        return first[::-1] + second


# --- quantities ------------------------------------------------------------------------------

def _quantities(book: Book, have: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The quantity (thousandths) each transfer ships for its value.

    Value in fen is what the deal balances on, so it stays exact; the quantity is value / unit
    value rounded to a thousandth. Rounding every transfer down could strand up to a thousandth
    per transfer of a lot split many ways, so the thousandths are apportioned per have by largest
    remainder: each transfer ships its exact quantity rounded down or up (|quantity × unit value −
    value| < one thousandth of a unit's value) and a have's transfers together ship its exact
    total rounded down, so never more than the have's quantity.
    """
    if len(value) == 0:
        return np.zeros(0, INT)
    unit_value = book.have_unit_value[have]
    exact = value * QUANTITY_SCALE
    quantity, remainder = exact // unit_value, exact % unit_value
    haves = len(book.have_company)
    total = _sum_by(have, exact, haves) // book.have_unit_value
    short = total - _sum_by(have, quantity, haves)
    order = np.lexsort((-remainder, have))
    first_of_have = np.searchsorted(have[order], have[order])
    rank = np.arange(len(order)) - first_of_have
    rounds_up = np.zeros(len(value), bool)
    rounds_up[order] = rank < short[have[order]]
    return quantity + rounds_up


# --- invariants ------------------------------------------------------------------------------

def check_match(book: Book, result: Match) -> None:
    """Raise MatchInvariantError unless `result` keeps every rule of a match. Linear time."""
    have, want, value = result.transfer_have, result.transfer_want, result.transfer_value
    quantity, deal = result.transfer_quantity, result.transfer_deal
    companies, haves, wants = book.companies, len(book.have_company), len(book.want_company)

    def require(ok, rule):
        if not ok:
            raise MatchInvariantError(rule)

    require(len(have) == len(want) == len(value) == len(quantity) == len(deal), "transfer arrays differ in length")
    if len(value):
        require(have.min() >= 0 and have.max() < haves and want.min() >= 0 and want.max() < wants,
                "a transfer names a listing outside the book")
    require((value > 0).all(), "a transfer moves no value")
    require((book.have_category[have] == book.want_category[want]).all(), "a transfer crosses categories")
    require((book.have_company[have] != book.want_company[want]).all(), "a company trades with itself")
    require((book.have_unit_value[have] <= book.want_max_unit_value[want]).all(),
            "a have is priced above the want's maximum")
    require((_sum_by(have, value, haves) <= book.have_value).all(), "a have gives more than it offers")
    require((_sum_by(want, value, wants) <= book.want_budget).all(), "a want gets more than its budget")

    unit_value = book.have_unit_value[have]
    require((np.abs(quantity * unit_value - value * QUANTITY_SCALE) < unit_value).all(),
            "a transfer's quantity does not carry its value")
    require((_sum_by(have, quantity, haves) <= book.have_quantity).all(), "a have ships more than it has")

    require((result.cash == _company_cash(book, have, want, value)).all(), "cash does not balance the goods")
    require((np.abs(result.cash) <= book.cash_limit).all(), "a company's cash exceeds its limit")
    require(int(result.cash.sum()) == 0, "cash does not sum to zero")

    require((np.diff(deal) >= 0).all() and (len(deal) == 0 or (deal[0] >= 0 and deal[-1] < result.deals)),
            "transfers are not ordered by deal")
    require(len(np.unique(deal)) == result.deals, "a deal has no transfers")
    # In every deal, each company's goods given − received is its settlement there.
    width = companies + 1
    keys = np.concatenate([deal * width + book.have_company[have], deal * width + book.want_company[want],
                           result.settlement_deal * width + result.settlement_company])
    amounts = np.concatenate([value, -value, -result.settlement_amount])
    distinct, group = np.unique(keys, return_inverse=True)
    require((_sum_by(group, amounts, len(distinct)) == 0).all(), "a deal does not balance")
    require((_sum_by(result.settlement_company, np.abs(result.settlement_amount), companies)
             == np.abs(result.cash)).all(), "deal cash goes against a company's overall cash")
