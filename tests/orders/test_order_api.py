"""Orders over the API: place (idempotent), list with filters, cancel, messages, adjustments;
scopes enforced; another company's order is a 404."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core import apikeys
from orders.models import Order, OrderAdjustment
from tests import factories
from tests.orders.buying_helpers import place, stocked, sub_with_limit

pytestmark = pytest.mark.django_db


def api_for(user, company, scopes=("purchasing",)):
    _key, raw = apikeys.issue_api_key(company=company, created_by=user, name="erp", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def product(seller):
    return stocked(seller, "50", price="1000.00", tiers=[("10", "900.00")])


@pytest.fixture
def buyer_api(buyer):
    return api_for(factories.main_user_of(buyer), buyer)


@pytest.fixture
def seller_api(seller):
    return api_for(factories.main_user_of(seller), seller, scopes=("fulfilment",))


def test_place_orders_and_replay_with_the_same_idempotency_key(buyer_api, product):
    body = {"lines": [{"product": product.pk, "quantity": "10"}], "buyer_note": "API 下单"}
    first = buyer_api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="po-1")
    assert first.status_code == 201, first.json()
    placed = first.json()["orders"]
    assert len(placed) == 1 and placed[0]["total"] == "9000.00" and placed[0]["status"] == "pending_payment"
    assert placed[0]["lines"][0]["unit_price"] == "900.00" and placed[0]["remittance_reference"]
    again = buyer_api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="po-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_reserved == 10
    other = buyer_api.post("/api/v1/orders/", {"lines": [{"product": product.pk, "quantity": "2"}]}, format="json",
                           HTTP_IDEMPOTENCY_KEY="po-1")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_a_broker_outage_after_checkout_commits_still_answers_with_the_orders(
        buyer_api, product, monkeypatch, django_capture_on_commit_callbacks):
    """The sellers' notification is queued after commit; if Redis is down then, the orders stand
    and the buyer is told so (an error would make the ERP retry a checkout that went through)."""
    from orders import tasks

    def broker_down(**_kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.notify_new_orders, "delay", broker_down)
    body = {"lines": [{"product": product.pk, "quantity": "2"}]}
    with django_capture_on_commit_callbacks(execute=True):
        placed = buyer_api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="po-outage")
    assert placed.status_code == 201
    assert Order.objects.filter(number=placed.json()["orders"][0]["number"]).exists()
    again = buyer_api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="po-outage")
    assert again.status_code == 201 and Order.objects.count() == 1

def test_place_refusals_over_the_api(buyer, buyer_api, product):
    short = buyer_api.post("/api/v1/orders/", {"lines": [{"product": product.pk, "quantity": "51"}]}, format="json")
    assert short.status_code == 422 and short.json()["error"]["code"] == "insufficient_stock"
    assert "可用 50吨" in short.json()["error"]["message"]
    bad = buyer_api.post("/api/v1/orders/", {"lines": [{"product": product.pk, "quantity": "abc"}]}, format="json")
    assert bad.status_code == 400 and "quantity" in bad.json()["error"]["details"]["lines"][0]
    empty = buyer_api.post("/api/v1/orders/", {"lines": []}, format="json")
    assert empty.status_code in (400, 422)
    no_scope = api_for(factories.main_user_of(buyer), buyer, scopes=("messaging",))
    refused = no_scope.post("/api/v1/orders/", {"lines": [{"product": product.pk, "quantity": "1"}]}, format="json")
    assert refused.status_code == 403
    assert not Order.objects.exists()


def test_sub_account_key_over_its_limit_gets_an_order_awaiting_approval(buyer, product):
    clerk = sub_with_limit(buyer, "500")
    response = api_for(clerk, buyer).post("/api/v1/orders/", {"lines": [{"product": product.pk, "quantity": "1"}]},
                                          format="json")
    assert response.status_code == 201 and response.json()["orders"][0]["status"] == "awaiting_approval"


def test_list_filters_and_another_companys_order_is_a_404(buyer, seller, buyer_api, seller_api, product):
    order = place(factories.main_user_of(buyer), product, "1")
    listed = buyer_api.get("/api/v1/orders/", {"side": "buyer", "number": order.remittance_reference}).json()
    assert [row["number"] for row in listed["results"]] == [order.number]
    assert buyer_api.get("/api/v1/orders/", {"status": "cancelled"}).json()["results"] == []
    assert [r["number"] for r in seller_api.get("/api/v1/orders/", {"side": "seller"}).json()["results"]] == [
        order.number]
    stranger = factories.company(name="第三方纸业有限公司")
    stranger_api = api_for(factories.main_user_of(stranger), stranger, scopes=("purchasing", "fulfilment"))
    assert stranger_api.get(f"/api/v1/orders/{order.number}/").status_code == 404
    assert stranger_api.post(f"/api/v1/orders/{order.number}/cancel/", {"reason": "x"}, format="json").status_code \
        == 404
    assert stranger_api.get(f"/api/v1/orders/{order.number}/messages/").status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_seller_cannot_see_an_order_awaiting_approval(buyer, seller_api, product):
    order = place(sub_with_limit(buyer, "100"), product, "1")
    assert seller_api.get(f"/api/v1/orders/{order.number}/").status_code == 404
    assert seller_api.get("/api/v1/orders/").json()["results"] == []


def test_messages_adjustments_and_cancel_over_the_api(buyer, seller, buyer_api, seller_api, product):
    order = place(factories.main_user_of(buyer), product, "5")
    line_id = order.lines.get().pk
    posted = buyer_api.post(f"/api/v1/orders/{order.number}/messages/", {"body": "请确认交期"}, format="json")
    assert posted.status_code == 201 and posted.json()["from_seller"] is False
    seller_api.post(f"/api/v1/orders/{order.number}/messages/", {"body": "下周一"}, format="json")
    assert [m["body"] for m in buyer_api.get(f"/api/v1/orders/{order.number}/messages/").json()] == [
        "请确认交期", "下周一"]

    wrong_side = buyer_api.post(f"/api/v1/orders/{order.number}/adjustments/",
                                {"lines": [{"line": line_id, "unit_price": "1"}]}, format="json")
    assert wrong_side.status_code == 403
    proposed = seller_api.post(f"/api/v1/orders/{order.number}/adjustments/",
                               {"lines": [{"line": line_id, "quantity": "12"}], "note": "凑整"}, format="json")
    assert proposed.status_code == 201, proposed.json()
    assert proposed.json()["total_after"] == "12000.00"
    adjustment_id = proposed.json()["id"]
    assert seller_api.post(f"/api/v1/orders/{order.number}/adjustments/{adjustment_id}/accept/").status_code == 403
    accepted = buyer_api.post(f"/api/v1/orders/{order.number}/adjustments/{adjustment_id}/accept/")
    assert accepted.status_code == 200 and accepted.json()["total"] == "12000.00"
    assert OrderAdjustment.objects.get().status == OrderAdjustment.Status.ACCEPTED

    second = seller_api.post(f"/api/v1/orders/{order.number}/adjustments/",
                             {"lines": [{"line": line_id, "unit_price": "950"}]}, format="json").json()
    declined = buyer_api.post(f"/api/v1/orders/{order.number}/adjustments/{second['id']}/decline/",
                              {"reason": "不接受"}, format="json")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"

    no_reason = buyer_api.post(f"/api/v1/orders/{order.number}/cancel/", {}, format="json")
    assert no_reason.status_code in (400, 422)
    cancelled = buyer_api.post(f"/api/v1/orders/{order.number}/cancel/", {"reason": "计划变更"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = buyer_api.post(f"/api/v1/orders/{order.number}/cancel/", {"reason": "再次"}, format="json")
    assert again.status_code == 409
    product.refresh_from_db()
    assert product.stock_reserved == Decimal("0")


def test_schema_documents_the_order_endpoints(buyer_api):
    schema = buyer_api.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/orders/{number}/cancel/", "/api/v1/orders/{number}/adjustments/",
                 "/api/v1/orders/{number}/messages/"):
        assert path in text
