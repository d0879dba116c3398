"""Disputes over the API: the buyer's key (purchasing) or the seller's key (fulfilment) opens,
reads, adds evidence and withdraws; other companies' orders and disputes are a 404."""

import pytest
from rest_framework.test import APIClient

from core import apikeys
from orders.models import Dispute, Order
from tests import factories
from tests.orders.dispute_helpers import paid_order, png, shipped_order

pytestmark = pytest.mark.django_db
S = Order.Status


def api_for(company, scopes):
    _key, raw = apikeys.issue_api_key(company=company, created_by=factories.main_user_of(company), name="erp",
                                      scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_the_buyer_opens_a_dispute_and_gets_the_rules_decision(buyer, seller):
    order = shipped_order(buyer=buyer, seller=seller, waybill="SF8888", last_event_days_ago=10)
    api = api_for(buyer, ["purchasing"])

    response = api.post(f"/api/v1/orders/{order.number}/disputes/", {"kind": "not_received", "claim": "一直没到货"},
                        format="json", HTTP_IDEMPOTENCY_KEY="dispute-1")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["order"], body["role"], body["opened_by"], body["status"], body["outcome"], body["rule"]) == (
        order.number, "buyer", "buyer", "decided", "full_refund", "R2_NO_TRACKING_MOVEMENT")
    assert "运单 顺丰速运 SF8888" in body["decision"] and body["facts"]["days_without_movement"] == 10
    replay = api.post(f"/api/v1/orders/{order.number}/disputes/", {"kind": "not_received", "claim": "一直没到货"},
                      format="json", HTTP_IDEMPOTENCY_KEY="dispute-1")
    assert replay.status_code == 201 and replay.json()["id"] == body["id"]
    assert Dispute.objects.count() == 1

    seller_api = api_for(seller, ["fulfilment"])
    listed = seller_api.get("/api/v1/disputes/").json()["results"]
    assert [(row["id"], row["role"]) for row in listed] == [(body["id"], "seller")]


def test_evidence_is_uploaded_as_multipart_and_the_opener_withdraws(buyer, seller):
    order = shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1)
    api = api_for(buyer, ["purchasing"])
    opened = api.post(f"/api/v1/orders/{order.number}/disputes/",
                      {"kind": "quality", "claim": "受潮", "claimed_amount": "500", "evidence": [png("受潮.png")]},
                      format="multipart")
    assert opened.status_code == 201, opened.json()
    dispute_id = opened.json()["id"]
    assert opened.json()["status"] == "open" and [e["name"] for e in opened.json()["evidence"]] == ["受潮.png"]

    seller_api = api_for(seller, ["fulfilment"])
    added = seller_api.post(f"/api/v1/disputes/{dispute_id}/evidence/",
                            {"file": png("仓库照片.png"), "note": "出库时完好"}, format="multipart")
    assert added.status_code == 201 and added.json()["side"] == "seller"
    wrong = seller_api.post(f"/api/v1/disputes/{dispute_id}/evidence/",
                            {"file": factories.upload(name="x.png", content=b"not an image")}, format="multipart")
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "evidence_invalid"

    assert seller_api.post(f"/api/v1/disputes/{dispute_id}/withdraw/").status_code == 403
    withdrawn = api.post(f"/api/v1/disputes/{dispute_id}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert Order.objects.get(pk=order.pk).status == S.SHIPPED


def test_refusals_over_the_api(buyer, seller):
    unpaid = factories.order(buyer=buyer, seller=seller)
    api = api_for(buyer, ["purchasing"])
    response = api.post(f"/api/v1/orders/{unpaid.number}/disputes/", {"kind": "quality", "claim": "x"}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "dispute_not_allowed"

    order = paid_order(buyer=buyer, seller=seller)
    wrong_scope = api_for(buyer, ["finance"])
    response = wrong_scope.post(f"/api/v1/orders/{order.number}/disputes/", {"kind": "quality", "claim": "x"},
                                format="json")
    assert response.status_code == 403

    stranger = api_for(factories.company(name="无关纸业有限公司"), ["purchasing", "fulfilment"])
    assert stranger.post(f"/api/v1/orders/{order.number}/disputes/", {"kind": "quality", "claim": "x"},
                         format="json").status_code == 404
    dispute_id = api.post(f"/api/v1/orders/{order.number}/disputes/", {"kind": "quality", "claim": "色差"},
                          format="json").json()["id"]
    assert stranger.get(f"/api/v1/disputes/{dispute_id}/").status_code == 404
    assert stranger.get("/api/v1/disputes/").json()["results"] == []
    assert wrong_scope.get(f"/api/v1/disputes/{dispute_id}/").status_code == 404

    invalid = api.post(f"/api/v1/orders/{order.number}/disputes/", {"kind": "bogus", "claim": ""}, format="json")
    assert invalid.status_code == 400 and set(invalid.json()["error"]["details"]) == {"kind", "claim"}
