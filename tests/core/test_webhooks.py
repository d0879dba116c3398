"""Webhooks: a company's systems hear of its orders, payments, shipments and deals, signed with
the endpoint's secret, retried until delivered, and logged; only the main account manages them."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from core import webhooks
from core.errors import BusinessRuleError, NotAllowed
from core.models import WebhookDelivery, WebhookEndpoint
from orders import services as order_services
from tests import factories
from tests.orders.buying_helpers import stocked

pytestmark = pytest.mark.django_db
D = WebhookDelivery.Status


@pytest.fixture
def receiver():
    """An HTTP receiver on 127.0.0.1 that records what it gets and answers `receiver.status`."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": self.headers, "body": body})  # names are case-insensitive
            self.send_response(server.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.status, server.received = 200, received
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _endpoint(company, url, events=("order.placed", "order.status_changed")):
    return webhooks.add_endpoint(by=factories.main_user_of(company), url=url, events=list(events))


def test_a_new_order_reaches_both_sides_signed_with_each_endpoints_secret(
        receiver, buyer, seller, django_capture_on_commit_callbacks):
    seller_endpoint = _endpoint(seller, receiver.url)
    product = stocked(seller, "10", price="100.00")

    with django_capture_on_commit_callbacks(execute=True):
        [order] = order_services.place_orders(by=factories.main_user_of(buyer), items=[(product.pk, "2")])

    [got] = receiver.received
    payload = json.loads(got["body"])
    assert payload["event"] == "order.placed" and payload["data"]["order"] == order.number
    assert payload["data"]["total"] == "200.00"
    assert got["headers"]["X-TP-Event"] == "order.placed" and got["headers"]["X-TP-Delivery"] == payload["id"]
    stamp, signed = (part.split("=", 1)[1] for part in got["headers"]["X-TP-Signature"].split(","))
    expected = hmac.new(seller_endpoint.secret.encode(), f"{stamp}.".encode() + got["body"], hashlib.sha256)
    assert hmac.compare_digest(signed, expected.hexdigest())
    delivery = WebhookDelivery.objects.get(endpoint=seller_endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (D.DELIVERED, 1, 200)


def test_only_subscribed_active_endpoints_of_the_companies_concerned_get_an_event(buyer, seller):
    other = factories.company(name="无关纸业有限公司")
    _endpoint(other, "https://other.example.cn/hooks")
    paused = _endpoint(seller, "https://seller.example.cn/paused")
    webhooks.set_endpoint_active(by=factories.main_user_of(seller), endpoint_id=paused.pk, active=False)
    shipping_only = _endpoint(seller, "https://seller.example.cn/ship", events=["shipment.created"])
    wanted = _endpoint(seller, "https://seller.example.cn/orders")
    product = stocked(seller, "10", price="100.00")

    order_services.place_orders(by=factories.main_user_of(buyer), items=[(product.pk, "1")])

    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [wanted.pk]
    assert not WebhookDelivery.objects.filter(endpoint=shipping_only).exists()


def test_a_failing_receiver_is_retried_with_growing_pauses_then_the_delivery_fails(
        receiver, seller, django_capture_on_commit_callbacks):
    receiver.status = 500
    endpoint = _endpoint(seller, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhooks.send_test(by=factories.main_user_of(seller), endpoint_id=endpoint.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (D.PENDING, 1, 500)
    first_retry = delivery.next_attempt_at

    assert webhooks.retry_due_deliveries(now=first_retry - timedelta(seconds=1)) == 0
    for attempt in range(2, webhooks.ATTEMPTS + 1):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert webhooks.retry_due_deliveries() == 1  # eager Celery: sent at once
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
    assert delivery.status == D.FAILED and delivery.next_attempt_at is None
    assert len(receiver.received) == webhooks.ATTEMPTS
    assert first_retry - delivery.created_at < timedelta(minutes=2)

    receiver.status = 204
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.redeliver(by=factories.main_user_of(seller), delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (D.DELIVERED, 1)
    assert len({json.loads(got["body"])["id"] for got in receiver.received}) == 1  # one event id throughout


def test_an_unreachable_receiver_is_recorded_not_raised(seller, django_capture_on_commit_callbacks):
    endpoint = _endpoint(seller, "http://127.0.0.1:9/nothing-listens-here")
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhooks.send_test(by=factories.main_user_of(seller), endpoint_id=endpoint.pk)
    delivery.refresh_from_db()
    assert delivery.status == D.PENDING and delivery.attempts == 1 and delivery.last_error


def test_a_receiver_that_does_not_speak_http_is_recorded_and_retried(seller, django_capture_on_commit_callbacks):
    import socket

    listener = socket.create_server(("127.0.0.1", 0))

    def answer_garbage():
        connection, _address = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"garbage\r\n\r\n")

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    endpoint = _endpoint(seller, f"http://127.0.0.1:{listener.getsockname()[1]}/hooks")
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhooks.send_test(by=factories.main_user_of(seller), endpoint_id=endpoint.pk)
    thread.join(5)
    listener.close()
    delivery.refresh_from_db()
    assert delivery.status == D.PENDING and delivery.attempts == 1 and delivery.last_error
    assert delivery.next_attempt_at - timezone.now() <= webhooks.RETRY_AFTER[0]


def test_endpoints_need_the_main_account_an_http_url_and_known_events(seller, settings):
    with pytest.raises(BusinessRuleError) as refused:
        _endpoint(seller, "ftp://erp.example.cn/")
    assert refused.value.code == "invalid_url"
    with pytest.raises(BusinessRuleError) as refused:
        _endpoint(seller, "https://erp.example.cn/", events=["order.deleted"])
    assert refused.value.code == "invalid_events"
    settings.WEBHOOK_ALLOW_INSECURE = False
    with pytest.raises(BusinessRuleError) as refused:
        _endpoint(seller, "http://erp.example.cn/")
    assert refused.value.code == "insecure_url"
    sub = factories.sub_account(seller, [])
    with pytest.raises(NotAllowed):
        webhooks.add_endpoint(by=sub, url="https://erp.example.cn/", events=["order.placed"])


def test_outside_development_a_receiver_inside_the_network_is_refused(seller, settings,
                                                                      django_capture_on_commit_callbacks):
    endpoint = _endpoint(seller, "http://127.0.0.1:9/hooks")
    settings.WEBHOOK_ALLOW_INSECURE = False
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhooks.send_test(by=factories.main_user_of(seller), endpoint_id=endpoint.pk)
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and "内部网络" in delivery.last_error


def test_the_member_page_manages_endpoints_and_shows_the_log(client, seller, buyer):
    client.force_login(factories.main_user_of(seller))
    page = client.get(reverse("member:webhooks"))
    assert page.status_code == 200 and "order.status_changed" in page.content.decode()
    response = client.post(reverse("member:webhooks"), {"url": "https://erp.example.cn/hooks",
                                                        "events": ["order.placed", "payment.confirmed"]})
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get(company=seller)
    assert endpoint.events == ["order.placed", "payment.confirmed"] and endpoint.secret.startswith("whsec_")
    bad = client.post(reverse("member:webhooks"), {"url": "not a url", "events": ["order.placed"]})
    assert bad.status_code == 200 and "请填写完整的接收地址" in bad.content.decode()
    old_secret = endpoint.secret
    client.post(reverse("member:webhook-action", args=[endpoint.pk, "rotate"]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret and endpoint.secret in client.get(reverse("member:webhooks")).content.decode()

    client.post(reverse("member:webhook-action", args=[endpoint.pk, "pause"]))
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert client.post(reverse("member:webhook-action", args=[endpoint.pk, "explode"])).status_code == 404

    others = _endpoint(buyer, "https://buyer.example.cn/hooks")
    client.post(reverse("member:webhook-action", args=[others.pk, "remove"]))
    assert WebhookEndpoint.objects.filter(pk=others.pk).exists()
    client.post(reverse("member:webhook-action", args=[endpoint.pk, "remove"]))
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_sub_accounts_cannot_open_the_webhook_page(client, seller):
    client.force_login(factories.sub_account(seller, []))
    assert client.get(reverse("member:webhooks")).status_code in (302, 403)


def test_the_delivery_log_keeps_thirty_days_of_finished_deliveries(seller):
    endpoint = _endpoint(seller, "https://erp.example.cn/hooks")
    old, pending, recent = (webhooks.send_test(by=factories.main_user_of(seller), endpoint_id=endpoint.pk)
                            for _ in range(3))
    WebhookDelivery.objects.filter(pk__in=[old.pk, pending.pk]).update(created_at=timezone.now() - timedelta(days=31))
    WebhookDelivery.objects.filter(pk__in=[old.pk, recent.pk]).update(status=D.DELIVERED)

    assert webhooks.purge_old_deliveries() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {pending.pk, recent.pk}


def test_a_partner_system_manages_endpoints_and_reads_the_log_over_the_api(seller, buyer):
    from rest_framework.test import APIClient

    from core import apikeys

    def api_for(user, company):
        _key, raw = apikeys.issue_api_key(company=company, created_by=user, name="erp", scopes=["fulfilment"])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        return client

    api = api_for(factories.main_user_of(seller), seller)
    created = api.post("/api/v1/webhooks/", {"url": "https://erp.example.cn/hooks", "events": ["order.placed"]},
                       format="json")
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    endpoint_id = created.json()["id"]
    assert api.post("/api/v1/webhooks/", {"url": "https://erp.example.cn/x", "events": ["nope"]},
                    format="json").status_code == 400
    product = stocked(seller, "10", price="100.00")
    order_services.place_orders(by=factories.main_user_of(buyer), items=[(product.pk, "1")])
    log = api.get("/api/v1/webhooks/deliveries/", {"status": "pending"}).json()["results"]
    assert [row["event"] for row in log] == ["order.placed"] and log[0]["payload"]["data"]["total"] == "100.00"

    paused = api.patch(f"/api/v1/webhooks/{endpoint_id}/", {"is_active": False}, format="json")
    assert paused.status_code == 200 and paused.json()["is_active"] is False
    assert api_for(factories.main_user_of(buyer), buyer).delete(f"/api/v1/webhooks/{endpoint_id}/").status_code == 404
    sub = factories.sub_account(seller, ["fulfilment"])
    assert api_for(sub, seller).get("/api/v1/webhooks/").status_code == 403
    assert api.delete(f"/api/v1/webhooks/{endpoint_id}/").status_code == 204
    assert api.get("/api/v1/webhooks/").json() == []
