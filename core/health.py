"""Readiness checks behind /healthz: the database, Redis and a Celery worker."""

from django.conf import settings
from django.db import connection


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        if not client.ping():
            raise RuntimeError("no PONG")
    finally:
        client.close()


def check_celery():
    from tradeplatform.celery import app

    replies = app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError("no worker answered")


CHECKS = {"database": check_database, "redis": check_redis, "celery": check_celery}


def run_checks():
    """{"database": "ok", ...}; a failing check reports "error: <reason>"."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure is a failed check, reported by name
            results[name] = f"error: {exc.__class__.__name__}: {exc}"[:200]
    return results
