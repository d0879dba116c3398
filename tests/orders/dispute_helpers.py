"""Orders in the states disputes start from, built directly (status, payment and tracking rows),
so each test states exactly the facts the rules will see."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from orders.models import Order, Shipment, TrackingEvent
from orders.states import order_transition
from tests import factories

S = Order.Status


def paid_order(*, buyer, seller, total="12345.00", paid_days_ago=8, status=S.PAID, **kwargs):
    """An order the buyer paid in full `paid_days_ago` days ago."""
    order = factories.order(buyer=buyer, seller=seller, total=total, status=status, **kwargs)
    order.paid_at = timezone.now() - timedelta(days=paid_days_ago)
    order.amount_paid = Decimal(total)
    order.save(update_fields=["paid_at", "amount_paid"])
    return order


def shipped_order(*, buyer, seller, waybill="SF1234567890", shipped_days_ago=12, last_event_days_ago=9,
                  delivered=False, **kwargs):
    """A paid order shipped by SF Express with tracking events; optionally delivered."""
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=shipped_days_ago + 1, status=S.SHIPPED, **kwargs)
    shipped_at = timezone.now() - timedelta(days=shipped_days_ago)
    order.shipped_at = shipped_at
    order.save(update_fields=["shipped_at"])
    shipment = Shipment.objects.create(order=order, carrier=Shipment.Carrier.SF, waybill_number=waybill,
                                       created_at=shipped_at)
    TrackingEvent.objects.create(shipment=shipment, kind=TrackingEvent.Kind.PICKED_UP, occurred_at=shipped_at,
                                 location="济南", description="顺丰已揽收")
    TrackingEvent.objects.create(shipment=shipment, kind=TrackingEvent.Kind.IN_TRANSIT,
                                 occurred_at=timezone.now() - timedelta(days=last_event_days_ago),
                                 location="武汉分拨中心", description="快件已到达武汉分拨中心")
    if delivered:
        delivered_at = timezone.now() - timedelta(days=max(last_event_days_ago - 1, 0), hours=1)
        TrackingEvent.objects.create(shipment=shipment, kind=TrackingEvent.Kind.DELIVERED, occurred_at=delivered_at,
                                     location="上海", description="已签收，签收人：前台")
        shipment.delivered_at = delivered_at
        shipment.save(update_fields=["delivered_at"])
        order.delivered_at = delivered_at
        order.save(update_fields=["delivered_at"])
    return order


def signed_by_buyer(order):
    """The buyer's main account confirms receipt (签收) through the state machine."""
    return order_transition(order_id=order.pk, to=S.RECEIVED, actor=factories.main_user_of(order.buyer),
                            reason="买家确认收货")


def png(name="签收单照片.png"):
    return factories.upload(name=name, content=factories.PNG_BYTES, content_type="image/png")
