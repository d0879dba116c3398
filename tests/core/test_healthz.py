import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import override_settings

from tradeplatform.celery import app

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("celery-worker")]


def wait_for_worker(seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    raise AssertionError("the test worker never answered a ping")


# Celery's Django fixup closes database connections when the worker starts, which would end
# the transaction a plain django_db test runs in.
@pytest.mark.django_db(transaction=True)
def test_healthz_all_ok_when_database_redis_and_a_worker_answer(client):
    with start_worker(app, perform_ping_check=False, loglevel="WARNING"):
        wait_for_worker()
        response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "celery": "ok"}}


def test_healthz_names_celery_when_no_worker_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["celery"].startswith("error")


def test_healthz_names_redis_when_redis_is_unreachable(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")
