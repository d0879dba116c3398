"""`make bench` (checkout): 32 buyers place orders at once through POST /api/v1/orders/ against
gunicorn, each with its own company and API key, and the stock ledger is checked afterwards.
The load comes from wrk (32 connections, a generated Lua script), so the load generator takes
little of the 2 cores the server runs on.

Phase 1 (throughput): for BENCH_CHECKOUT_SECONDS (default 15) the buyers place orders of one to
three lines over 12 products of 4 sellers, each with its own Idempotency-Key like a real ERP.
Reported as orders/s with p50/p99 latency, and the CPU time an order took in the app, PostgreSQL
and Redis (steadier than orders/s on a shared machine). Target: ≥ 100 orders/s.
Phase 2 (oversell): for 3 seconds the 32 connections race for the last 50 units of one product:
exactly 50 orders may succeed and every other attempt must be refused with `insufficient_stock`.
Then for every product the ledger must add up to its totals and its reserved quantity must equal
the active reservations of its orders. Prints one JSON summary; exits 1 when a check fails.

Run through devtools.embedded (the Makefile does) so DATABASE_URL and REDIS_URL are set.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

from bench.run import ROOT, free_port, wait_until_up

BUYERS = 32
SECONDS = int(os.environ.get("BENCH_CHECKOUT_SECONDS", "15"))
WORKERS = os.environ.get("BENCH_CHECKOUT_WORKERS", "4")
HOT_UNITS = 50
HOT_SECONDS = 3
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


# --- the load (wrk, so the load generator costs the 2 cores little) ---------------------------------

WRK_SCRIPT = r"""
-- Generated by bench/checkout.py: POST /api/v1/orders/ as the bench's buyers, counting answers.
local keys = {%(keys)s}
local products = {%(products)s}
local hot = %(hot)d
local quantities = {"1", "2", "5", "12"}
local line_counts = {1, 1, 2, 3}
local threads = {}
local sent = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  math.randomseed(7 + id)
  created, refused_stock, other, other_answers = 0, 0, 0, ""
end

local function lines()
  if hot > 0 then
    return '{"product": ' .. hot .. ', "quantity": "1"}'
  end
  local chosen, parts = {}, {}
  for _ = 1, line_counts[math.random(#line_counts)] do
    local product = products[math.random(#products)]
    if not chosen[product] then
      chosen[product] = true
      parts[#parts + 1] = '{"product": ' .. product .. ', "quantity": "' .. quantities[math.random(#quantities)] .. '"}'
    end
  end
  return table.concat(parts, ", ")
end

function request()
  sent = sent + 1
  local headers = {
    ["Authorization"] = "Api-Key " .. keys[(sent * 2 + id) %% #keys + 1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%(tag)s-%%d-%%d-%%d", id, sent, math.random(1000000000)),
  }
  return wrk.format("POST", "/api/v1/orders/", headers, '{"lines": [' .. lines() .. ']}')
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif string.find(body, '"insufficient_stock"', 1, true) then
    refused_stock = refused_stock + 1
  else
    other = other + 1
    if #other_answers < 600 then other_answers = other_answers .. status .. " " .. string.sub(body, 1, 150) .. "\n" end
  end
end

function done(summary, latency, requests)
  local counts = {created = 0, refused_stock = 0, other = 0}
  local answers = ""
  for _, thread in ipairs(threads) do
    for name in pairs(counts) do counts[name] = counts[name] + thread:get(name) end
    answers = answers .. thread:get("other_answers")
  end
  io.write(string.format('BENCH {"created": %%d, "refused_stock": %%d, "other": %%d, "requests": %%d, ' ..
    '"seconds": %%.3f, "p50_ms": %%.1f, "p99_ms": %%.1f}\n', counts.created, counts.refused_stock, counts.other,
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write("OTHER_ANSWERS\n" .. answers)
end
"""


def _wrk(port, world, *, seconds, hot=False, connections=BUYERS):
    """Run wrk against the API for `seconds`; returns its counts and latencies."""
    script = WRK_SCRIPT % {
        "keys": ", ".join(json.dumps(key) for key in world["keys"]),
        "products": ", ".join(str(product) for product in world["products"]),
        "hot": world["hot"] if hot else 0, "tag": uuid.uuid4().hex[:8],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", file.name,
         f"http://127.0.0.1:{port}/api/v1/orders/"], capture_output=True, text=True, check=True).stdout
    os.unlink(file.name)
    figures = json.loads(output.split("BENCH ", 1)[1].splitlines()[0])
    figures["other_answers"] = output.split("OTHER_ANSWERS\n", 1)[1].strip().splitlines()
    return figures


def _cpu_seconds():
    """CPU seconds used so far by the app (gunicorn), PostgreSQL and Redis processes, from /proc:
    what an order costs each, less noisy on a shared machine than orders/s."""
    used = {"app": 0.0, "database": 0.0, "redis": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in os.listdir("/proc"):
        if not stat.isdigit():
            continue
        try:
            with open(f"/proc/{stat}/cmdline", "rb") as file:
                command = file.read()
            with open(f"/proc/{stat}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = ("app" if b"gunicorn" in command else "database" if b"postgres" in command
                else "redis" if b"redis-server" in command else None)
        if kind:
            used[kind] += (int(fields[11]) + int(fields[12])) / tick
    return used


def _manage(env, *args, capture=False):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
                          capture_output=capture).stdout


def main():
    if shutil.which("wrk") is None:
        print("bench.checkout needs wrk: sh devtools/ensure-debian-packages.sh wrk", file=sys.stderr)
        return 2
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
    try:
        wait_until_up(f"http://127.0.0.1:{port}/ping")
        _wrk(port, world, seconds=2)  # warm-up: every worker opens its connections and imports
        before = _cpu_seconds()
        load = _wrk(port, world, seconds=SECONDS)
        after = _cpu_seconds()
        hot = _wrk(port, world, seconds=HOT_SECONDS, hot=True)
    finally:
        server.terminate()
        server.wait(timeout=30)

    checked = json.loads(_manage(env, "shell", "-c", "from bench.checkout import verify; verify({!r}, {!r})".format(
        tag, world["products"] + [world["hot"]]), capture=True).strip().splitlines()[-1])
    problems = list(checked["problems"])
    if load["other"] or load["refused_stock"]:
        problems.append(f"phase 1 refusals: {load['other_answers'][:5]}")
    if hot["created"] != HOT_UNITS or hot["other"]:
        problems.append(f"hot product: {hot['created']} orders for {HOT_UNITS} units, "
                        f"other answers {hot['other_answers'][:5]}")
    orders_per_second = load["created"] / load["seconds"]
    summary = {
        "buyers": len(world["keys"]), "connections": BUYERS, "gunicorn_workers": int(WORKERS),
        "orders": load["created"], "seconds": round(load["seconds"], 2),
        "orders_per_second": round(orders_per_second, 1), "p50_ms": load["p50_ms"], "p99_ms": load["p99_ms"],
        "cpu_ms_per_order": {kind: round((after[kind] - before[kind]) * 1000 / max(load["created"], 1), 2)
                             for kind in after},
        "target_orders_per_second": TARGET_ORDERS_PER_SECOND,
        "meets_target": orders_per_second >= TARGET_ORDERS_PER_SECOND,
        "oversell_check": {"units": HOT_UNITS, "attempts": hot["requests"], "orders": hot["created"],
                           "refused_insufficient_stock": hot["refused_stock"],
                           "hot_product": checked["figures"].get(str(world["hot"]))},
        "ledger_balanced": not checked["problems"],
        "problems": problems,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
