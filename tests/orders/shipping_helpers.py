"""Orders ready to ship, built the way checkout builds them: a product with stock, a checkout
reservation for the buyer, and an order whose one line holds that reservation."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import StockReservation
from catalog.services import reserve_stock
from orders.models import Order, OrderLine, Shipment
from orders.services import company_snapshot
from orders.shipping import ship_order
from tests import factories


def paid_order(*, buyer, seller, quantity="10", on_hand="50", number=None, status=Order.Status.PAID):
    product = factories.stock(factories.product(seller=seller, title="250g 白卡纸"), on_hand)
    number = number or f"PO-S-{Order.objects.count() + 1:06d}"
    reservation = reserve_stock(product_id=product.pk, holder=buyer, quantity=quantity,
                                by=factories.main_user_of(buyer), kind=StockReservation.Kind.CHECKOUT,
                                reference=number)
    amount = Decimal("4800.00") * Decimal(quantity)
    now = timezone.now()
    order = Order.objects.create(
        number=number, buyer=buyer, seller=seller, total=amount, amount_paid=amount if status != "pending_payment"
        else 0, status=status, buyer_snapshot=company_snapshot(buyer), seller_snapshot=company_snapshot(seller),
        placed_at=now - timedelta(hours=2), paid_at=now - timedelta(hours=1) if status != "pending_payment" else None)
    OrderLine.objects.create(order=order, product=product, reservation=reservation, title=product.title, unit="吨",
                             quantity=Decimal(quantity), unit_price=Decimal("4800.00"), amount=amount)
    return order


def shipped_order(*, buyer, seller, carrier=Shipment.Carrier.SF, waybill_number="", carrier_name="", **kwargs):
    order = paid_order(buyer=buyer, seller=seller, **kwargs)
    shipment = ship_order(by=factories.main_user_of(seller), order_id=order.pk, carrier=carrier,
                          waybill_number=waybill_number, carrier_name=carrier_name)
    order.refresh_from_db()
    return order, shipment


def backdate(shipment, *, days):
    """Pretend the goods were handed over `days` ago (the simulator's route starts then)."""
    shipment.created_at = timezone.now() - timedelta(days=days)
    shipment.save(update_fields=["created_at"])
    return shipment
