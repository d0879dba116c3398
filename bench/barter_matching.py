"""Barter matching benchmark: `manage.py match_barter` end to end beside HiGHS on the same book.

    .venv/bin/python -m bench.barter_matching

Generates seeded synthetic books that look like the paper trade: 20–50 categories with their own
going price and popularity; companies that offer goods in one to three categories and want goods in
one to three others; lot sizes with a long tail (a few major clients with big lots); sellers asking a
little over the going price and buyers capping a little under it, so only some pairs can trade; cash
limits from none (pure barter, three companies in ten) to a fifth of a company's business.

For each size it times `manage.py match_barter BOOK.json OUT.json` as a subprocess (Python and Django
start-up, reading, checking, matching, writing; the fastest of BARTER_BENCH_REPEAT runs counts) and,
beside it, HiGHS (scipy.optimize.linprog, method="highs") solving the straightforward LP: one variable
per (have, want) pair that may trade and one cash variable per company. The totals must agree to the
fen. Prints one JSON line with the figures and the targets met.

Environment (defaults in brackets):
    BARTER_BENCH_SIZES    listings:companies,...  [20000:2000,200000:20000]
    BARTER_BENCH_HIGHS    the sizes HiGHS solves: listings,... or "all" or "none"  [20000]
                          (100k listings: 3.2M pairs, 11 minutes; 200k: 12.5M pairs, more than
                          14 GiB of memory)
    BARTER_BENCH_REPEAT   end-to-end runs per size  [3]
    BARTER_BENCH_SEED     [8]
    BARTER_BENCH_ASK      how far over (under) the going price sellers ask (buyers cap)  [0.05]
    BARTER_BENCH_SPREAD   the spread of both around that  [0.04]: 4% of same-category pairs may
                          trade; ASK=0.04 SPREAD=0.05 makes a denser market (13%)
Quick run: BARTER_BENCH_SIZES=2000:200 BARTER_BENCH_HIGHS=all BARTER_BENCH_REPEAT=1
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix, vstack

from barter.matching import Book

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"20k_seconds": 2.0, "200k_seconds": 20.0, "speedup_over_highs": 1.0, "stretch_speedup": 2.0}
CATEGORY_NAMES = ["瓦楞原纸", "箱板纸", "白卡纸", "灰底白板纸", "铜版纸", "双胶纸", "新闻纸", "生活用纸原纸",
                  "牛皮纸", "静电复印纸", "特种纸", "废纸OCC", "漂白针叶浆", "漂白阔叶浆", "化机浆"]


# --- synthetic books -------------------------------------------------------------------------

def synthetic_book(*, listings: int, companies: int, seed: int, ask: float = 0.05, spread: float = 0.04) -> dict:
    """A seeded book as integer arrays (fen, thousandths) and its number of categories.

    Sellers ask `ask` over a category's going price and buyers cap `ask` under it, each give or
    take `spread` (log-normal): with the defaults about 4% of same-category (have, want) pairs may
    trade. Unit values are whole yuan, as per-tonne paper prices are quoted.
    """
    rng = np.random.default_rng(seed)
    categories = int(np.clip(listings // 2000 + 20, 20, 50))
    base_price = rng.integers(2_000, 9_000, categories) * 100  # fen per tonne
    popularity = rng.dirichlet(np.full(categories, 2.0))

    # Each company offers in 1–3 categories and wants in 1–3 others; some are much bigger.
    offered = [rng.choice(categories, rng.integers(1, 4), replace=False, p=popularity) for _ in range(companies)]
    wanted = []
    for own in offered:
        others = np.setdiff1d(np.arange(categories), own)
        weights = popularity[others] / popularity[others].sum()
        wanted.append(rng.choice(others, rng.integers(1, 4), replace=False, p=weights))
    size = rng.lognormal(0.0, 1.0, companies)
    company_of_listing = rng.choice(companies, listings, p=size / size.sum())
    is_have = rng.random(listings) < 0.5

    def pick(choices, who):
        return np.array([choices[c][rng.integers(len(choices[c]))] for c in who], dtype=np.int64)

    have_company, want_company = company_of_listing[is_have], company_of_listing[~is_have]
    have_category, want_category = pick(offered, have_company), pick(wanted, want_company)
    have_tonnes = rng.lognormal(np.log(30), 1.0, len(have_company)) * np.sqrt(size[have_company])
    want_tonnes = rng.lognormal(np.log(30), 1.0, len(want_company)) * np.sqrt(size[want_company])
    # Sellers ask a little over the going price, buyers cap a little under it.
    have_price = base_price[have_category] * rng.lognormal(ask, spread, len(have_company))
    want_price = base_price[want_category] * rng.lognormal(-ask, spread, len(want_company))
    have_unit_value = np.round(have_price / 100).astype(np.int64) * 100
    want_max_unit_value = np.round(want_price / 100).astype(np.int64) * 100
    have_quantity = np.maximum(np.round(have_tonnes * 1000), 1).astype(np.int64)
    want_budget = np.round(want_tonnes * base_price[want_category] / 100).astype(np.int64) * 100
    business = np.bincount(have_company, have_quantity * have_unit_value / 1000, companies)
    cash_limit = np.where(rng.random(companies) < 0.3, 0,
                          np.round(business * rng.uniform(0.02, 0.2, companies) / 10000) * 10000).astype(np.int64)
    return {
        "categories": categories,
        "book": Book(cash_limit=cash_limit, have_company=have_company, have_category=have_category,
                     have_quantity=have_quantity, have_unit_value=have_unit_value, want_company=want_company,
                     want_category=want_category, want_budget=want_budget, want_max_unit_value=want_max_unit_value),
    }


def category_name(category: int) -> str:
    return f"{CATEGORY_NAMES[category % len(CATEGORY_NAMES)]}-{category // len(CATEGORY_NAMES) + 1}"


def money(fen) -> str:
    return f"{int(fen) // 100}.{int(fen) % 100:02d}"


def book_json(book: Book) -> dict:
    """The BOOK.json of `manage.py match_barter` for a synthetic book."""
    return {
        "companies": [{"id": f"C{c:05d}", "cash_limit": money(limit)} for c, limit in enumerate(book.cash_limit)],
        "haves": [
            {"id": f"H{h:06d}", "company": f"C{company:05d}", "category": category_name(category),
             "quantity": f"{quantity // 1000}.{quantity % 1000:03d}", "unit_value": money(unit_value)}
            for h, (company, category, quantity, unit_value) in enumerate(zip(
                book.have_company.tolist(), book.have_category.tolist(), book.have_quantity.tolist(),
                book.have_unit_value.tolist(), strict=True))
        ],
        "wants": [
            {"id": f"W{w:06d}", "company": f"C{company:05d}", "category": category_name(category),
             "budget": money(budget), "max_unit_value": money(max_unit_value)}
            for w, (company, category, budget, max_unit_value) in enumerate(zip(
                book.want_company.tolist(), book.want_category.tolist(), book.want_budget.tolist(),
                book.want_max_unit_value.tolist(), strict=True))
        ],
    }


# --- the straightforward LP --------------------------------------------------------------------

def tradable_pairs(book: Book) -> tuple[np.ndarray, np.ndarray]:
    """Every (have, want) of one category where the have's unit value is within the want's maximum."""
    order = np.lexsort((book.have_unit_value, book.have_category))
    span = int(max(book.have_unit_value.max(initial=0), book.want_max_unit_value.max(initial=0))) + 1
    have_key = (book.have_category * span + book.have_unit_value)[order]
    first = np.searchsorted(have_key, book.want_category * span, side="left")
    # Within a category the haves are by price, so the affordable ones run from its first have.
    affordable = np.searchsorted(have_key, book.want_category * span + book.want_max_unit_value, side="right")
    counts = affordable - first
    want = np.repeat(np.arange(len(first)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return order[np.repeat(first, counts) + offsets], want


def tradable_pair_count(book: Book) -> int:
    """How many (have, want) pairs may trade, without listing them."""
    order = np.lexsort((book.have_unit_value, book.have_category))
    span = int(max(book.have_unit_value.max(initial=0), book.want_max_unit_value.max(initial=0))) + 1
    have_key = (book.have_category * span + book.have_unit_value)[order]
    first = np.searchsorted(have_key, book.want_category * span, side="left")
    affordable = np.searchsorted(have_key, book.want_category * span + book.want_max_unit_value, side="right")
    return int((affordable - first).sum())


def highs_total(book: Book) -> dict:
    """Maximum goods value by HiGHS on the pair LP (build and solve timed apart)."""
    started = time.perf_counter()
    have, want = tradable_pairs(book)
    pairs, companies = len(have), book.companies
    haves, wants = len(book.have_company), len(book.want_company)
    columns = np.arange(pairs)
    limits = vstack([
        coo_matrix((np.ones(pairs), (have, columns)), shape=(haves, pairs + companies)),
        coo_matrix((np.ones(pairs), (want, columns)), shape=(wants, pairs + companies)),
    ]).tocsr()
    # Per company: goods given − goods received − cash received = 0.
    balance = csr_matrix((
        np.concatenate([np.ones(pairs), -np.ones(pairs), -np.ones(companies)]),
        (np.concatenate([book.have_company[have], book.want_company[want], np.arange(companies)]),
         np.concatenate([columns, columns, pairs + np.arange(companies)])),
    ), shape=(companies, pairs + companies))
    bounds = np.zeros((pairs + companies, 2))
    bounds[:pairs, 1] = np.inf
    bounds[pairs:, 0], bounds[pairs:, 1] = -book.cash_limit, book.cash_limit
    objective = np.concatenate([-np.ones(pairs), np.zeros(companies)])
    built = time.perf_counter()
    result = linprog(objective, A_ub=limits, b_ub=np.concatenate([book.have_value, book.want_budget]),
                     A_eq=balance, b_eq=np.zeros(companies), bounds=bounds, method="highs")
    solved = time.perf_counter()
    if result.status != 0:
        raise RuntimeError(f"HiGHS: {result.message}")
    return {"pairs": pairs, "total_fen": round(-result.fun), "build_seconds": round(built - started, 3),
            "solve_seconds": round(solved - built, 3)}


# --- end to end ------------------------------------------------------------------------------

def run_command(book_path: Path, out_path: Path) -> tuple[float, dict]:
    """Seconds `manage.py match_barter` took, as a fresh process, and its summary line."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "manage.py", "match_barter", str(book_path), str(out_path)],
                               cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode:
        raise RuntimeError(f"match_barter failed ({completed.returncode}): {completed.stderr}")
    return seconds, json.loads(completed.stdout.strip().splitlines()[-1])


def to_fen(text: str) -> int:
    whole, _, cents = text.lstrip("-").partition(".")
    return (-1 if text.startswith("-") else 1) * (int(whole) * 100 + int(cents.ljust(2, "0")))


def out_total(out_path: Path) -> int:
    """The OUT file's transfers summed again, to check the summary line against what was written."""
    content = json.loads(out_path.read_text(encoding="utf-8"))
    return sum(to_fen(transfer["value"]) for transfer in content["transfers"])


def measure(listings: int, companies: int, *, market: dict, seed: int, repeat: int, with_highs: bool,
            workdir: Path) -> dict:
    made = synthetic_book(listings=listings, companies=companies, seed=seed, **market)
    book = made["book"]
    book_path, out_path = workdir / f"book-{listings}.json", workdir / f"out-{listings}.json"
    book_path.write_text(json.dumps(book_json(book), ensure_ascii=False), encoding="utf-8")
    runs = [run_command(book_path, out_path) for _ in range(repeat)]
    seconds, summary = min(runs, key=lambda run: run[0])
    total = to_fen(summary["total_value"])
    figures = {
        "listings": listings, "companies": companies, "categories": made["categories"],
        "tradable_pairs": tradable_pair_count(book),
        "end_to_end_seconds": round(seconds, 3),
        "end_to_end_runs": [round(run[0], 3) for run in runs],
        "command_seconds": summary["seconds"],  # inside the command, after Python and Django start
        "total_value": summary["total_value"], "transfers": summary["transfers"], "deals": summary["deals"],
        "largest_deal_companies": summary["largest_deal_companies"],
        "out_file_agrees": out_total(out_path) == total,
    }
    if with_highs:
        highs = highs_total(book)
        figures["highs"] = highs
        figures["highs_agrees_to_the_fen"] = highs["total_fen"] == total
        figures["speedup_over_highs_solve"] = round(highs["solve_seconds"] / seconds, 2)
    print(f"[bench] {json.dumps(figures, ensure_ascii=False)}", file=sys.stderr, flush=True)
    return figures


def targets_met(results: dict) -> dict:
    targets = {}
    small, large = results.get("20000"), results.get("200000")
    if small:
        targets["20k_within_2s"] = small["end_to_end_seconds"] <= TARGETS["20k_seconds"]
        if "highs" in small:
            targets["20k_optimal_to_the_fen"] = small["highs_agrees_to_the_fen"]
            targets["20k_not_slower_than_highs"] = small["speedup_over_highs_solve"] >= TARGETS["speedup_over_highs"]
            targets["20k_twice_as_fast_as_highs"] = small["speedup_over_highs_solve"] >= TARGETS["stretch_speedup"]
    if large:
        targets["200k_within_20s"] = large["end_to_end_seconds"] <= TARGETS["200k_seconds"]
        if "highs" in large:
            targets["200k_optimal_to_the_fen"] = large["highs_agrees_to_the_fen"]
    for size, figures in results.items():
        targets[f"{size}_out_file_agrees"] = figures["out_file_agrees"]
        if "highs" in figures and size not in ("20000", "200000"):
            targets[f"{size}_optimal_to_the_fen"] = figures["highs_agrees_to_the_fen"]
    return targets


def main() -> int:
    sizes = [tuple(int(part) for part in size.split(":"))
             for size in os.environ.get("BARTER_BENCH_SIZES", "20000:2000,200000:20000").split(",")]
    highs_sizes = os.environ.get("BARTER_BENCH_HIGHS", "20000")
    market = {"ask": float(os.environ.get("BARTER_BENCH_ASK", "0.05")),
              "spread": float(os.environ.get("BARTER_BENCH_SPREAD", "0.04"))}
    seed = int(os.environ.get("BARTER_BENCH_SEED", "8"))
    repeat = int(os.environ.get("BARTER_BENCH_REPEAT", "3"))
    results = {}
    with tempfile.TemporaryDirectory(prefix="barter-bench-") as workdir:
        for listings, companies in sizes:
            with_highs = highs_sizes == "all" or str(listings) in highs_sizes.split(",")
            results[str(listings)] = measure(listings, companies, market=market, seed=seed, repeat=repeat,
                                             with_highs=with_highs, workdir=Path(workdir))
    targets = targets_met(results)
    print(json.dumps({"barter_matching": results, "market": market, "seed": seed, "targets": targets},
                     ensure_ascii=False))
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
