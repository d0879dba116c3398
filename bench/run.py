"""`make bench`: the app under gunicorn (2 workers) with the demo world, measured by wrk from a
second process at 32 connections. Prints one JSON summary: requests/s, p50 and p99 per page and
each page's ratio to the bare framework view (/ping).

Storefront pages (category list, product page, Chinese search "白卡纸") are measured for anonymous
visitors (served from the catalogue page cache) and for a signed-in member (rendered on every
request).

Run through devtools.embedded (the Makefile does) so DATABASE_URL and REDIS_URL are set.
Add pages here as issues add them.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
TARGETS = {"storefront_list": 0.20, "api_list": 0.25, "p99_ms": 100.0}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env):
    def manage(*args):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)

    manage("migrate", "--noinput", "--verbosity", "0")
    manage("seed_demo", "--once")
    manage("collectstatic", "--noinput", "--verbosity", "0")
    # A product id, a category slug and an API key of a demo company, made through the services.
    script = (
        "from accounts.models import Company; from catalog.models import Product; from core import apikeys;"
        "p = Product.objects.filter(status='published', category__parent__isnull=False,"
        " seller__name='山东鲁丰纸业有限公司').order_by('id').first();"
        "c = Company.objects.get(name='上海东方包装制品有限公司');"
        "k, raw = apikeys.issue_api_key(company=c, created_by=c.memberships.get(is_main=True).user,"
        " name='bench', scopes=['purchasing']);"
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY;"
        "from django.contrib.sessions.backends.db import SessionStore;"
        "u = c.memberships.get(is_main=True).user; s = SessionStore();"
        "s[SESSION_KEY] = str(u.pk); s[BACKEND_SESSION_KEY] = 'accounts.backends.AuthenticationBackend';"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create();"
        "print(p.pk, p.category.parent.slug, raw, s.session_key)"
    )
    output = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True).stdout.split()
    return output[-4:]


def wait_until_up(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def to_ms(value):
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def measure(url, headers=(), duration=DURATION):
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}", "--latency", "--timeout", "5s"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": round(to_ms(re.search(r"\s50%\s+(\S+)", output).group(1)), 2),
        "p99_ms": round(to_ms(re.search(r"\s99%\s+(\S+)", output).group(1)), 2),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _ratio_ok(results, name):
    return results[name]["ratio_to_bare"] >= TARGETS[name] if name in results else None


def main():
    port = free_port()
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tradeplatform.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + "x" * 50),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        "API_KEY_RATE": "1000000/min",
    }
    product_id, category_slug, api_key, session_key = prepare(env)
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "tradeplatform.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--log-level", "warning"], cwd=ROOT, env=env,
    )
    try:
        wait_until_up(f"{base}/ping")
        api_headers = [f"Authorization: Api-Key {api_key}"]
        member_headers = [f"Cookie: sessionid={session_key}"]
        pages = {
            "bare_view": (f"{base}/ping", ()),
            "storefront_home": (f"{base}/", ()),
            "storefront_list": (f"{base}/c/{category_slug}/", ()),
            # A signed-in member: no page cache, the whole page is rendered per request.
            "storefront_list_member": (f"{base}/c/{category_slug}/", member_headers),
            "product_page": (f"{base}/p/{product_id}/", ()),
            "product_page_member": (f"{base}/p/{product_id}/", member_headers),
            # Chinese full-text search (CJK bigrams, GIN index) with a filter, anonymous and signed in.
            "search": (f"{base}/search/?q=%E7%99%BD%E5%8D%A1%E7%BA%B8&sort=price_asc", ()),
            "search_member": (f"{base}/search/?q=%E7%99%BD%E5%8D%A1%E7%BA%B8&sort=price_asc", member_headers),
            "api_search": (f"{base}/api/v1/products/?q=%E7%99%BD%E5%8D%A1%E7%BA%B8", api_headers),
            "api_list": (f"{base}/api/v1/products/", api_headers),
            "api_orders": (f"{base}/api/v1/orders/", api_headers),
        }
        wanted = {name for name in os.environ.get("BENCH_PAGES", "").split(",") if name}
        if wanted:  # BENCH_PAGES=api_list,search_member: just those (and the bare view they are compared with)
            pages = {name: page for name, page in pages.items() if name in wanted | {"bare_view"}}
        results = {}
        for name, (url, headers) in pages.items():
            measure(url, headers, duration="2s")  # warm-up: connections, imports, caches
            results[name] = measure(url, headers)
            print(f"[bench] {name}: {results[name]}", file=sys.stderr, flush=True)
        ceiling = results["bare_view"]["requests_per_second"]
        for figures in results.values():
            figures["ratio_to_bare"] = round(figures["requests_per_second"] / ceiling, 3)
        summary = {
            "connections": CONNECTIONS,
            "duration": DURATION,
            "gunicorn_workers": 2,
            "pages": results,
            "targets": {
                "storefront_list_ratio_ok": _ratio_ok(results, "storefront_list"),
                "api_list_ratio_ok": _ratio_ok(results, "api_list"),
                "p99_under_100ms": {name: figures["p99_ms"] < TARGETS["p99_ms"] for name, figures in results.items()},
            },
        }
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
