"""`python -m bench.debt_replan`: a clearing run's first plan and its re-plan after a rejection,
at engine level, on issue 7's synthetic 1M-obligation book.

The book is bench/debt_clearing.py's generator (same seed and sizes), turned into the arrays a
clearing run snapshots (`debt.clearing_book.Book`: obligation ids, debtor, creditor, fen, due day).
Times, with the very functions `debt.runs.plan_clearing_run` calls:
  1. the first plan: `plan_setoff(book)` (engine + verify_setoff) and `parts(book, setoff)` (each
     affected company's part and digest);
  2. the re-plan after the best-connected company (most obligations) rejects: `plan_setoff(book,
     [company])` and `parts` again, and how many parts changed (they must be confirmed again).
Each timing is the median of three runs; the first plan is also split into engine + verify
and parts. Prints one JSON line; touches no database.
Scale down for a quick run: BENCH_DEBT_OBLIGATIONS=100000 python -m bench.debt_replan
"""

import json
import os
import sys
import time

import numpy as np

from bench.debt_clearing import (
    COMPANIES,
    CROSS_GROUP,
    CROSS_GROUP_SHARE,
    GROUP_SIZE,
    OBLIGATIONS,
    SEED,
    synthetic_book,
    yuan,
)
from debt.clearing_book import Book, parts, plan_setoff

RUNS = 3


def timed(function, *args):
    results, seconds = [], []
    for _run in range(RUNS):
        started = time.perf_counter()
        results.append(function(*args))
        seconds.append(time.perf_counter() - started)
    return float(np.median(seconds)), sorted(round(value, 3) for value in seconds), results[0]


def plan(book, excluded=()):
    setoff = plan_setoff(book, excluded)
    return setoff, parts(book, setoff)


def main():
    debtor, creditor, amount_fen = synthetic_book(
        OBLIGATIONS, COMPANIES, group_size=GROUP_SIZE, cross_share=CROSS_GROUP_SHARE, cross_group=CROSS_GROUP,
        seed=SEED)
    rng = np.random.default_rng(SEED + 1)
    book = Book(obligation=np.arange(1, debtor.size + 1, dtype=np.int64), debtor=debtor.astype(np.int64) + 1,
                creditor=creditor.astype(np.int64) + 1, amount_fen=amount_fen.astype(np.int64),
                due_day=(20_000 + rng.integers(0, 365, debtor.size)).astype(np.int32))
    snapshot_started = time.perf_counter()
    stored = book.to_bytes()
    book = Book.from_bytes(stored)
    snapshot_seconds = time.perf_counter() - snapshot_started

    engine_seconds, _engine_runs, _setoff = timed(plan_setoff, book)
    parts_seconds, _parts_runs, _parts = timed(parts, book, _setoff)
    first_seconds, first_runs, (setoff, first_parts) = timed(plan, book)
    print(f"[bench] first plan {first_runs}", file=sys.stderr, flush=True)
    rejecting = int(np.bincount(np.concatenate([book.debtor, book.creditor])).argmax())
    replan_seconds, replan_runs, (resetoff, replan_parts) = timed(plan, book, [rejecting])
    print(f"[bench] re-plan {replan_runs}", file=sys.stderr, flush=True)

    removed = int(((book.debtor == rejecting) | (book.creditor == rejecting)).sum())
    changed = sum(1 for company, part in replan_parts.items()
                  if company not in first_parts or first_parts[company].digest != part.digest)
    unchanged = sum(1 for company, part in replan_parts.items()
                    if company in first_parts and first_parts[company].digest == part.digest)
    summary = {
        "book": {"obligations": book.size, "companies": int(np.unique(np.concatenate([book.debtor,
                                                                                         book.creditor])).size),
                 "group_size": GROUP_SIZE, "cross_group": CROSS_GROUP, "seed": SEED},
        "snapshot_roundtrip_seconds": round(snapshot_seconds, 3),
        "snapshot_bytes": len(stored),
        "first_plan_seconds": round(first_seconds, 3),  # engine + verify + parts, as the run service
        "first_plan_engine_and_verify_seconds": round(engine_seconds, 3),
        "first_plan_parts_seconds": round(parts_seconds, 3),
        "first_plan_seconds_runs": first_runs,
        "replan_seconds": round(replan_seconds, 3),
        "replan_seconds_runs": replan_runs,
        "first_plan": {"cleared_yuan": yuan(int(setoff.sum())), "obligations_set_off": int((setoff > 0).sum()),
                       "companies_affected": len(first_parts)},
        "replan": {"company_rejecting": rejecting, "obligations_removed": removed,
                   "cleared_yuan": yuan(int(resetoff.sum())), "obligations_set_off": int((resetoff > 0).sum()),
                   "companies_affected": len(replan_parts), "parts_to_confirm_again": changed,
                   "parts_unchanged": unchanged,
                   "companies_dropped_out": len(set(first_parts) - set(replan_parts) - {rejecting})},
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
