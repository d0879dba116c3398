"""Orders paid by a barter deal or a debt settlement: priced as agreed, paid at once, the seller
told to ship, and never refunded in money."""

from decimal import Decimal

import pytest

from core.errors import BusinessRuleError
from core.models import Notification
from orders import refunds, services
from orders.models import Order
from tests import factories
from tests.orders.buying_helpers import stocked

pytestmark = pytest.mark.django_db


def test_a_settled_order_is_paid_at_the_agreed_value_and_the_seller_ships_it(
        buyer, seller, django_capture_on_commit_callbacks):
    product = stocked(seller, "100", price="5000.00")
    line = services.SettledLine(product=product, category=product.category, title=product.title, unit="吨",
                                quantity=Decimal("3"), unit_price=Decimal("4200.00"), amount=Decimal("12600.00"))

    with django_capture_on_commit_callbacks(execute=True):
        order = services.place_settled_order(buyer=buyer, seller=seller, lines=[line], by=None,
                                             payment_method=Order.PaymentMethod.BARTER, reason="易货结算")

    assert (order.status, order.total, order.amount_paid) == (Order.Status.PAID, Decimal("12600.00"),
                                                              Decimal("12600.00"))
    assert order.lines.get().unit_price == Decimal("4200.00")
    told = Notification.objects.get(recipient=factories.main_user_of(seller), kind="order.placed")
    assert "易货结算" in told.body and "等待买家付款" not in told.body


def test_a_settled_order_is_not_refunded_in_money(buyer, seller):
    product = stocked(seller, "100", price="5000.00")
    line = services.SettledLine(product=product, category=product.category, title=product.title, unit="吨",
                                quantity=Decimal("1"), unit_price=Decimal("5000.00"), amount=Decimal("5000.00"))
    order = services.place_settled_order(buyer=buyer, seller=seller, lines=[line], by=None,
                                         payment_method=Order.PaymentMethod.GOODS_FOR_DEBT, reason="以货抵债")

    with pytest.raises(BusinessRuleError) as refused:
        refunds.request_refund(by=factories.main_user_of(buyer), order_id=order.pk, reason="不要了")
    assert refused.value.code == "settled_without_money"


def test_a_settled_order_cannot_be_disputed_for_money(buyer, seller):
    from orders.disputes import dispute_refusal

    product = stocked(seller, "100", price="5000.00")
    line = services.SettledLine(product=product, category=product.category, title=product.title, unit="吨",
                                quantity=Decimal("1"), unit_price=Decimal("5000.00"), amount=Decimal("5000.00"))
    order = services.place_settled_order(buyer=buyer, seller=seller, lines=[line], by=factories.main_user_of(seller),
                                         payment_method=Order.PaymentMethod.BARTER, reason="易货结算")

    assert "易货" in dispute_refusal(order=order)
    assert order.placed_by is None  # the seller's member confirmed the deal: not the buyer's 下单人
