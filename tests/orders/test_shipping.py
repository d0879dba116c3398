"""Shipping an order: the seller ships a paid order with an online or offline carrier, the reserved
stock leaves the warehouse, tracking is polled from the carrier (or entered by hand for offline
carriers), and a delivered step stamps the order. Every refusal is tested."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.utils import timezone

from catalog.models import Product, StockReservation
from catalog.selectors import ledger_totals
from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.models import AuditEvent, Notification
from core.permissions import CompanyPermission
from orders import shipping
from orders.carriers import CarrierError
from orders.carriers.simulator import SimulatedCarrier, stalled_waybill
from orders.models import Order, Refund, Shipment, TrackingEvent
from tests import factories
from tests.orders.shipping_helpers import backdate, paid_order, shipped_order

pytestmark = pytest.mark.django_db
K = TrackingEvent.Kind


def seller_user(seller):
    return factories.main_user_of(seller)


def test_shipping_with_sf_books_a_waybill_and_consumes_the_reservation(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller, quantity="10", on_hand="50")
    line = order.lines.get()
    product_id = line.product_id
    before = Product.objects.get(pk=product_id)
    assert (before.stock_on_hand, before.stock_reserved) == (Decimal("50"), Decimal("10"))

    shipment = shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="sf")

    assert shipment.waybill_number.startswith("SF") and len(shipment.waybill_number) == 14
    assert (shipment.direction, shipment.carrier) == (Shipment.Direction.DELIVERY, "sf")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED and order.shipped_at is not None
    product = Product.objects.get(pk=product_id)
    assert (product.stock_on_hand, product.stock_reserved) == (Decimal("40"), Decimal("0"))
    assert ledger_totals(product_id) == {"on_hand": Decimal("40"), "reserved": Decimal("0")}
    line.reservation.refresh_from_db()
    assert line.reservation.status == StockReservation.Status.CONSUMED
    out = line.reservation.movements.get(kind="out")
    assert (out.reference, out.on_hand_change) == (order.number, Decimal("-10"))
    assert Notification.objects.filter(recipient=factories.main_user_of(buyer), kind="order.shipped",
                                       body__contains=shipment.waybill_number).exists()
    assert AuditEvent.objects.filter(action="order.status", after="shipped", subject_id=str(order.pk)).exists()


def test_shipping_offline_needs_the_carrier_name_and_a_waybill_number(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    with pytest.raises(BusinessRuleError) as missing_name:
        shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="offline", waybill_number="DB123456")
    assert "carrier_name" in missing_name.value.details
    with pytest.raises(BusinessRuleError) as missing_number:
        shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="offline", carrier_name="德邦物流")
    assert "waybill_number" in missing_number.value.details
    shipment = shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="offline",
                                   carrier_name="德邦物流", waybill_number=" db 1234-5678 ")
    assert (shipment.carrier_name, shipment.waybill_number) == ("德邦物流", "DB1234-5678")


def test_an_online_waybill_number_must_have_the_carriers_format(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    with pytest.raises(BusinessRuleError, match="顺丰运单号"):
        shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="sf", waybill_number="123")
    shipment = shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="jd",
                                   waybill_number="jdva01234567890")
    assert shipment.waybill_number == "JDVA01234567890"


def test_a_waybill_number_cannot_be_used_twice(buyer, seller):
    _order, first = shipped_order(buyer=buyer, seller=seller)
    other = paid_order(buyer=buyer, seller=seller)
    with pytest.raises(Conflict, match="已被登记过"):
        shipping.ship_order(by=seller_user(seller), order_id=other.pk, carrier="sf",
                            waybill_number=first.waybill_number)
    other.refresh_from_db()
    assert other.status == Order.Status.PAID and other.lines.get().reservation.status == "active"


@pytest.mark.parametrize("status", [Order.Status.PENDING_PAYMENT, Order.Status.AWAITING_APPROVAL,
                                    Order.Status.CANCELLED])
def test_shipping_refused_before_payment(buyer, seller, status):
    order = paid_order(buyer=buyer, seller=seller, status=status)
    with pytest.raises(BusinessRuleError, match="已付款"):
        shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="sf")
    assert not order.shipments.exists()


@pytest.mark.parametrize("status", [Order.Status.REFUND_REQUESTED, Order.Status.IN_DISPUTE])
def test_shipping_refused_during_refund_or_dispute(buyer, seller, status):
    order = paid_order(buyer=buyer, seller=seller, status=status)
    with pytest.raises(BusinessRuleError, match="退款或纠纷"):
        shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="sf")


def test_shipping_twice_is_refused(buyer, seller):
    order, _shipment = shipped_order(buyer=buyer, seller=seller)
    with pytest.raises(BusinessRuleError, match="已发货"):
        shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="sf")
    assert order.shipments.count() == 1


def test_another_companys_order_is_not_found(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    stranger = factories.company(name="广州他人纸业有限公司")
    with pytest.raises(NotFound):
        shipping.ship_order(by=factories.main_user_of(stranger), order_id=order.pk, carrier="sf")
    with pytest.raises(NotFound):  # the buyer cannot ship its own purchase either
        shipping.ship_order(by=factories.main_user_of(buyer), order_id=order.pk, carrier="sf")


def test_sub_account_without_fulfilment_cannot_ship(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    clerk = factories.sub_account(seller, [CompanyPermission.PRODUCTS])
    with pytest.raises(NotAllowed, match="发货履约"):
        shipping.ship_order(by=clerk, order_id=order.pk, carrier="sf")
    shipper = factories.sub_account(seller, [CompanyPermission.FULFILMENT])
    assert shipping.ship_order(by=shipper, order_id=order.pk, carrier="sf").created_by == shipper


def test_a_carrier_that_cannot_book_leaves_the_order_paid(buyer, seller, monkeypatch):
    order = paid_order(buyer=buyer, seller=seller)

    def refuse(self, request):
        raise CarrierError("顺丰接口拒绝了请求：月结卡号无效")

    monkeypatch.setattr(SimulatedCarrier, "create_waybill", refuse)
    with pytest.raises(CarrierError, match="月结卡号无效"):
        shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="sf")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and not order.shipments.exists()


# --- tracking -----------------------------------------------------------------------------------

def test_polling_twice_adds_nothing_twice(buyer, seller):
    _order, shipment = shipped_order(buyer=buyer, seller=seller)
    backdate(shipment, days=2)
    now = timezone.now()
    added = shipping.poll_tracking(now=now)
    assert added == shipment.events.count() > 1
    assert shipping.poll_tracking(now=now) == 0
    assert shipment.events.count() == added
    shipment.refresh_from_db()
    assert shipment.last_polled_at == now


def test_a_delivered_step_stamps_the_shipment_and_the_order(buyer, seller):
    order, shipment = shipped_order(buyer=buyer, seller=seller, carrier="jd")
    backdate(shipment, days=6)
    shipping.poll_tracking()
    delivered = shipment.events.get(kind=K.DELIVERED)
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.delivered_at == delivered.occurred_at == order.delivered_at
    assert order.status == Order.Status.SHIPPED
    assert Notification.objects.filter(recipient=factories.main_user_of(buyer), kind="order.delivered").count() == 1
    # A delivered shipment is no longer polled.
    assert not shipping.shipments_to_poll().filter(pk=shipment.pk).exists()


def test_tracking_is_revealed_as_time_passes(buyer, seller):
    order, shipment = shipped_order(buyer=buyer, seller=seller)
    assert shipping.poll_tracking(now=shipment.created_at + timedelta(seconds=1)) == 1
    assert list(shipment.events.values_list("kind", flat=True)) == [K.CREATED]
    shipping.poll_tracking(now=shipment.created_at + timedelta(days=5))
    order.refresh_from_db()
    assert shipment.events.filter(kind=K.DELIVERED).exists() and order.delivered_at is not None


def test_a_stalled_waybill_never_delivers(buyer, seller):
    order, shipment = shipped_order(buyer=buyer, seller=seller, carrier="sf", waybill_number=stalled_waybill("sf"))
    backdate(shipment, days=8)
    shipping.poll_tracking()
    assert list(shipment.events.values_list("kind", flat=True)) == [K.CREATED]
    order.refresh_from_db()
    assert order.delivered_at is None


def test_one_carrier_failure_does_not_stop_the_others(buyer, seller, monkeypatch):
    _o1, broken = shipped_order(buyer=buyer, seller=seller, carrier="jd")
    _o2, working = shipped_order(buyer=buyer, seller=seller, carrier="sf")
    backdate(broken, days=1)
    backdate(working, days=1)
    real = SimulatedCarrier.fetch_tracking

    def flaky(self, waybill_number, *, context=None):
        if self.code == "jd":
            raise CarrierError("京东物流接口响应超时，请稍后重试。")
        return real(self, waybill_number, context=context)

    monkeypatch.setattr(SimulatedCarrier, "fetch_tracking", flaky)
    assert shipping.poll_tracking() > 0
    assert not broken.events.exists() and working.events.exists()


def test_refresh_on_demand_for_a_party_of_the_order(buyer, seller):
    _order, shipment = shipped_order(buyer=buyer, seller=seller)
    backdate(shipment, days=1)
    assert shipping.refresh_tracking(shipment_id=shipment.pk, by=factories.main_user_of(buyer)) > 0
    # Asked again within the minute: the carrier is not bothered.
    assert shipping.refresh_tracking(shipment_id=shipment.pk, by=factories.main_user_of(buyer)) == 0
    stranger = factories.company(name="广州他人纸业有限公司")
    with pytest.raises(NotFound):
        shipping.refresh_tracking(shipment_id=shipment.pk, by=factories.main_user_of(stranger))


def test_offline_shipments_are_not_refreshed(buyer, seller):
    _order, shipment = shipped_order(buyer=buyer, seller=seller, carrier="offline", carrier_name="德邦物流",
                                     waybill_number="DB20260301")
    with pytest.raises(BusinessRuleError, match="手工录入"):
        shipping.refresh_tracking(shipment_id=shipment.pk, by=seller_user(seller))
    assert not shipping.shipments_to_poll().filter(pk=shipment.pk).exists()


def test_seller_enters_offline_tracking_and_delivery_stamps_the_order(buyer, seller):
    order, shipment = shipped_order(buyer=buyer, seller=seller, carrier="offline", carrier_name="德邦物流",
                                    waybill_number="DB20260301")
    now = timezone.now()
    shipping.add_tracking_event(by=seller_user(seller), shipment_id=shipment.pk, kind=K.IN_TRANSIT,
                                occurred_at=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                                location="武汉分拨中心", description="货物已到达武汉分拨中心")
    event = shipping.add_tracking_event(by=seller_user(seller), shipment_id=shipment.pk, kind=K.DELIVERED,
                                        occurred_at=now, location="上海", description="客户已签收")
    assert event.entered_by == seller_user(seller)
    order.refresh_from_db()
    assert order.delivered_at == event.occurred_at
    with pytest.raises(BusinessRuleError, match="已送达"):
        shipping.add_tracking_event(by=seller_user(seller), shipment_id=shipment.pk, kind=K.IN_TRANSIT,
                                    occurred_at=now, description="again")


def test_manual_tracking_refusals(buyer, seller):
    _order, online = shipped_order(buyer=buyer, seller=seller, carrier="sf")
    with pytest.raises(BusinessRuleError, match="承运商自动同步"):
        shipping.add_tracking_event(by=seller_user(seller), shipment_id=online.pk, kind=K.IN_TRANSIT,
                                    occurred_at=timezone.now(), description="手工")
    _order2, offline = shipped_order(buyer=buyer, seller=seller, carrier="offline", carrier_name="德邦物流",
                                     waybill_number="DB20260302")
    args = {"shipment_id": offline.pk, "kind": K.IN_TRANSIT, "location": "", "description": "运输中"}
    with pytest.raises(NotFound):  # the buyer does not write the seller's delivery tracking
        shipping.add_tracking_event(by=factories.main_user_of(buyer), occurred_at=timezone.now(), **args)
    with pytest.raises(NotAllowed):
        shipping.add_tracking_event(by=factories.sub_account(seller, [CompanyPermission.PRODUCTS]),
                                    occurred_at=timezone.now(), **args)
    with pytest.raises(BusinessRuleError, match="晚于现在"):
        shipping.add_tracking_event(by=seller_user(seller), occurred_at=timezone.now() + timedelta(days=1), **args)
    with pytest.raises(BusinessRuleError, match="正确的时间"):
        shipping.add_tracking_event(by=seller_user(seller), occurred_at="昨天", **args)
    with pytest.raises(BusinessRuleError, match="轨迹类型"):
        shipping.add_tracking_event(by=seller_user(seller), occurred_at=timezone.now(),
                                    **{**args, "kind": "teleported"})
    with pytest.raises(BusinessRuleError, match="轨迹描述"):
        shipping.add_tracking_event(by=seller_user(seller), occurred_at=timezone.now(),
                                    **{**args, "description": "  "})
    assert not offline.events.exists()


def test_buyer_enters_tracking_of_its_offline_return(buyer, seller):
    order, _delivery = shipped_order(buyer=buyer, seller=seller)
    returned = Shipment.objects.create(order=order, direction=Shipment.Direction.RETURN, carrier="offline",
                                       carrier_name="中通快递", waybill_number="ZT778899")
    Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUND_REQUESTED)
    Refund.objects.create(order=order, reason="质量问题", amount=order.total, needs_return=True,
                          status=Refund.Status.RETURN_SHIPPED, return_shipment=returned)
    shipping.add_tracking_event(by=factories.main_user_of(buyer), shipment_id=returned.pk, kind=K.DELIVERED,
                                occurred_at=timezone.now(), location="济南", description="卖家仓库已签收")
    returned.refresh_from_db()
    order.refresh_from_db()
    assert returned.delivered_at is not None and order.delivered_at is None
    with pytest.raises(NotFound):  # the seller does not write the buyer's return tracking
        shipping.add_tracking_event(by=seller_user(seller), shipment_id=returned.pk, kind=K.IN_TRANSIT,
                                    occurred_at=timezone.now(), description="x")


# --- pages --------------------------------------------------------------------------------------

def test_seller_ships_from_the_order_page(client, buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    client.force_login(seller_user(seller))
    response = client.post(f"/merchant/orders/{order.number}/ship/", {"carrier": "jd", "waybill_number": ""})
    assert response.status_code == 302 and response["Location"] == f"/merchant/orders/{order.number}/"
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED and order.shipments.get().waybill_number.startswith("JDV")


def test_a_refused_shipment_is_a_message_not_an_error_page(client, buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    client.force_login(seller_user(seller))
    response = client.post(f"/merchant/orders/{order.number}/ship/", {"carrier": "offline"})
    assert response.status_code == 302 and response["Location"] == f"/merchant/orders/{order.number}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["请填写物流公司名称。"]
    stranger = factories.company(name="广州他人纸业有限公司")
    client.force_login(factories.main_user_of(stranger))
    response = client.post(f"/merchant/orders/{order.number}/ship/", {"carrier": "sf"})
    assert response.status_code == 302 and response["Location"] == "/merchant/orders/"
    assert str(list(get_messages(response.wsgi_request))[-1]) == "未找到该订单。"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_tracking_event_and_refresh_from_the_pages(client, buyer, seller):
    _order, offline = shipped_order(buyer=buyer, seller=seller, carrier="offline", carrier_name="德邦物流",
                                    waybill_number="DB20260303")
    client.force_login(seller_user(seller))
    response = client.post(f"/merchant/orders/shipments/{offline.pk}/events/", {
        "kind": "in_transit", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "location": "武汉分拨中心", "description": "已到达武汉分拨中心"})
    assert response.status_code == 302
    assert offline.events.get().location == "武汉分拨中心"
    _order2, online = shipped_order(buyer=buyer, seller=seller, carrier="sf")
    backdate(online, days=1)
    client.force_login(factories.main_user_of(buyer))
    response = client.post(f"/member/orders/shipments/{online.pk}/refresh/")
    assert response.status_code == 302 and online.events.exists()


def test_panel_shows_the_timeline_newest_first_and_the_forms_each_side_may_use(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    seller_membership = seller_user(seller).membership
    html = render_to_string("orders/includes/shipping_panel.html", {
        "order": order, "side": "seller", "membership": seller_membership, "user": seller_user(seller)})
    assert "确认发货" in html and "确认收货" not in html
    order, shipment = shipped_order(buyer=buyer, seller=seller)
    backdate(shipment, days=6)
    shipping.poll_tracking()
    buyer_user = factories.main_user_of(buyer)
    html = render_to_string("orders/includes/shipping_panel.html", {
        "order": order, "side": "buyer", "membership": buyer_user.membership, "user": buyer_user})
    assert "确认收货" in html and "刷新物流" in html and "确认发货" not in html
    assert shipment.waybill_number in html
    assert html.index("已送达") < html.index("已揽收")
    staff = render_to_string("orders/includes/shipping_panel.html", {
        "order": order, "side": "staff", "membership": None, "user": factories.staff_user("reviewer")})
    assert shipment.waybill_number in staff and "确认收货" not in staff and "刷新物流" not in staff


def test_order_pages_carry_the_shipping_panel(client, buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    client.force_login(seller_user(seller))
    page = client.get(f"/merchant/orders/{order.number}/")
    assert page.status_code == 200
    assert f'action="/merchant/orders/{order.number}/ship/"' in page.content.decode()
    shipping.ship_order(by=seller_user(seller), order_id=order.pk, carrier="sf")
    client.force_login(factories.main_user_of(buyer))
    page = client.get(f"/member/orders/{order.number}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'action="/member/orders/{order.number}/receipt/"' in html and order.shipments.get().waybill_number in html
