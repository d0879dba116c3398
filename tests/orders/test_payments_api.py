"""Payments and refunds over the API: scopes per side, JSON and multipart transfers, another
company's order is a 404, a replayed Idempotency-Key records nothing new."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core import apikeys
from orders import payments, refunds
from orders.models import Order, Refund
from tests import factories
from tests.orders.paying_helpers import finance_user, move_to, paid_order, placed_order

pytestmark = pytest.mark.django_db
S, R = Order.Status, Refund.Status


def api_for(company, scopes, user=None):
    user = user or factories.main_user_of(company)
    _key, raw = apikeys.issue_api_key(company=company, created_by=user, name="erp", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def transfer(**changes):
    data = {"amount": "4000.00", "payer_name": "上海测试包装有限公司", "bank_reference": "ICBC-API-1",
            "transferred_on": timezone.localdate().isoformat()}
    data.update(changes)
    return data


@pytest.fixture
def order(buyer, seller):
    return placed_order(buyer, seller, lines=[("2", "5000.00")])


def test_buyer_reads_what_to_pay_and_records_a_json_transfer(order, buyer, settings):
    client = api_for(buyer, ["purchasing"])
    url = f"/api/v1/orders/{order.number}/payments/"
    before = client.get(url).json()
    assert before["outstanding"] == "10000.00" and before["remittance_reference"] == order.remittance_reference
    assert before["bank_account"]["number"] == settings.PLATFORM_BANK_ACCOUNT["number"]

    response = client.post(url, transfer(), format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "recorded" and response.json()["payer_name_matches"] is True
    replay = client.post(url, transfer(), format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert order.payments.count() == 1
    assert client.get(url).json()["awaiting_confirmation"] == "4000.00"


def test_multipart_transfer_with_a_slip_and_a_finance_key(order, buyer):
    client = api_for(buyer, ["finance"])
    response = client.post(f"/api/v1/orders/{order.number}/payments/",
                           {**transfer(), "slip": factories.upload(name="回单.pdf")}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["has_slip"] is True
    assert order.payments.get().slip_name == "回单.pdf"


def test_transfer_refusals_over_the_api(order, buyer):
    client = api_for(buyer, ["fulfilment"])
    url = f"/api/v1/orders/{order.number}/payments/"
    assert client.post(url, transfer(), format="json").status_code == 403
    client = api_for(buyer, ["purchasing"])
    refused = client.post(url, transfer(amount="10000.01"), format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "amount_above_outstanding"
    wrong = client.post(url, {**transfer(), "slip": factories.upload(name="a.pdf", content=b"MZ\x90\x00")},
                        format="multipart")
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_slip"
    stranger = api_for(factories.company(name="别家纸业有限公司"), ["purchasing"])
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, transfer(), format="json").status_code == 404
    assert not order.payments.exists()


def test_seller_key_cannot_record_or_read_the_buyers_transfers(order, seller):
    client = api_for(seller, ["purchasing", "fulfilment"])
    assert client.get(f"/api/v1/orders/{order.number}/payments/").status_code == 404


def test_refund_journey_over_the_api(buyer, seller):
    order = move_to(paid_order(buyer, seller, lines=[("2", "5000.00")]), S.SHIPPED)
    buyer_api, seller_api = api_for(buyer, ["purchasing"]), api_for(seller, ["fulfilment"])
    created = buyer_api.post(f"/api/v1/orders/{order.number}/refunds/", {"reason": "受潮", "amount": "5000.00"},
                             format="json")
    assert created.status_code == 201, created.json()
    refund_id = created.json()["id"]
    assert created.json()["needs_return"] is True
    assert [item["id"] for item in seller_api.get(f"/api/v1/orders/{order.number}/refunds/").json()] == [refund_id]

    buyer_all = api_for(buyer, ["purchasing", "fulfilment"])
    assert buyer_all.post(f"/api/v1/refunds/{refund_id}/approve/").status_code == 404  # not the buyer's to approve
    approved = seller_api.post(f"/api/v1/refunds/{refund_id}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "awaiting_return"
    shipped = buyer_api.post(f"/api/v1/refunds/{refund_id}/return-shipment/",
                             {"carrier": "jd", "waybill_number": "JDVB12345678901"}, format="json")
    assert shipped.status_code == 200 and shipped.json()["return_shipment"]["waybill_number"] == "JDVB12345678901"
    line = order.lines.get()
    confirmed = seller_api.post(f"/api/v1/refunds/{refund_id}/confirm-return/",
                                {"quantities": {str(line.pk): "1"}}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "awaiting_payout"
    line.product.refresh_from_db()
    assert line.product.stock_on_hand == Decimal("99")

    refunds.record_refund_payout(by=finance_user(), refund_id=refund_id, payout_reference="OUT-1")
    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == (S.SHIPPED, Decimal("5000.00"))


def test_refund_refusals_over_the_api(buyer, seller):
    received = move_to(paid_order(buyer, seller), S.RECEIVED)
    buyer_api = api_for(buyer, ["purchasing"])
    refused = buyer_api.post(f"/api/v1/orders/{received.number}/refunds/", {"reason": "不要了"}, format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "refund_after_receipt"

    order = paid_order(buyer, seller)
    no_scope = api_for(buyer, ["finance"])
    assert no_scope.post(f"/api/v1/orders/{order.number}/refunds/", {"reason": "x"}, format="json").status_code == 403
    refund = refunds.request_refund(by=factories.main_user_of(buyer), order_id=order.pk, reason="不要了")
    again = buyer_api.post(f"/api/v1/orders/{order.number}/refunds/", {"reason": "再来"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "refund_open"
    seller_purchasing = api_for(seller, ["purchasing"])
    assert seller_purchasing.post(f"/api/v1/refunds/{refund.pk}/approve/").status_code == 403
    rejected = api_for(seller, ["fulfilment"]).post(f"/api/v1/refunds/{refund.pk}/reject/", {"reason": "已发货"},
                                                    format="json")
    assert rejected.status_code == 200 and rejected.json()["rejection_reason"] == "已发货"
    order.refresh_from_db()
    assert order.status == S.PAID


def test_buyer_withdraws_over_the_api(buyer, seller):
    order = paid_order(buyer, seller)
    refund = refunds.request_refund(by=factories.main_user_of(buyer), order_id=order.pk, reason="不要了")
    response = api_for(buyer, ["purchasing"]).post(f"/api/v1/refunds/{refund.pk}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    order.refresh_from_db()
    assert order.status == S.PAID
    assert payments.outstanding(order) == 0
