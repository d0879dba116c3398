"""Optimal multilateral set-off (三角债清理) of a book of obligations, exact in integer fen.

No Django here: the engine takes arrays and returns arrays, so it can be tested and benchmarked
alone; services feed it from the database, the `clear_obligations` command from a CSV file.

The problem
-----------
Obligation i: debtor d_i owes creditor c_i the amount a_i (fen). A set-off s_i, 0 <= s_i <= a_i,
cancels part of it. A company's net position is what it is owed minus what it owes; set-off must
leave every net position unchanged, so at every company the set-off on debts owed to it equals
the set-off on debts it owes: s is a *circulation*. We want the largest total sum(s).

Equivalently the remaining debt f = a - s keeps every net position and we minimise sum(f): a
minimum-cost flow with unit cost per fen of remaining debt. Its constraint matrix is a network
matrix, so with integer amounts the optimum is integral: optimal to the fen with integers only.

Greedy "find a cycle, cancel its minimum" is not optimal. With A->B 10, B->A 10, B->C 10,
C->A 10 (all in yuan), cancelling the 2-cycle A<->B first leaves B->C->A uncleared (20 set off),
while cancelling A->B->C->A leaves only B->A 10 (30 set off). For the same reason the engine
never nets a pair A->B against B->A before solving: that *is* the 2-cycle cancellation.

How it is solved
----------------
1. Obligations between the same (debtor, creditor) pair share one arc whose capacity is their sum.
2. Every circulation is a sum of cycles, and an arc between two strongly connected components of
   the debt graph lies on no cycle: it gets no set-off, and each company's excess is counted
   over the arcs inside its component only (scipy's connected_components, linear time).
3. What is left is one min-cost-flow problem, solved by primal-dual phases (`_PrimalDual`):
   per phase a Dijkstra (scipy) and a maximum flow (OR-Tools), both compiled, both linear-ish.
   Against OR-Tools' own min-cost flow (cost scaling) it measured about 4 times faster on the
   1M-obligation bench book, 40 times when its groups are separate components, and far faster
   where debt runs in long rings (10,000 firms owing round a ring: 0.05 s against 8 s).
4. Each arc's set-off is handed back to its obligations in priority order (earliest due first),
   so at most one obligation per pair is set off in part.

Components are solved together, not in parallel: OR-Tools holds the GIL (two threads ran no
faster than one), so parallel would mean processes, and the bench book is a single component
(debt crossing between groups at random ties them all together). On a book of 1,000 separate
groups the whole solve takes 0.9 s, of which a second process could save at most half.

`verify_setoff` re-checks a result's invariants (bounds, net positions) in linear time; callers
run it on every result before using it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow
from scipy.sparse import csgraph, csr_array

# Totals must stay well inside int64 (and exact in the OR-Tools C++ solvers).
MAX_TOTAL_FEN = 2**62


class SetoffInvariantError(ValueError):
    """A set-off breaks a bound or changes a company's net position."""


@dataclass(frozen=True, eq=False)
class ClearingResult:
    """The optimal set-off of a book, per obligation in input order, and its totals (fen)."""

    setoff: np.ndarray  # int64, 0 <= setoff[i] <= amount[i]
    total_debt: int  # sum of all obligations
    cleared: int  # sum of set-off: the largest possible
    companies: int  # distinct companies appearing as debtor or creditor

    @property
    def net_internal_debt(self) -> int:
        """Debt left among the companies after set-off; no further set-off can reduce it."""
        return self.total_debt - self.cleared


def clear(
    debtor: np.ndarray,
    creditor: np.ndarray,
    amount_fen: np.ndarray,
    priority: np.ndarray | None = None,
) -> ClearingResult:
    """The largest set-off that leaves every company's net position unchanged.

    `debtor` and `creditor` are integer company ids (any values, e.g. primary keys),
    `amount_fen` non-negative integer amounts in fen. Where several obligations link the same
    debtor to the same creditor, the pair's set-off goes first to the obligation with the
    smallest `priority` (a due date, say: any sortable array, NaT sorting last), ties and a
    missing `priority` falling back to input order. Run `verify_setoff` on the result before
    acting on it.
    """
    debtor_code, creditor_code, amount, companies = _obligations(debtor, creditor, amount_fen)
    pairs = aggregate_pairs(debtor_code, creditor_code, amount, companies, priority)
    pair_setoff = optimal_pair_setoff(pairs.debtor, pairs.creditor, pairs.amount, companies)
    setoff = pairs.assign_to_obligations(pair_setoff)
    return ClearingResult(
        setoff=setoff,
        total_debt=int(amount.sum()),
        cleared=int(pair_setoff.sum()),
        companies=companies,
    )


def verify_setoff(debtor: np.ndarray, creditor: np.ndarray, amount_fen: np.ndarray, setoff: np.ndarray) -> None:
    """Raise SetoffInvariantError unless 0 <= setoff <= amount for every obligation and every
    company's net position is unchanged (the set-off it receives equals the set-off it gives).

    Linear time and exact in integers, so it is cheap enough to run on every clearing run.
    """
    debtor_code, creditor_code, amount, companies = _obligations(debtor, creditor, amount_fen)
    setoff = np.asarray(setoff)
    if setoff.shape != amount.shape or not np.issubdtype(setoff.dtype, np.integer):
        raise SetoffInvariantError(f"set-off must be {amount.size} integers, got {setoff.dtype} {setoff.shape}")
    outside = np.flatnonzero((setoff < 0) | (setoff > amount))
    if outside.size:
        first = outside[0]
        raise SetoffInvariantError(
            f"{outside.size} set-offs outside [0, amount]; obligation {first}: "
            f"{setoff[first]} of {amount[first]}"
        )
    received = np.zeros(companies, np.int64)
    given = np.zeros(companies, np.int64)
    np.add.at(received, creditor_code, setoff)
    np.add.at(given, debtor_code, setoff)
    moved = np.flatnonzero(received != given)
    if moved.size:
        raise SetoffInvariantError(f"set-off changes the net position of {moved.size} companies")


def net_positions(debtor: np.ndarray, creditor: np.ndarray, amount_fen: np.ndarray, companies: int) -> np.ndarray:
    """Owed to each company minus owed by it (fen), for company codes 0..companies-1."""
    position = np.zeros(companies, np.int64)
    np.add.at(position, creditor, amount_fen)
    np.subtract.at(position, debtor, amount_fen)
    return position


# --- Input ---------------------------------------------------------------------------------


def _obligations(debtor, creditor, amount_fen):
    """Validated int64 arrays with companies renumbered 0..companies-1."""
    debtor, creditor, amount = (np.asarray(a) for a in (debtor, creditor, amount_fen))
    if not (debtor.shape == creditor.shape == amount.shape) or amount.ndim != 1:
        raise ValueError("debtor, creditor and amount_fen must be 1-D arrays of the same length")
    for name, array in (("debtor", debtor), ("creditor", creditor), ("amount_fen", amount)):
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"{name} must be integers, got {array.dtype}")
    amount = amount.astype(np.int64, copy=False)
    if amount.size and amount.min() < 0:
        raise ValueError("amounts must not be negative")
    if amount.size and float(amount.sum(dtype=np.float64)) >= MAX_TOTAL_FEN:
        raise ValueError("total debt is too large for exact integer arithmetic")
    if np.any(debtor == creditor):
        raise ValueError("an obligation's debtor and creditor must differ")
    codes, companies = _company_codes(np.concatenate([debtor, creditor]).astype(np.int64, copy=False))
    return codes[: debtor.size], codes[debtor.size :], amount, companies


def _company_codes(ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber company ids 0..k-1 (in id order). Dense ids (database keys) use a lookup table,
    which is linear time; sparse ones fall back to sorting."""
    if ids.size == 0:
        return ids.astype(np.int64), 0
    low, high = int(ids.min()), int(ids.max())
    if high - low <= 4 * ids.size:
        present = np.zeros(high - low + 1, bool)
        present[ids - low] = True
        if present.all():  # already 0..k-1 apart from an offset (e.g. from pd.factorize)
            return ids - low, high - low + 1
        code_of = np.cumsum(present, dtype=np.int64) - 1
        return code_of[ids - low], int(code_of[-1]) + 1
    unique, codes = np.unique(ids, return_inverse=True)
    return codes.astype(np.int64, copy=False), unique.size


# --- Pairs: obligations that share a (debtor, creditor) --------------------------------------


@dataclass(frozen=True, eq=False)
class Pairs:
    """One arc per (debtor, creditor) pair, sorted by (debtor, creditor), and the way back to
    the obligations: `order` lists obligations by pair, then priority, then input order."""

    debtor: np.ndarray
    creditor: np.ndarray
    amount: np.ndarray  # sum of the pair's obligations
    order: np.ndarray  # obligation indices, grouped by pair in priority order
    ordered_amount: np.ndarray  # amount[order]
    pair_of_ordered: np.ndarray  # the pair of each obligation in `order`
    pair_first: np.ndarray  # where each pair's obligations start in `order`

    def assign_to_obligations(self, pair_setoff: np.ndarray) -> np.ndarray:
        """Hand each pair's set-off to its obligations in order: an obligation gets what is left
        after the ones before it, up to its own amount."""
        before = np.cumsum(self.ordered_amount) - self.ordered_amount
        before_in_pair = before - before[self.pair_first][self.pair_of_ordered]
        share = np.clip(pair_setoff[self.pair_of_ordered] - before_in_pair, 0, self.ordered_amount)
        setoff = np.empty_like(share)
        setoff[self.order] = share
        return setoff


def aggregate_pairs(debtor, creditor, amount, companies, priority=None) -> Pairs:
    """Sum obligations by (debtor, creditor) pair; company codes must be 0..companies-1."""
    key = debtor * np.int64(companies) + creditor
    if priority is None:
        order = np.argsort(key, kind="stable")
    else:
        priority = np.asarray(priority)
        if priority.shape != key.shape:
            raise ValueError("priority must have one entry per obligation")
        order = np.lexsort((priority, key))  # stable: equal priorities keep input order
    ordered_key = key[order]
    starts_pair = np.diff(ordered_key, prepend=-1) != 0  # keys are >= 0
    pair_first = np.flatnonzero(starts_pair)
    ordered_amount = amount[order]
    pair_key = ordered_key[pair_first]
    return Pairs(
        debtor=pair_key // companies,
        creditor=pair_key % companies,
        amount=np.add.reduceat(ordered_amount, pair_first),
        order=order,
        ordered_amount=ordered_amount,
        pair_of_ordered=np.cumsum(starts_pair) - 1,
        pair_first=pair_first,
    )


# --- The optimum over pairs ----------------------------------------------------------------


def optimal_pair_setoff(debtor: np.ndarray, creditor: np.ndarray, amount: np.ndarray, companies: int) -> np.ndarray:
    """The largest circulation within `amount` on the arcs debtor->creditor (distinct pairs,
    company codes 0..companies-1)."""
    setoff = np.zeros(amount.size, np.int64)
    if amount.size == 0:
        return setoff
    component = _strong_components(debtor, creditor, companies)
    inside = np.flatnonzero(component[debtor] == component[creditor])
    if inside.size == 0:
        return setoff
    # Only companies on some cycle take part; number them 0..k-1, keeping their order.
    on_cycle = np.zeros(companies, bool)
    on_cycle[debtor[inside]] = on_cycle[creditor[inside]] = True
    code = np.cumsum(on_cycle) - 1
    remaining = _PrimalDual(code[debtor[inside]], code[creditor[inside]], amount[inside], int(on_cycle.sum())).solve()
    setoff[inside] = amount[inside] - remaining
    return setoff


def _strong_components(debtor, creditor, companies) -> np.ndarray:
    """Component label per company."""
    graph = csr_array((np.ones(debtor.size, np.int8), (debtor, creditor)), shape=(companies, companies))
    _count, labels = csgraph.connected_components(graph, directed=True, connection="strong")
    return labels


class _PrimalDual:
    """The least remaining debt on the arcs tail->head (companies 0..nodes-1), by primal-dual
    phases of successive shortest paths.

    Remaining debt f starts at 0 on every arc (everything set off), which leaves each company
    an excess: what it owes minus what it is owed. Net debtors' excess has to travel to net
    creditors along debt arcs, each fen costing 1 per arc it stays on; the cheapest way to
    route it is the least remaining debt, and set-off = amount - f.

    Integer potentials keep every residual arc's reduced cost >= 0 (an arc forward while
    f < amount, backward while f > 0). Each phase
      1. runs Dijkstra (scipy, C) from all companies with excess over the reduced costs and
         adds the distances to the potentials, so that every shortest route, to whichever
         company short of debt, is made of zero-reduced-cost arcs, then
      2. pushes a maximum flow (OR-Tools, C++) through the zero-reduced-cost arcs.
    Flow on zero-reduced-cost arcs keeps every reduced cost >= 0, so once no excess is left
    the flow is optimal (its residual graph has no negative cycle). A phase ends with no
    zero-cost route left, so the next one's routes are longer; the bench book takes 17 phases.
    Debt running round very long rings takes more (200,000 firms in a ring with 2,000
    shortcuts: 237 phases, 16 s), where OR-Tools' cost scaling does far worse still (a bare
    ring of 50,000 firms: 0.3 s here, 250 s there).

    Textbook primal-dual caps the distances at the nearest deficit's, serving one distance
    per phase; serving all at once measured 30% faster on the bench book.
    """

    def __init__(self, tail, head, capacity, nodes):
        self.tail, self.head, self.capacity, self.nodes = tail, head, capacity, nodes
        self.remaining = np.zeros(tail.size, np.int64)
        self.potential = np.zeros(nodes, np.int64)
        self.excess = np.zeros(nodes, np.int64)
        np.add.at(self.excess, tail, capacity)
        np.subtract.at(self.excess, head, capacity)
        self._build_residual_matrix()

    def solve(self) -> np.ndarray:
        """Remaining debt per arc, optimal."""
        while (sources := np.flatnonzero(self.excess > 0)).size:
            reached = self._raise_potentials(sources)
            if not self._push_along_shortest_routes(sources, reached):
                raise RuntimeError("a primal-dual phase moved no debt")  # cannot happen; never loop
        return self.remaining

    def _build_residual_matrix(self):
        """One CSR matrix of all residual arcs for Dijkstra, built once; phases rewrite only
        its weights (inf where an arc has no residual capacity).

        Entry (u, v) can come from two residual arcs: u->v forward and, when v also owes u,
        v->u backward. `first`/`second` index them among the 2E residual weights (2E meaning
        "none"), and a phase keeps the cheaper."""
        arcs, nodes = self.tail.size, self.nodes
        key = np.concatenate([self.tail * nodes + self.head, self.head * nodes + self.tail])
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        starts = np.flatnonzero(np.diff(sorted_key, prepend=-1) != 0)
        has_second = np.r_[sorted_key[1:] == sorted_key[:-1], False][starts]
        self.first = order[starts]
        self.second = np.where(has_second, order[np.minimum(starts + 1, 2 * arcs - 1)], 2 * arcs)
        entry_key = sorted_key[starts]
        indptr = np.r_[0, np.cumsum(np.bincount(entry_key // nodes, minlength=nodes))]
        self.matrix = csr_array(
            (np.zeros(starts.size), (entry_key % nodes).astype(np.int32), indptr.astype(np.int32)),
            shape=(nodes, nodes),
        )
        self.weight = np.empty(2 * arcs + 1)
        self.weight[-1] = np.inf

    def _reduced_cost(self):
        return 1 + self.potential[self.tail] - self.potential[self.head]

    def _raise_potentials(self, sources) -> np.ndarray:
        """Add to each potential its reduced-cost distance from the nearest company with
        excess; return which companies that search reached."""
        arcs = self.tail.size
        reduced = self._reduced_cost()
        self.weight[:arcs] = np.where(self.remaining < self.capacity, reduced, np.inf)
        self.weight[arcs:-1] = np.where(self.remaining > 0, -reduced, np.inf)
        self.matrix.data = np.minimum(self.weight[self.first], self.weight[self.second])
        distance = csgraph.dijkstra(self.matrix, indices=sources, min_only=True)
        reached = np.isfinite(distance)
        # Unreached companies get the largest distance, which keeps their arcs' reduced costs
        # >= 0 too (a residual arc never leads from a reached company to an unreached one).
        self.potential += np.where(reached, distance, distance[reached].max()).astype(np.int64)
        return reached

    def _push_along_shortest_routes(self, sources, reached) -> int:
        """Maximum flow from the companies with excess to those short of debt over the
        zero-reduced-cost residual arcs among the reached companies; return the debt moved."""
        tight = (self._reduced_cost() == 0) & reached[self.tail] & reached[self.head]
        forward = np.flatnonzero(tight & (self.remaining < self.capacity))
        backward = np.flatnonzero(tight & (self.remaining > 0))
        sinks = np.flatnonzero(self.excess < 0)
        source_node, sink_node = self.nodes, self.nodes + 1
        solver = max_flow.SimpleMaxFlow()
        arcs = solver.add_arcs_with_capacity(
            np.concatenate([self.tail[forward], self.head[backward], np.full(sources.size, source_node), sinks]),
            np.concatenate([self.head[forward], self.tail[backward], sources, np.full(sinks.size, sink_node)]),
            np.concatenate([
                self.capacity[forward] - self.remaining[forward],
                self.remaining[backward],
                self.excess[sources],
                -self.excess[sinks],
            ]),
        )
        status = solver.solve(source_node, sink_node)
        if status != solver.OPTIMAL:
            raise RuntimeError(f"OR-Tools max flow failed: {status}")
        flow = np.asarray(solver.flows(arcs), np.int64)
        pieces = np.cumsum([forward.size, backward.size, sources.size])
        self.remaining[forward] += flow[: pieces[0]]
        self.remaining[backward] -= flow[pieces[0] : pieces[1]]
        self.excess[sources] -= flow[pieces[1] : pieces[2]]
        self.excess[sinks] += flow[pieces[2] :]
        return solver.optimal_flow()
