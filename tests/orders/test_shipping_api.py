"""Shipping over the API: the seller's key ships (fulfilment scope), either side reads the tracking,
offline steps are entered by the sending side, the buyer's key signs (purchasing scope). Other
companies' orders are a 404; a key without the scope is a 403."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core import apikeys
from orders import shipping
from orders.models import Order
from tests import factories
from tests.orders.shipping_helpers import backdate, paid_order, shipped_order

pytestmark = pytest.mark.django_db


def api_for(company, scopes):
    _key, raw = apikeys.issue_api_key(company=company, created_by=factories.main_user_of(company), name="erp",
                                      scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_seller_ships_over_the_api_and_both_sides_read_the_tracking(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    seller_api = api_for(seller, ["fulfilment"])
    shipped = seller_api.post(f"/api/v1/orders/{order.number}/shipments/", {"carrier": "sf"}, format="json")
    assert shipped.status_code == 201, shipped.json()
    body = shipped.json()
    assert body["waybill_number"].startswith("SF") and body["direction"] == "delivery"
    assert body["carrier_name"] == "顺丰速运" and body["events"] == []
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED

    backdate(order.shipments.get(), days=5)
    shipping.poll_tracking()
    tracking = api_for(buyer, ["purchasing"]).get(f"/api/v1/orders/{order.number}/tracking/")
    assert tracking.status_code == 200
    data = tracking.json()
    assert data["status"] == "shipped" and data["delivered_at"] is not None
    events = data["shipments"][0]["events"]
    assert events[0]["kind"] == "delivered" and events[-1]["kind"] == "created"
    assert [e["occurred_at"] for e in events] == sorted((e["occurred_at"] for e in events), reverse=True)
    assert seller_api.get(f"/api/v1/orders/{order.number}/tracking/").status_code == 200


def test_shipping_api_refusals(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    no_scope = api_for(seller, ["products"]).post(f"/api/v1/orders/{order.number}/shipments/", {"carrier": "sf"},
                                                  format="json")
    assert no_scope.status_code == 403
    stranger = factories.company(name="广州他人纸业有限公司")
    elsewhere = api_for(stranger, ["fulfilment"])
    assert elsewhere.post(f"/api/v1/orders/{order.number}/shipments/", {"carrier": "sf"},
                          format="json").status_code == 404
    assert elsewhere.get(f"/api/v1/orders/{order.number}/tracking/").status_code == 404
    bad = api_for(seller, ["fulfilment"]).post(f"/api/v1/orders/{order.number}/shipments/",
                                               {"carrier": "offline", "waybill_number": "DB1"}, format="json")
    assert bad.status_code == 422 and bad.json()["error"]["details"].keys() >= {"carrier_name"}
    unpaid = paid_order(buyer=buyer, seller=seller, status=Order.Status.PENDING_PAYMENT)
    refused = api_for(seller, ["fulfilment"]).post(f"/api/v1/orders/{unpaid.number}/shipments/",
                                                   {"carrier": "sf"}, format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "cannot_ship"


def test_manual_events_over_the_api_for_offline_carriers_only(buyer, seller):
    _order, offline = shipped_order(buyer=buyer, seller=seller, carrier="offline", carrier_name="德邦物流",
                                    waybill_number="DB20260310")
    event = {"kind": "in_transit", "occurred_at": timezone.now().isoformat(), "location": "武汉分拨中心",
             "description": "已到达武汉分拨中心"}
    added = api_for(seller, ["fulfilment"]).post(f"/api/v1/shipments/{offline.pk}/events/", event, format="json")
    assert added.status_code == 201, added.json()
    assert added.json()["events"][0]["entered_by_hand"] is True
    assert api_for(seller, ["products"]).post(f"/api/v1/shipments/{offline.pk}/events/", event,
                                              format="json").status_code == 403
    assert api_for(buyer, ["purchasing"]).post(f"/api/v1/shipments/{offline.pk}/events/", event,
                                               format="json").status_code == 404
    _order2, online = shipped_order(buyer=buyer, seller=seller, carrier="jd")
    refused = api_for(seller, ["fulfilment"]).post(f"/api/v1/shipments/{online.pk}/events/", event, format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "manual_event_refused"


def test_buyer_signs_over_the_api(buyer, seller):
    order, _shipment = shipped_order(buyer=buyer, seller=seller)
    assert api_for(buyer, ["finance"]).post(f"/api/v1/orders/{order.number}/receipt/").status_code == 403
    assert api_for(seller, ["purchasing"]).post(f"/api/v1/orders/{order.number}/receipt/").status_code == 404
    signed = api_for(buyer, ["purchasing"]).post(f"/api/v1/orders/{order.number}/receipt/")
    assert signed.status_code == 200 and signed.json()["status"] == "received"
    again = api_for(buyer, ["purchasing"]).post(f"/api/v1/orders/{order.number}/receipt/")
    assert again.status_code == 422
