"""`make run`: embedded services, migrations, demo world, then web + Celery worker + beat.

Ctrl-C stops everything this started; the data stays in .data/ for the next run.
Set DATABASE_URL / REDIS_URL to use servers of your own instead of the embedded ones.
"""

import os
import signal
import subprocess
import sys
import time

from devtools import embedded

ROOT = embedded.ROOT
PYTHON = sys.executable


def manage(*args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def local_environment():
    """Production-shaped settings for a local, plain-HTTP run."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeplatform.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", embedded.development_secret_key())
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
    os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")
    os.environ.setdefault("DJANGO_MEDIA_ROOT", str(embedded.DATA / "media"))
    os.environ.setdefault("DJANGO_PRIVATE_MEDIA_ROOT", str(embedded.DATA / "private_media"))
    os.environ.setdefault("DJANGO_STATIC_ROOT", str(embedded.DATA / "staticfiles"))


def start(name, argv):
    print(f"[run] starting {name}: {' '.join(argv)}", flush=True)
    return name, subprocess.Popen(argv, cwd=ROOT, start_new_session=True)


def stop_all(processes):
    for _name, process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for _name, process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main():
    local_environment()
    embedded.prepare_environment()
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    os.environ.setdefault("SITE_URL", f"http://{host}:{port}")

    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput", "--verbosity", "0")
    manage("seed_demo", "--once")

    web = [PYTHON, "-m", "gunicorn", "tradeplatform.wsgi", "--bind", f"{host}:{port}",
           "--workers", os.environ.get("WEB_CONCURRENCY", "2"), "--access-logfile", "-"]
    if os.environ.get("DJANGO_DEBUG"):
        web.append("--reload")
    processes = [
        start("web", web),
        start("worker", [PYTHON, "-m", "celery", "-A", "tradeplatform", "worker", "--loglevel", "INFO",
                         "--concurrency", os.environ.get("CELERY_CONCURRENCY", "2")]),
        start("beat", [PYTHON, "-m", "celery", "-A", "tradeplatform", "beat", "--loglevel", "INFO",
                       "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                       "--pidfile", str(embedded.DATA / "celerybeat.pid")]),
    ]
    from devtools.demo_logins import banner

    print(banner(f"http://{host}:{port}/"), flush=True)

    stopping = False

    def request_stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stopping:
            for name, process in processes:
                if process.poll() is not None:
                    print(f"[run] {name} exited with {process.returncode}; stopping", flush=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        print("[run] stopping web, worker and beat…", flush=True)
        stop_all(processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
