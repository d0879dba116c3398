"""Helpers for the payment and refund tests: an order built directly (products with stock, lines
holding reservations), transfers recorded and confirmed, finance staff."""

from decimal import Decimal

from django.utils import timezone

from catalog.services import reserve_stock
from orders import payments
from orders.models import Order, OrderLine
from orders.services import company_snapshot
from orders.states import order_transition
from tests import factories

_numbers = iter(range(1, 10**6))


def stocked_product(seller, quantity="100", price="5000.00", title="250g 白卡纸"):
    return factories.stock(factories.product(seller=seller, price=price, title=title), quantity)


def placed_order(buyer, seller, *, lines=(("2", "5000.00"),), products=None, status=Order.Status.PENDING_PAYMENT,
                 **fields):
    """An order awaiting payment whose lines hold stock reservations, as checkout leaves it.
    `lines` are (quantity, unit price); each gets its own stocked product unless `products` given."""
    number = next(_numbers)
    order = Order.objects.create(
        number=f"PO-PAY-{number:06d}", buyer=buyer, seller=seller, total=Decimal(0),
        remittance_reference=f"RR{number:08d}", buyer_snapshot=company_snapshot(buyer),
        seller_snapshot=company_snapshot(seller), placed_by=factories.main_user_of(buyer),
        payment_due_at=timezone.now() + timezone.timedelta(hours=72), **fields,
    )
    total = Decimal(0)
    for index, (quantity, unit_price) in enumerate(lines):
        product = products[index] if products else stocked_product(seller, title=f"测试纸品 {number}-{index}")
        reservation = reserve_stock(product_id=product.pk, holder=buyer, quantity=quantity, by=None,
                                    reference=order.number)
        amount = Decimal(quantity) * Decimal(unit_price)
        OrderLine.objects.create(order=order, product=product, reservation=reservation, title=product.title,
                                 unit="吨", quantity=Decimal(quantity), unit_price=Decimal(unit_price),
                                 amount=amount, category=product.category)
        total += amount
    order.total = total
    order.save(update_fields=["total"])
    if status != Order.Status.PENDING_PAYMENT:
        move_to(order, status)
    return order


def move_to(order, status):
    """Walk an order along the lifecycle to `status` (paid, shipped, received…), as the other
    services would, keeping amount_paid equal to the total once paid."""
    path = {
        Order.Status.PAID: [Order.Status.PAID],
        Order.Status.SHIPPED: [Order.Status.PAID, Order.Status.SHIPPED],
        Order.Status.RECEIVED: [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.RECEIVED],
        Order.Status.COMPLETED: [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.RECEIVED,
                                 Order.Status.COMPLETED],
        Order.Status.CANCELLED: [Order.Status.CANCELLED],
    }[status]
    if order.status in path:  # already part of the way there
        path = path[path.index(order.status) + 1:]
    if Order.Status.PAID in path:
        Order.objects.filter(pk=order.pk).update(amount_paid=order.total)
    for step in path:
        if step == Order.Status.SHIPPED:
            ship_lines(order)
        order_transition(order_id=order.pk, to=step, actor=None)
    order.refresh_from_db()
    return order


def ship_lines(order):
    """The reserved goods leave the warehouse, as shipping does."""
    from catalog.services import consume_reservation

    for line in order.lines.exclude(reservation=None):
        consume_reservation(reservation_id=line.reservation_id, by=None, reference=order.number)


def finance_user():
    return factories.staff_user("finance")


def record(order, *, by=None, amount=None, payer_name=None, bank_reference=None, transferred_on=None, slip=None):
    return payments.record_transfer(
        by=by or factories.main_user_of(order.buyer), order_id=order.pk,
        amount=amount if amount is not None else payments.recordable(order),
        payer_name=payer_name if payer_name is not None else order.buyer.name, payer_account="1202000000000001",
        bank_reference=bank_reference or f"ICBC{next(_numbers):012d}",
        transferred_on=transferred_on or timezone.localdate(), slip=slip,
    )


def paid_order(buyer, seller, **kwargs):
    """An order paid through a recorded and confirmed transfer."""
    order = placed_order(buyer, seller, **kwargs)
    payments.confirm_payment(by=finance_user(), payment_id=record(order).pk)
    order.refresh_from_db()
    return order
