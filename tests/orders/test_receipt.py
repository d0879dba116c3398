"""签收 and completion: the buyer confirms receipt of a shipped order; the system signs for orders
delivered more than `auto_receive_days` ago and completes received orders whose after-sale period
has passed without an open refund or dispute. Both jobs are safe to run twice."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from core.errors import BusinessRuleError, NotAllowed, NotFound
from core.models import AuditEvent, Notification
from core.permissions import CompanyPermission
from orders import shipping, tasks
from orders.models import Dispute, Order, OrderSettings, Refund
from tests import factories
from tests.orders.shipping_helpers import backdate, paid_order, shipped_order

pytestmark = pytest.mark.django_db
S = Order.Status


def delivered_order(buyer, seller, *, days_ago):
    """A shipped order whose goods the carrier delivered about `days_ago` days ago."""
    order, shipment = shipped_order(buyer=buyer, seller=seller)
    backdate(shipment, days=days_ago + 4)
    shipping.poll_tracking()
    order.refresh_from_db()
    assert order.delivered_at is not None
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=days_ago))
    order.refresh_from_db()
    return order


def test_buyer_confirms_receipt(buyer, seller):
    order, _shipment = shipped_order(buyer=buyer, seller=seller)
    purchaser = factories.sub_account(buyer, [CompanyPermission.PURCHASING])
    shipping.confirm_receipt(by=purchaser, order_id=order.pk)
    order.refresh_from_db()
    assert order.status == S.RECEIVED and order.received_at is not None
    assert AuditEvent.objects.filter(action="order.status", after="received", actor=purchaser,
                                     reason="买家确认收货").exists()
    assert Notification.objects.filter(recipient=factories.main_user_of(seller), kind="order.received").exists()


def test_receipt_refusals(buyer, seller):
    paid = paid_order(buyer=buyer, seller=seller)
    with pytest.raises(BusinessRuleError, match="已发货"):
        shipping.confirm_receipt(by=factories.main_user_of(buyer), order_id=paid.pk)
    order, _shipment = shipped_order(buyer=buyer, seller=seller)
    with pytest.raises(NotFound):  # the seller cannot sign for its own goods
        shipping.confirm_receipt(by=factories.main_user_of(seller), order_id=order.pk)
    stranger = factories.company(name="广州他人纸业有限公司")
    with pytest.raises(NotFound):
        shipping.confirm_receipt(by=factories.main_user_of(stranger), order_id=order.pk)
    with pytest.raises(NotAllowed, match="采购与订单"):
        shipping.confirm_receipt(by=factories.sub_account(buyer, [CompanyPermission.FINANCE]), order_id=order.pk)
    Order.objects.filter(pk=order.pk).update(status=S.REFUND_REQUESTED)
    with pytest.raises(BusinessRuleError, match="退款或纠纷"):
        shipping.confirm_receipt(by=factories.main_user_of(buyer), order_id=order.pk)
    order.refresh_from_db()
    assert order.received_at is None


def test_buyer_confirms_receipt_from_the_order_page(client, buyer, seller):
    order, _shipment = shipped_order(buyer=buyer, seller=seller)
    client.force_login(factories.main_user_of(buyer))
    response = client.post(f"/member/orders/{order.number}/receipt/")
    assert response.status_code == 302 and response["Location"] == f"/member/orders/{order.number}/"
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    again = client.post(f"/member/orders/{order.number}/receipt/")
    assert again.status_code == 302
    assert "只有已发货的订单可以确认收货" in str(list(get_messages(again.wsgi_request))[-1])


def test_auto_receipt_after_the_set_days_and_only_once(buyer, seller):
    OrderSettings.objects.update_or_create(pk=1, defaults={"auto_receive_days": 10})
    due = delivered_order(buyer, seller, days_ago=11)
    not_yet = delivered_order(buyer, seller, days_ago=9)
    assert shipping.auto_confirm_receipts() == 1
    due.refresh_from_db()
    not_yet.refresh_from_db()
    assert due.status == S.RECEIVED and not_yet.status == S.SHIPPED
    event = AuditEvent.objects.get(action="order.status", after="received", subject_id=str(due.pk))
    assert event.actor is None and "10 天" in event.reason
    assert shipping.auto_confirm_receipts() == 0
    assert Notification.objects.filter(kind="order.received", recipient=factories.main_user_of(buyer)).count() == 1
    # Nine days on the clock moves the other one too.
    assert shipping.auto_confirm_receipts(now=timezone.now() + timedelta(days=2)) == 1


def test_auto_receipt_needs_a_delivery(buyer, seller):
    order, shipment = shipped_order(buyer=buyer, seller=seller)
    Order.objects.filter(pk=order.pk).update(shipped_at=timezone.now() - timedelta(days=40))
    assert shipping.auto_confirm_receipts(now=timezone.now() + timedelta(days=30)) == 0
    order.refresh_from_db()
    assert order.status == S.SHIPPED


def test_auto_receipt_waits_during_a_refund(buyer, seller):
    order = delivered_order(buyer, seller, days_ago=30)
    Order.objects.filter(pk=order.pk).update(status=S.REFUND_REQUESTED)
    assert shipping.auto_confirm_receipts() == 0


def test_received_orders_complete_after_the_after_sale_period(buyer, seller):
    OrderSettings.objects.update_or_create(pk=1, defaults={"complete_after_days": 7})
    old, _s1 = shipped_order(buyer=buyer, seller=seller)
    recent, _s2 = shipped_order(buyer=buyer, seller=seller)
    disputed, _s3 = shipped_order(buyer=buyer, seller=seller)
    refunding, _s4 = shipped_order(buyer=buyer, seller=seller)
    for order in (old, recent, disputed, refunding):
        shipping.confirm_receipt(by=factories.main_user_of(buyer), order_id=order.pk)
    long_ago = timezone.now() - timedelta(days=8)
    Order.objects.filter(pk__in=[old.pk, disputed.pk, refunding.pk]).update(received_at=long_ago)
    Order.objects.filter(pk=recent.pk).update(received_at=timezone.now() - timedelta(days=6))
    Dispute.objects.create(order=disputed, kind=Dispute.Kind.QUALITY, claim="纸张受潮", claimed_amount=disputed.total)
    Refund.objects.create(order=refunding, reason="数量不符", amount=refunding.total)

    assert shipping.complete_received_orders() == 1
    statuses = dict(Order.objects.filter(pk__in=[old.pk, recent.pk, disputed.pk, refunding.pk]).values_list(
        "number", "status"))
    assert statuses == {old.number: S.COMPLETED, recent.number: S.RECEIVED, disputed.number: S.RECEIVED,
                        refunding.number: S.RECEIVED}
    old.refresh_from_db()
    assert old.completed_at is not None
    assert shipping.complete_received_orders() == 0
    event = AuditEvent.objects.get(action="order.status", after="completed", subject_id=str(old.pk))
    assert event.actor is None and "7 天" in event.reason


def test_scheduled_tasks_call_the_jobs(buyer, seller):
    order = delivered_order(buyer, seller, days_ago=30)
    assert tasks.poll_tracking() == 0
    assert tasks.auto_confirm_receipts() == 1
    Order.objects.filter(pk=order.pk).update(received_at=timezone.now() - timedelta(days=30))
    assert tasks.complete_received_orders() == 1
    order.refresh_from_db()
    assert order.status == S.COMPLETED
