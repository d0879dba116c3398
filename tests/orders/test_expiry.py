"""Cancellation before payment by either side, and the scheduled expiry of unpaid orders."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.models import StockReservation
from core.errors import BusinessRuleError, Conflict
from core.models import AuditEvent, Notification
from orders import services, tasks
from orders.models import Order, Payment
from orders.states import order_transition
from tests import factories
from tests.orders.buying_helpers import place, stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(seller):
    return stocked(seller, "20", price="500.00")


@pytest.fixture
def buyer_user(buyer):
    return factories.main_user_of(buyer)


def _overdue(order, hours=1):
    Order.objects.filter(pk=order.pk).update(payment_due_at=timezone.now() - timedelta(hours=hours))


def test_expiry_cancels_releases_stock_and_runs_twice_harmlessly(product, buyer_user):
    due = place(buyer_user, product, "5")
    fresh = place(buyer_user, product, "3")
    _overdue(due)

    assert services.expire_unpaid_orders() == 1
    assert services.expire_unpaid_orders() == 0
    assert tasks.expire_unpaid_orders() == 0
    due.refresh_from_db()
    fresh.refresh_from_db()
    assert due.status == Order.Status.CANCELLED and due.cancel_reason == "超过付款期限未付款，系统自动取消"
    assert due.lines.get().reservation.status == StockReservation.Status.RELEASED
    assert fresh.status == Order.Status.PENDING_PAYMENT
    product.refresh_from_db()
    assert product.stock_reserved == 3
    assert catalog_selectors.ledger_totals(product.pk) == {"on_hand": Decimal("20"), "reserved": Decimal("3")}
    event = AuditEvent.objects.get(action="order.status", subject_id=str(due.pk), after="cancelled")
    assert event.actor is None
    assert Notification.objects.filter(recipient=buyer_user, kind="order.expired").count() == 1


def test_recorded_transfer_gets_a_day_of_grace_then_expires(product, buyer_user):
    order = place(buyer_user, product, "5")
    Payment.objects.create(order=order, amount=order.total, payer_name="买家", bank_reference="BR-9",
                           transferred_on=timezone.localdate(), recorded_by=buyer_user)
    _overdue(order, hours=2)
    assert services.expire_unpaid_orders() == 0
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(hours=23)) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_rejected_transfer_does_not_hold_expiry(product, buyer_user):
    order = place(buyer_user, product, "5")
    Payment.objects.create(order=order, amount=order.total, payer_name="买家", bank_reference="BR-10",
                           transferred_on=timezone.localdate(), recorded_by=buyer_user, status=Payment.Status.REJECTED)
    _overdue(order)
    assert services.expire_unpaid_orders() == 1


def test_awaiting_approval_and_paid_orders_do_not_expire(buyer, product, buyer_user):
    paid = place(buyer_user, product, "1")
    order_transition(order_id=paid.pk, to=Order.Status.PAID, actor=None)
    _overdue(paid)
    assert services.expire_unpaid_orders() == 0


def test_buyer_and_seller_cancel_with_a_reason(product, buyer_user, seller):
    first = place(buyer_user, product, "2")
    with pytest.raises(BusinessRuleError, match="请填写原因"):
        services.cancel_order(by=buyer_user, order_id=first.pk, reason="")
    services.cancel_order(by=buyer_user, order_id=first.pk, reason="下错单了")
    first.refresh_from_db()
    assert first.status == Order.Status.CANCELLED and first.cancel_reason == "买家取消：下错单了"
    assert Notification.objects.filter(recipient=factories.main_user_of(seller), kind="order.cancelled").exists()

    second = place(buyer_user, product, "2")
    services.cancel_order(by=factories.main_user_of(seller), order_id=second.pk, reason="停产")
    second.refresh_from_db()
    assert second.cancel_reason == "卖家取消：停产"
    assert Notification.objects.filter(recipient=buyer_user, kind="order.cancelled").exists()
    product.refresh_from_db()
    assert product.stock_reserved == 0


def test_cancel_refusals(product, buyer_user, seller):
    order = place(buyer_user, product, "2")
    stranger = factories.main_user_of(factories.company(name="路人纸业有限公司"))
    with pytest.raises(Exception, match="未找到该订单"):
        services.cancel_order(by=stranger, order_id=order.pk, reason="x")
    payment = Payment.objects.create(order=order, amount=order.total, payer_name="买家", bank_reference="BR-11",
                                     transferred_on=timezone.localdate(), recorded_by=buyer_user)
    with pytest.raises(Conflict, match="已登记转账"):
        services.cancel_order(by=buyer_user, order_id=order.pk, reason="x")
    payment.delete()
    order_transition(order_id=order.pk, to=Order.Status.PAID, actor=None)
    with pytest.raises(Conflict, match="申请退款"):
        services.cancel_order(by=buyer_user, order_id=order.pk, reason="x")


def test_messages_both_sides_notify_the_other(client, product, buyer_user, seller):
    order = place(buyer_user, product, "2")
    seller_user = factories.main_user_of(seller)
    services.post_order_message(by=buyer_user, order_id=order.pk, body="能否周五前发货？")
    services.post_order_message(by=seller_user, order_id=order.pk, body="可以")
    assert Notification.objects.filter(recipient=seller_user, kind="order.message").count() == 1
    assert Notification.objects.filter(recipient=buyer_user, kind="order.message").count() == 1
    with pytest.raises(BusinessRuleError, match="请填写留言内容"):
        services.post_order_message(by=buyer_user, order_id=order.pk, body="   ")
    order_transition(order_id=order.pk, to=Order.Status.PAID, actor=None)
    services.post_order_message(by=buyer_user, order_id=order.pk, body="已付款")
    assert order.messages.count() == 3

    client.force_login(seller_user)
    client.post(reverse("merchant-orders:buying-message", args=[order.number]), {"body": "已安排"})
    page = client.get(reverse("merchant-orders:detail", args=[order.number])).content.decode()
    assert "能否周五前发货？" in page and "已安排" in page


def test_cancel_over_http(client, product, buyer_user):
    order = place(buyer_user, product, "2")
    client.force_login(buyer_user)
    response = client.post(reverse("member-orders:buying-cancel", args=[order.number]), {"reason": "不需要了"},
                           follow=True)
    assert "订单已取消" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    again = client.post(reverse("member-orders:buying-cancel", args=[order.number]), {"reason": "再来"}, follow=True)
    assert again.status_code == 200 and "只有未付款的订单可以取消" in again.content.decode()
