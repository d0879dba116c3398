"""Refunds and returns: requested until the buyer signs; before shipment the seller approves (or
the system after 48 h) and the stock is released; after shipment the goods come back and go into
stock again; finance pays out, fully (order refunded) or partly (order resumes)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import StockMovement, StockReservation
from catalog.selectors import ledger_totals
from core.errors import BusinessRuleError, Conflict, InvalidTransition, NotAllowed, NotFound
from core.models import AuditEvent, Notification
from orders import refunds
from orders.models import Order, Refund, Shipment
from orders.states import order_transition
from orders.tasks import auto_approve_refunds
from tests import factories
from tests.orders.paying_helpers import finance_user, move_to, paid_order, placed_order

pytestmark = pytest.mark.django_db
S, R = Order.Status, Refund.Status


@pytest.fixture
def buyer_user(buyer):
    return factories.main_user_of(buyer)


@pytest.fixture
def seller_user(seller):
    return factories.main_user_of(seller)


@pytest.fixture
def finance(db):
    return finance_user()


@pytest.fixture
def paid(buyer, seller):
    return paid_order(buyer, seller, lines=[("2", "5000.00")])  # ¥10,000.00, 2 units reserved


@pytest.fixture
def shipped(paid):
    return move_to(paid, S.SHIPPED)  # the 2 reserved units left the warehouse


def product_of(order):
    line = order.lines.get()
    line.product.refresh_from_db()
    return line.product


def test_full_refund_before_shipment_releases_stock_and_ends_refunded(paid, buyer_user, seller_user, finance,
                                                                      buyer, seller):
    refund = refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="不需要了")
    paid.refresh_from_db()
    assert (paid.status, paid.resume_status) == (S.REFUND_REQUESTED, S.PAID)
    assert refund.amount == Decimal("10000.00") and refund.needs_return is False
    assert Notification.objects.filter(recipient=seller_user, kind="order.refund_requested").exists()

    refunds.approve_refund(by=seller_user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == R.AWAITING_PAYOUT
    assert product_of(paid).stock_reserved == 0
    assert paid.lines.get().reservation.status == StockReservation.Status.RELEASED

    refunds.record_refund_payout(by=finance, refund_id=refund.pk, payout_reference="ICBC-RF-001")
    paid.refresh_from_db()
    refund.refresh_from_db()
    assert (refund.status, refund.payout_reference, refund.paid_out_by) == (R.REFUNDED, "ICBC-RF-001", finance)
    assert (paid.status, paid.amount_refunded) == (S.REFUNDED, Decimal("10000.00"))
    for user in (buyer_user, seller_user):
        assert Notification.objects.filter(recipient=user, kind="order.refunded").exists()


def test_partial_refund_before_shipment_keeps_the_stock_and_resumes_the_order(paid, buyer_user, seller_user,
                                                                               finance):
    refund = refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="价格差额", amount="1200.00")
    refunds.approve_refund(by=seller_user, refund_id=refund.pk)
    assert product_of(paid).stock_reserved == 2  # the order still ships
    refunds.record_refund_payout(by=finance, refund_id=refund.pk, payout_reference="ICBC-RF-002")
    paid.refresh_from_db()
    assert (paid.status, paid.amount_refunded) == (S.PAID, Decimal("1200.00"))
    # What is left may be refunded later, and no more.
    assert refunds.refundable_amount(paid) == Decimal("8800.00")
    with pytest.raises(BusinessRuleError) as refused:
        refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="再退", amount="8800.01")
    assert refused.value.code == "amount_above_refundable"


@pytest.mark.parametrize("status", [S.RECEIVED, S.COMPLETED])
def test_refund_refused_after_receipt(buyer, seller, buyer_user, status):
    order = placed_order(buyer, seller, status=status)
    with pytest.raises(BusinessRuleError) as refused:
        refunds.request_refund(by=buyer_user, order_id=order.pk, reason="不想要了")
    assert refused.value.code == "refund_after_receipt"
    assert "签收" in str(refused.value.message)
    assert not order.refunds.exists()


def test_refund_refused_on_unpaid_orders(buyer, seller, buyer_user):
    order = placed_order(buyer, seller)
    with pytest.raises(BusinessRuleError) as refused:
        refunds.request_refund(by=buyer_user, order_id=order.pk, reason="不想要了")
    assert refused.value.code == "order_unpaid"


def test_refund_refused_while_one_is_open(paid, buyer_user):
    refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="第一次")
    with pytest.raises(Conflict) as refused:
        refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="第二次")
    assert refused.value.code == "refund_open"
    assert paid.refunds.count() == 1


def test_refund_amount_above_what_was_paid_is_refused(paid, buyer_user):
    with pytest.raises(BusinessRuleError) as refused:
        refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="多退", amount="10000.01")
    assert refused.value.code == "amount_above_refundable"
    paid.refresh_from_db()
    assert paid.status == S.PAID


def test_refund_needs_a_reason(paid, buyer_user):
    with pytest.raises(BusinessRuleError):
        refunds.request_refund(by=buyer_user, order_id=paid.pk, reason=" ")


def test_sub_accounts_without_rights_are_refused(paid, buyer, seller, buyer_user):
    with pytest.raises(NotAllowed):
        refunds.request_refund(by=factories.sub_account(buyer, ["finance"]), order_id=paid.pk, reason="x")
    refund = refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="不需要了")
    with pytest.raises(NotAllowed):
        refunds.approve_refund(by=factories.sub_account(seller, ["products"]), refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == R.REQUESTED


def test_another_companys_order_and_refund_are_not_found(paid, buyer_user):
    stranger = factories.main_user_of(factories.company(name="别家纸业有限公司"))
    with pytest.raises(NotFound):
        refunds.request_refund(by=stranger, order_id=paid.pk, reason="x")
    refund = refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="不需要了")
    for action in (lambda: refunds.approve_refund(by=stranger, refund_id=refund.pk),
                   lambda: refunds.withdraw_refund(by=stranger, refund_id=refund.pk),
                   lambda: refunds.approve_refund(by=buyer_user, refund_id=refund.pk)):  # the buyer is not the seller
        with pytest.raises(NotFound):
            action()


def test_seller_rejection_returns_the_order_to_where_it_was(shipped, buyer_user, seller_user):
    refund = refunds.request_refund(by=buyer_user, order_id=shipped.pk, reason="不想要了")
    with pytest.raises(BusinessRuleError):
        refunds.reject_refund(by=seller_user, refund_id=refund.pk, reason="")
    refunds.reject_refund(by=seller_user, refund_id=refund.pk, reason="货物已按约定发出")
    assert AuditEvent.objects.get(action="refund.reject").company == shipped.seller  # the seller's operation log
    shipped.refresh_from_db()
    refund.refresh_from_db()
    assert (shipped.status, refund.status, refund.rejection_reason) == (S.SHIPPED, R.REJECTED, "货物已按约定发出")
    assert Notification.objects.filter(recipient=buyer_user, kind="order.refund_rejected").exists()
    with pytest.raises(Conflict):
        refunds.approve_refund(by=seller_user, refund_id=refund.pk)


def test_return_after_shipment_puts_the_stock_back(shipped, buyer, seller, buyer_user, seller_user, finance):
    product = product_of(shipped)
    assert (product.stock_on_hand, product.stock_reserved) == (Decimal("98"), 0)
    refund = refunds.request_refund(by=buyer_user, order_id=shipped.pk, reason="纸张受潮")
    assert refund.needs_return is True
    refunds.approve_refund(by=seller_user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == R.AWAITING_RETURN

    packer = factories.sub_account(seller, ["fulfilment"])  # no product rights: booked as the main account
    with pytest.raises(Conflict):
        refunds.confirm_return(by=packer, refund_id=refund.pk)  # nothing shipped back yet
    with pytest.raises(BusinessRuleError):
        refunds.ship_return(by=buyer_user, refund_id=refund.pk, carrier="offline", waybill_number="DB123")
    refunds.ship_return(by=buyer_user, refund_id=refund.pk, carrier="offline", carrier_name="德邦物流",
                        waybill_number="DB 1234 5678")
    refund.refresh_from_db()
    assert refund.status == R.RETURN_SHIPPED
    assert (refund.return_shipment.direction, refund.return_shipment.waybill_number) == (
        Shipment.Direction.RETURN, "DB12345678")
    assert refund.return_shipment.order_id == shipped.pk

    refunds.confirm_return(by=packer, refund_id=refund.pk)
    product = product_of(shipped)
    assert product.stock_on_hand == Decimal("100")
    movement = StockMovement.objects.filter(product=product).latest("id")
    assert movement.kind == StockMovement.Kind.STOCK_IN and movement.on_hand_change == 2
    assert f"#{refund.pk}" in movement.reason and movement.reference == shipped.number
    assert ledger_totals(product.pk) == {"on_hand": product.stock_on_hand, "reserved": product.stock_reserved}
    assert AuditEvent.objects.filter(action="refund.return_received", actor=packer).exists()

    refunds.record_refund_payout(by=finance, refund_id=refund.pk, payout_reference="ICBC-RF-9")
    shipped.refresh_from_db()
    assert shipped.status == S.REFUNDED


def test_return_of_part_of_the_goods(shipped, buyer_user, seller_user):
    refund = refunds.request_refund(by=buyer_user, order_id=shipped.pk, reason="一吨受潮", amount="5000.00")
    refunds.approve_refund(by=seller_user, refund_id=refund.pk)
    refunds.ship_return(by=buyer_user, refund_id=refund.pk, carrier="sf", waybill_number="SF100200300400")
    line = shipped.lines.get()
    with pytest.raises(BusinessRuleError):
        refunds.confirm_return(by=seller_user, refund_id=refund.pk, quantities={line.pk: "3"})  # more than sold
    refunds.confirm_return(by=seller_user, refund_id=refund.pk, quantities={line.pk: "1"})
    assert product_of(shipped).stock_on_hand == Decimal("99")


def test_same_return_waybill_cannot_be_used_twice(buyer, seller, buyer_user, seller_user):
    orders = [move_to(paid_order(buyer, seller), S.SHIPPED) for _ in range(2)]
    moved = []
    for order in orders:
        refund = refunds.request_refund(by=buyer_user, order_id=order.pk, reason="退货")
        refunds.approve_refund(by=seller_user, refund_id=refund.pk)
        moved.append(refund)
    refunds.ship_return(by=buyer_user, refund_id=moved[0].pk, carrier="jd", waybill_number="JDVA00000000001")
    with pytest.raises(BusinessRuleError) as refused:
        refunds.ship_return(by=buyer_user, refund_id=moved[1].pk, carrier="jd", waybill_number="JDVA00000000001")
    assert refused.value.code == "duplicate_waybill"


def test_unanswered_refunds_are_approved_after_48_hours_once(paid, buyer_user, seller_user):
    refund = refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="不需要了")
    assert refunds.auto_approve_stale_refunds(now=timezone.now() + timedelta(hours=47)) == 0
    refund.refresh_from_db()
    assert refund.status == R.REQUESTED

    later = timezone.now() + timedelta(hours=48, minutes=1)
    assert refunds.auto_approve_stale_refunds(now=later) == 1
    refund.refresh_from_db()
    assert (refund.status, refund.seller_decided_by) == (R.AWAITING_PAYOUT, None)
    event = AuditEvent.objects.get(action="refund.approve", subject_id=str(refund.pk))
    assert event.actor is None and "48" in event.reason
    assert Notification.objects.filter(recipient=seller_user, kind="order.refund_approved").exists()
    assert Notification.objects.filter(recipient=buyer_user, kind="order.refund_approved").exists()
    assert product_of(paid).stock_reserved == 0
    assert refunds.auto_approve_stale_refunds(now=later) == 0
    assert AuditEvent.objects.filter(action="refund.approve").count() == 1


def test_scheduled_task_runs_the_auto_approval(paid, buyer_user):
    refund = refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="不需要了")
    Refund.objects.filter(pk=refund.pk).update(requested_at=timezone.now() - timedelta(hours=49))
    assert auto_approve_refunds() == 1
    refund.refresh_from_db()
    assert refund.status == R.AWAITING_PAYOUT


def test_buyer_withdraws_and_the_order_resumes(paid, buyer_user, seller_user):
    refund = refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="不需要了")
    refunds.withdraw_refund(by=buyer_user, refund_id=refund.pk)
    paid.refresh_from_db()
    refund.refresh_from_db()
    assert (paid.status, refund.status) == (S.PAID, R.WITHDRAWN)
    assert Notification.objects.filter(recipient=seller_user, kind="order.refund_withdrawn").exists()
    with pytest.raises(Conflict):
        refunds.withdraw_refund(by=buyer_user, refund_id=refund.pk)


def test_withdrawing_an_approved_refund_holds_the_stock_again(paid, buyer_user, seller_user):
    refund = refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="不需要了")
    refunds.approve_refund(by=seller_user, refund_id=refund.pk)
    assert product_of(paid).stock_reserved == 0
    refunds.withdraw_refund(by=buyer_user, refund_id=refund.pk)
    paid.refresh_from_db()
    assert paid.status == S.PAID
    assert paid.lines.get().reservation.status == StockReservation.Status.ACTIVE
    assert product_of(paid).stock_reserved == 2


def test_withdrawal_refused_once_the_goods_are_sent_back(shipped, buyer_user, seller_user):
    refund = refunds.request_refund(by=buyer_user, order_id=shipped.pk, reason="退货")
    refunds.approve_refund(by=seller_user, refund_id=refund.pk)
    refunds.ship_return(by=buyer_user, refund_id=refund.pk, carrier="sf", waybill_number="SF900000000001")
    with pytest.raises(Conflict) as refused:
        refunds.withdraw_refund(by=buyer_user, refund_id=refund.pk)
    assert refused.value.code == "return_under_way"


def test_payout_only_by_finance_and_only_once(paid, buyer_user, seller_user, finance):
    refund = refunds.request_refund(by=buyer_user, order_id=paid.pk, reason="不需要了")
    with pytest.raises(Conflict):
        refunds.record_refund_payout(by=finance, refund_id=refund.pk, payout_reference="X1")  # not approved yet
    refunds.approve_refund(by=seller_user, refund_id=refund.pk)
    with pytest.raises(NotAllowed):
        refunds.record_refund_payout(by=factories.staff_user("customer_service"), refund_id=refund.pk,
                                     payout_reference="X1")
    refunds.record_refund_payout(by=finance, refund_id=refund.pk, payout_reference="X1")
    with pytest.raises(Conflict):
        refunds.record_refund_payout(by=finance, refund_id=refund.pk, payout_reference="X2")
    paid.refresh_from_db()
    assert paid.amount_refunded == Decimal("10000.00")


def test_dispute_decision_refund_pays_out_partly_and_fully(buyer, seller, finance):
    """A dispute decision creates the refund awaiting payout and moves the order in_dispute →
    refund_requested; the payout returns the order to where it was before the dispute."""
    order = move_to(paid_order(buyer, seller), S.SHIPPED)
    order_transition(order_id=order.pk, to=S.IN_DISPUTE, actor=None)
    partial = Refund.objects.create(order=order, status=R.AWAITING_PAYOUT, reason="裁决部分退款", amount="3000.00")
    order_transition(order_id=order.pk, to=S.REFUND_REQUESTED, actor=None)
    refunds.record_refund_payout(by=finance, refund_id=partial.pk, payout_reference="D-1")
    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == (S.SHIPPED, Decimal("3000.00"))

    order_transition(order_id=order.pk, to=S.IN_DISPUTE, actor=None)
    full = Refund.objects.create(order=order, status=R.AWAITING_PAYOUT, reason="裁决全额退款", amount="7000.00")
    order_transition(order_id=order.pk, to=S.REFUND_REQUESTED, actor=None)
    refunds.record_refund_payout(by=finance, refund_id=full.pk, payout_reference="D-2")
    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == (S.REFUNDED, Decimal("10000.00"))


def test_payout_never_exceeds_what_was_paid(paid, finance):
    order_transition(order_id=paid.pk, to=S.REFUND_REQUESTED, actor=None)
    too_much = Refund.objects.create(order=paid, status=R.AWAITING_PAYOUT, reason="错误", amount="10000.01")
    with pytest.raises(BusinessRuleError) as refused:
        refunds.record_refund_payout(by=finance, refund_id=too_much.pk, payout_reference="Z")
    assert refused.value.code == "amount_above_refundable"
    paid.refresh_from_db()
    assert paid.amount_refunded == 0


def test_payout_of_an_order_not_awaiting_a_refund_is_refused(paid, finance):
    stray = Refund.objects.create(order=paid, status=R.AWAITING_PAYOUT, reason="x", amount="10.00")
    with pytest.raises(InvalidTransition):
        refunds.record_refund_payout(by=finance, refund_id=stray.pk, payout_reference="Z")
    paid.refresh_from_db()
    assert paid.amount_refunded == 0


def test_a_refund_waits_while_a_dispute_holds_its_order(buyer, seller, buyer_user, seller_user):
    order = paid_order(buyer, seller)
    refund = refunds.request_refund(by=buyer_user, order_id=order.pk, reason="不想要了")
    order_transition(order_id=order.pk, to=S.IN_DISPUTE, actor=buyer_user, reason="交易纠纷")

    with pytest.raises(Conflict) as refused:
        refunds.approve_refund(by=seller_user, refund_id=refund.pk)
    assert refused.value.code == "order_in_dispute"
    with pytest.raises(Conflict):
        refunds.reject_refund(by=seller_user, refund_id=refund.pk, reason="不同意")
    assert refunds.auto_approve_stale_refunds(now=timezone.now() + timedelta(days=5)) == 0
    refund.refresh_from_db()
    assert refund.status == R.REQUESTED
