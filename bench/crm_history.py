"""`python -m bench.crm_history`: the tier review and the reorder-reminder computation on a large
synthetic history (issue 6: 100,000 companies, 5,000,000 order lines, ≤ 60 s each).

1. Creates a separate database `bench_crm` next to the one in DATABASE_URL (dropped and made
   again, so the development data is never touched; `--reuse` keeps an already filled one) and
   migrates it.
2. Fills it with set-based SQL (INSERT … SELECT generate_series, no ORM per row): `--companies`
   buying companies (verified 0–10 years ago) plus 1 % as sellers, 50 categories, 2,000 products,
   and orders over the last two years with 1–9 lines each (5 on average) until `--lines` lines.
   Buyers are skewed (a few buy a lot), so every tier occurs; each buyer returns to three
   favourite products, so purchase cycles exist for the reminders; 3 % of orders are cancelled,
   2 % partly refunded.
3. Times `crm.tiers.review_tiers` twice (the first run moves most companies out of "ordinary"
   and writes their changes; the second finds nothing to change) and, when the module exists,
   `crm.reminders.compute_reminders`. Prints one JSON line with the seconds and the targets.

Run through devtools.embedded (the Makefile does) so DATABASE_URL is set:
    python -m devtools.embedded -- python -m bench.crm_history --companies 10000 --lines 500000
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "bench_crm"
TARGET_SECONDS = 60.0
CATEGORIES = 50
PRODUCTS = 2000
CHUNK = 200_000  # orders per INSERT, so progress shows and one statement stays moderate


def log(message):
    print(f"[crm_history] {message}", file=sys.stderr, flush=True)


def bench_database_url(url):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def recreate_database(url):
    import dj_database_url
    import psycopg2

    settings = dj_database_url.parse(url)
    connection = psycopg2.connect(dbname=settings["NAME"], host=settings["HOST"] or None,
                                  port=settings["PORT"] or None, user=settings["USER"] or None,
                                  password=settings["PASSWORD"] or None)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    finally:
        connection.close()


def migrate(env):
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env,
                   check=True)


# Line k of order i: a deterministic quantity, price and product, so order totals are the sums of
# their lines without a second pass. Order i has 1 + (i * 7919) % 9 lines (5 on average).
# (`%%` is SQL's modulo escaped for the driver: these go into statements run with parameters.)
LINES_OF = "(1 + ({i} * 7919) %% 9)"
QUANTITY = "(0.5 + (({i} * 31 + {k} * 17) %% 20) / 4.0)"
PRICE = "(3000 + (({i} * 131 + {k} * 71) %% 5000))"


def _expr(template, i, k="0"):
    return template.format(i=i, k=k)


def fill(cursor, *, companies, lines):
    sellers = max(companies // 100, 10)
    orders = max(lines // 5, 1)
    log(f"companies: {companies} buyers + {sellers} sellers")
    cursor.execute("""
        INSERT INTO accounts_company (id, name, short_name, unified_social_credit_code, legal_representative,
            legal_representative_id_number, business_scope, contact_name, contact_phone, contact_email,
            taxpayer_type, invoice_title, tax_number, invoice_address, invoice_phone, bank_name, bank_account,
            status, verified_at, created_at, updated_at)
        SELECT g, '基准纸业' || g || '有限公司', '', lpad(g::text, 18, '0'), '张三', '', '', '', '', '', '', '',
               '', '', '', '', '', 'verified',
               now() - make_interval(days => (g * 37) %% 3650), now() - make_interval(days => (g * 37) %% 3650 + 10),
               now()
        FROM generate_series(1, %s) g
    """, [companies + sellers])
    cursor.execute("SELECT setval(pg_get_serial_sequence('accounts_company', 'id'), %s)", [companies + sellers])
    cursor.execute("""
        INSERT INTO catalog_category (id, name, name_en, slug, position, is_active)
        SELECT 100000 + g, '基准类目' || g, 'Bench ' || g, 'bench-category-' || g, g, true
        FROM generate_series(1, %s) g
    """, [CATEGORIES])
    cursor.execute("""
        INSERT INTO catalog_product (id, title, description, attributes, unit, price, min_order_quantity, status,
            is_featured, created_at, updated_at, category_id, seller_id, rejection_reason, seller_sku,
            stock_on_hand, stock_reserved)
        SELECT g, '基准商品' || g, '', '{}'::jsonb, 'ton', 5000, 1, 'published', false, now(), now(),
               100000 + 1 + g %% %(categories)s, %(buyers)s + 1 + g %% %(sellers)s, '', '', 1000000, 0
        FROM generate_series(1, %(products)s) g
    """, {"categories": CATEGORIES, "buyers": companies, "sellers": sellers, "products": PRODUCTS})
    for table in ("catalog_category", "catalog_product"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")

    i = "g"
    total = (f"(SELECT round(sum({_expr(QUANTITY, i, 'k')} * {_expr(PRICE, i, 'k')}), 2) "
             f"FROM generate_series(1, {_expr(LINES_OF, i)}) k)")
    # Buyers skewed towards low ids (random()^3): a few big buyers, a long tail.
    buyer = "1 + floor(%(companies)s * power(((g * 2654435761) %% 1000003) / 1000003.0, 3))::bigint"
    placed = "now() - make_interval(mins => ((g * 48271) %% (730 * 1440))::int)"
    status = ("CASE WHEN g %% 100 < 3 THEN 'cancelled' WHEN g %% 100 < 6 THEN 'paid' "
              "WHEN g %% 100 < 8 THEN 'shipped' ELSE 'completed' END")
    started = time.monotonic()
    for first in range(1, orders + 1, CHUNK):
        last = min(first + CHUNK - 1, orders)
        cursor.execute(f"""
            INSERT INTO orders_order (id, number, buyer_id, seller_id, status, total, amount_paid, amount_refunded,
                payment_method, buyer_note, resume_status, buyer_snapshot, seller_snapshot, placed_at, paid_at,
                cancel_reason, updated_at)
            SELECT g, 'BENCH' || lpad(g::text, 12, '0'), b.buyer, %(companies)s + 1 + g %% %(sellers)s, s.status,
                   t.total,
                   CASE WHEN s.status = 'cancelled' THEN 0 ELSE t.total END,
                   CASE WHEN s.status = 'completed' AND g %% 50 = 0 THEN round(t.total / 10, 2) ELSE 0 END,
                   'transfer', '', '', '{{}}'::jsonb, '{{}}'::jsonb, p.placed,
                   CASE WHEN s.status = 'cancelled' THEN NULL ELSE p.placed + interval '2 hours' END, '', now()
            FROM generate_series(%(first)s::bigint, %(last)s::bigint) g
            CROSS JOIN LATERAL (SELECT {buyer} AS buyer) b
            CROSS JOIN LATERAL (SELECT {placed} AS placed) p
            CROSS JOIN LATERAL (SELECT {status} AS status) s
            CROSS JOIN LATERAL (SELECT {total} AS total) t
        """, {"companies": companies, "sellers": sellers, "first": first, "last": last})
        cursor.execute(f"""
            INSERT INTO orders_orderline (order_id, product_id, category_id, title, seller_sku, attributes, unit,
                quantity, unit_price, list_price, price_tiers, amount)
            SELECT o.id, pr.product, 100000 + 1 + pr.product %% %(categories)s, '基准商品', '', '{{}}'::jsonb, 'ton',
                   {_expr(QUANTITY, 'o.id', 'k')}, {_expr(PRICE, 'o.id', 'k')}, {_expr(PRICE, 'o.id', 'k')},
                   '[]'::jsonb, round({_expr(QUANTITY, 'o.id', 'k')} * {_expr(PRICE, 'o.id', 'k')}, 2)
            FROM orders_order o
            CROSS JOIN LATERAL generate_series(1, {_expr(LINES_OF, 'o.id')}) k
            CROSS JOIN LATERAL (SELECT 1 + (o.buyer_id * 13 + k %% 3) %% %(products)s AS product) pr
            WHERE o.id BETWEEN %(first)s AND %(last)s
        """, {"categories": CATEGORIES, "products": PRODUCTS, "first": first, "last": last})
        log(f"orders {last}/{orders} ({time.monotonic() - started:.0f} s)")
    cursor.execute("SELECT setval(pg_get_serial_sequence('orders_order', 'id'), %s)", [orders])
    cursor.execute("SELECT count(*) FROM orders_orderline")
    (line_count,) = cursor.fetchone()
    return {"buyers": companies, "sellers": sellers, "orders": orders, "order_lines": line_count,
            "fill_seconds": round(time.monotonic() - started, 1)}


def timed(function, **kwargs):
    started = time.monotonic()
    result = function(**kwargs)
    return round(time.monotonic() - started, 2), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=int(os.environ.get("BENCH_CRM_COMPANIES", "100000")))
    parser.add_argument("--lines", type=int, default=int(os.environ.get("BENCH_CRM_LINES", "5000000")))
    parser.add_argument("--reuse", action="store_true", help="keep an already filled bench_crm database")
    args = parser.parse_args(argv)

    source_url = os.environ.get("DATABASE_URL")
    if not source_url:
        sys.exit("DATABASE_URL is not set: run through `python -m devtools.embedded -- python -m bench.crm_history`")
    url = bench_database_url(source_url)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tradeplatform.settings",
           "CELERY_TASK_ALWAYS_EAGER": "1"}
    summary = {"database": BENCH_DB}
    if not args.reuse:
        log(f"creating database {BENCH_DB}")
        recreate_database(source_url)
        migrate(env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import Count

    from crm import tiers
    from crm.models import ClientProfile

    if not args.reuse:
        with transaction.atomic(), connection.cursor() as cursor:
            summary.update(fill(cursor, companies=args.companies, lines=args.lines))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        # A reused database: put every company back to ordinary so the first review does the full work.
        ClientProfile.objects.all().delete()

    log("tier review (first run)")
    seconds, review = timed(tiers.review_tiers)
    summary.update({"review_tiers_seconds": seconds, "review_companies": review.companies_reviewed,
                    "review_changes": review.changes})
    log("tier review (second run)")
    seconds, again = timed(tiers.review_tiers)
    summary.update({"review_tiers_again_seconds": seconds, "review_again_changes": again.changes})
    summary["tiers"] = dict(ClientProfile.objects.values_list("tier").annotate(n=Count("id")).order_by("tier"))

    try:
        from crm.reminders import compute_reminders
    except ImportError:
        summary["compute_reminders_seconds"] = None
    else:
        log("reorder reminders")
        seconds, created = timed(compute_reminders)
        summary.update({"compute_reminders_seconds": seconds, "reminders": created})
        seconds, created = timed(compute_reminders)
        summary.update({"compute_reminders_again_seconds": seconds, "reminders_again": created})

    summary["target_seconds"] = TARGET_SECONDS
    summary["within_target"] = all(
        value is None or value <= TARGET_SECONDS
        for key, value in summary.items() if key.endswith("_seconds") and key != "fill_seconds")
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
