"""`make bench` (checkout): 32 buyers place orders at once through POST /api/v1/orders/ against
gunicorn, each with its own company and API key, and the stock ledger is checked afterwards.

Phase 1 (throughput): every buyer places BENCH_CHECKOUT_ORDERS orders (default 40), one to three
lines each over 12 products of 4 sellers, with an Idempotency-Key like a real ERP. Reported as
orders/s with p50/p99 latency. Target: ≥ 100 orders/s.
Phase 2 (oversell): the same 32 buyers race 5 times each for the last 50 units of one product:
exactly 50 orders may succeed and every other attempt must be refused with `insufficient_stock`.
Then for every product the ledger must add up to its totals and its reserved quantity must equal
the active reservations of its orders. Prints one JSON summary; exits 1 when a check fails.

Run through devtools.embedded (the Makefile does) so DATABASE_URL and REDIS_URL are set.
"""

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from bench.run import ROOT, free_port, wait_until_up

BUYERS = 32
ORDERS_PER_BUYER = int(os.environ.get("BENCH_CHECKOUT_ORDERS", "40"))
WORKERS = os.environ.get("BENCH_CHECKOUT_WORKERS", "4")
HOT_UNITS = 50
HOT_ATTEMPTS_PER_BUYER = 5
TARGET_ORDERS_PER_SECOND = 100.0


# --- inside Django (run through `manage.py shell`) --------------------------------------------------

def _credit_code(seed):
    import hashlib

    from accounts.validators import CREDIT_CODE_CHARSET, credit_code_check_char

    digest = hashlib.sha256(seed.encode()).digest()
    first17 = "91310000" + "".join(CREDIT_CODE_CHARSET[byte % 31] for byte in digest[:9])
    return first17 + credit_code_check_char(first17)


def _company(tag, name):
    from accounts import services as account_services
    from accounts.models import Company
    from core.models import Region

    user = account_services.create_user(email=f"bench-{tag}-{uuid.uuid4().hex[:8]}@example.cn",
                                        password=uuid.uuid4().hex, full_name=name[:10], email_verified=True)
    province = Region.objects.get(level="province", name="浙江省")
    return account_services.register_company(
        name=f"{name}（压测{tag}）", main_user=user, province=province, city=province.cities.get(name="杭州"),
        status=Company.Status.VERIFIED, unified_social_credit_code=_credit_code(f"{tag}-{name}"),
        legal_representative="张三", legal_representative_id_number="11010519491231002X",
    ), user


def setup_world(tag):
    """Sellers with stocked products, 32 buyer companies with a `purchasing` key each."""
    from decimal import Decimal

    from catalog.models import Category, PriceTier, Product
    from catalog.services import receive_stock
    from core import apikeys

    # A leaf of the demo tree (bench.run seeds it); on an empty database, a leaf of our own.
    category = Category.objects.filter(is_active=True, children__isnull=True, parent__isnull=False).first()
    if category is None:
        root = Category.objects.create(slug=f"bench-{tag}", name="纸张（压测）")
        category = Category.objects.create(slug=f"bench-{tag}-board", name="白卡纸（压测）", parent=root)
    products, hot = [], None
    for s in range(4):
        seller, seller_user = _company(tag, f"压测卖家{s}纸业有限公司")
        for p in range(3 if s else 4):
            product = Product.objects.create(
                seller=seller, category=category, title=f"压测白卡纸 {s}-{p}", price=Decimal("4800.00"),
                status=Product.Status.PUBLISHED, min_order_quantity=Decimal("1"))
            PriceTier.objects.create(product=product, min_quantity=Decimal("10"), unit_price=Decimal("4700.00"))
            units = HOT_UNITS if (s, p) == (0, 3) else 1_000_000
            receive_stock(by=seller_user, product_id=product.pk, quantity=units, reason="压测入库")
            if (s, p) == (0, 3):
                hot = product.pk
            else:
                products.append(product.pk)
    keys = []
    for b in range(BUYERS):
        buyer, buyer_user = _company(tag, f"压测买家{b}包装有限公司")
        _key, raw = apikeys.issue_api_key(company=buyer, created_by=buyer_user, name="bench", scopes=["purchasing"])
        keys.append(raw)
    print(json.dumps({"products": products, "hot": hot, "keys": keys}))


def verify(tag, product_ids):
    """Ledger totals, reservations and orders agree for every product."""
    from django.db.models import Sum

    from catalog.models import Product, StockReservation
    from catalog.selectors import ledger_totals
    from orders.models import OrderLine

    problems, figures = [], {}
    for product in Product.objects.filter(pk__in=product_ids):
        totals = ledger_totals(product.pk)
        if (totals["on_hand"], totals["reserved"]) != (product.stock_on_hand, product.stock_reserved):
            problems.append(f"{product.pk}: ledger {totals} != totals {product.stock_on_hand}/{product.stock_reserved}")
        active = StockReservation.objects.filter(product=product, status="active").aggregate(q=Sum("quantity"))["q"]
        ordered = OrderLine.objects.filter(product=product, reservation__status="active").aggregate(
            q=Sum("quantity"))["q"]
        if (active or 0) != product.stock_reserved or (ordered or 0) != product.stock_reserved:
            problems.append(f"{product.pk}: reserved {product.stock_reserved}, active {active}, ordered {ordered}")
        if product.stock_reserved > product.stock_on_hand:
            problems.append(f"{product.pk}: oversold")
        figures[product.pk] = {"orders": OrderLine.objects.filter(product=product).count(),
                               "reserved": str(product.stock_reserved), "on_hand": str(product.stock_on_hand)}
    print(json.dumps({"problems": problems, "figures": figures}))


# --- the load ---------------------------------------------------------------------------------------

def _client_run(port, keys, plan, barrier):
    """Each buyer thread runs its list of request bodies over one keep-alive connection."""
    results = [[] for _ in keys]

    def buyer(index):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Api-Key {keys[index]}", "Content-Type": "application/json"}
        barrier.wait()
        for body in plan[index]:
            started = time.perf_counter()
            connection.request("POST", "/api/v1/orders/", body=json.dumps(body),
                               headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
            response = connection.getresponse()
            payload = response.read()
            code = ""
            if response.status != 201:
                try:
                    code = json.loads(payload)["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = f"http_{response.status}"
            results[index].append((response.status, code, time.perf_counter() - started))
        connection.close()

    threads = [threading.Thread(target=buyer, args=(index,)) for index in range(len(keys))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return [row for rows in results for row in rows], time.perf_counter() - started


def _manage(env, *args, capture=False):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
                          capture_output=capture).stdout


def main():
    tag = time.strftime("%m%d%H%M%S")
    port = free_port()
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "tradeplatform.settings", "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + "x" * 50),
        "DJANGO_SECURE_SSL_REDIRECT": "0", "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"), "LOG_LEVEL": "WARNING",
        "API_KEY_RATE": "1000000/min",
    }
    _manage(env, "migrate", "--noinput", "--verbosity", "0")
    world = json.loads(_manage(env, "shell", "-c", f"from bench.checkout import setup_world; setup_world({tag!r})",
                               capture=True).strip().splitlines()[-1])
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "tradeplatform.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", WORKERS,
         "--log-level", "warning"], cwd=ROOT, env=env)
    rng = random.Random(7)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/ping")
        keys = world["keys"]
        # Warm-up: every worker opens its connections and imports (a few orders, not counted).
        _client_run(port, keys[:4], [[{"lines": [{"product": world["products"][0], "quantity": "1"}]}] * 3] * 4,
                    threading.Barrier(5))

        plan = [[{"lines": [{"product": product, "quantity": str(rng.choice([1, 2, 5, 12]))}
                            for product in rng.sample(world["products"], rng.choice([1, 1, 2, 3]))]}
                 for _ in range(ORDERS_PER_BUYER)] for _ in keys]
        rows, seconds = _client_run(port, keys, plan, threading.Barrier(len(keys) + 1))
        placed = sum(1 for status, _code, _t in rows if status == 201)
        failures = sorted({code for status, code, _t in rows if status != 201})
        latencies = sorted(t for _s, _c, t in rows)

        hot_plan = [[{"lines": [{"product": world["hot"], "quantity": "1"}]}] * HOT_ATTEMPTS_PER_BUYER for _ in keys]
        hot_rows, hot_seconds = _client_run(port, keys, hot_plan, threading.Barrier(len(keys) + 1))
        hot_placed = sum(1 for status, _code, _t in hot_rows if status == 201)
        hot_refusals = sorted({code for status, code, _t in hot_rows if status != 201})
    finally:
        server.terminate()
        server.wait(timeout=30)

    checked = json.loads(_manage(env, "shell", "-c", "from bench.checkout import verify; verify({!r}, {!r})".format(
        tag, world["products"] + [world["hot"]]), capture=True).strip().splitlines()[-1])
    problems = list(checked["problems"])
    if failures:
        problems.append(f"phase 1 refusals: {failures}")
    if hot_placed != HOT_UNITS or hot_refusals != ["insufficient_stock"]:
        problems.append(f"hot product: {hot_placed} orders for {HOT_UNITS} units, refusals {hot_refusals}")
    orders_per_second = placed / seconds
    summary = {
        "buyers": len(keys), "gunicorn_workers": int(WORKERS), "orders": placed, "seconds": round(seconds, 2),
        "orders_per_second": round(orders_per_second, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "target_orders_per_second": TARGET_ORDERS_PER_SECOND,
        "meets_target": orders_per_second >= TARGET_ORDERS_PER_SECOND,
        "oversell_check": {"units": HOT_UNITS, "attempts": len(hot_rows), "orders": hot_placed,
                           "seconds": round(hot_seconds, 2), "hot_product": checked["figures"].get(str(world["hot"]))},
        "ledger_balanced": not checked["problems"],
        "problems": problems,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
