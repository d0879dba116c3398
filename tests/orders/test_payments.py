"""Offline transfers: the buyer records them, finance confirms or rejects; partial transfers add
up to paid; a payer name other than the buyer's verified name is flagged; one bank transfer is
confirmed once; every refusal."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.models import AuditEvent, Notification
from orders import payments
from orders.models import Order, Payment
from tests import factories
from tests.orders.paying_helpers import finance_user, placed_order, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer, seller):
    return placed_order(buyer, seller, lines=[("2", "5000.00")])  # ¥10,000.00


@pytest.fixture
def finance(db):
    return finance_user()


def test_partial_transfers_add_up_to_paid(order, finance, buyer, seller):
    first = record(order, amount="4000.00")
    second = record(order, amount="6000.00")
    payments.confirm_payment(by=finance, payment_id=first.pk)
    order.refresh_from_db()
    assert (order.status, order.amount_paid) == (Order.Status.PENDING_PAYMENT, Decimal("4000.00"))
    assert payments.outstanding(order) == Decimal("6000.00")

    payments.confirm_payment(by=finance, payment_id=second.pk)
    order.refresh_from_db()
    assert (order.status, order.amount_paid) == (Order.Status.PAID, Decimal("10000.00"))
    assert order.paid_at is not None
    assert AuditEvent.objects.filter(action="order.status", subject_id=str(order.pk), after="paid",
                                     actor=finance).exists()
    assert Notification.objects.filter(recipient=factories.main_user_of(buyer), kind="order.paid").exists()
    assert Notification.objects.filter(recipient=factories.main_user_of(seller), kind="order.paid").exists()


def test_amount_above_outstanding_less_awaiting_is_refused(order):
    record(order, amount="7000.00")
    with pytest.raises(BusinessRuleError) as refused:
        record(order, amount="3000.01")
    assert refused.value.code == "amount_above_outstanding"
    assert "3,000.00" in str(refused.value.message)
    record(order, amount="3000.00")
    assert order.payments.count() == 2


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "100.005"])
def test_amount_must_be_a_positive_sum(order, amount):
    with pytest.raises(BusinessRuleError) as refused:
        record(order, amount=amount)
    assert refused.value.code == "invalid_amount"
    assert not order.payments.exists()


def test_amount_may_be_typed_with_thousands_separators(order):
    record(order, amount="7,000.00")
    assert order.payments.get().amount == Decimal("7000.00")


def test_future_transfer_date_is_refused(order):
    with pytest.raises(BusinessRuleError) as refused:
        record(order, transferred_on=timezone.localdate() + timedelta(days=1))
    assert refused.value.code == "future_date"
    assert "transferred_on" in refused.value.details


def test_slip_of_a_wrong_type_is_refused(order):
    text = factories.upload(name="回单.pdf", content=b"just some text, not a PDF", content_type="application/pdf")
    with pytest.raises(BusinessRuleError) as refused:
        record(order, slip=text)
    assert refused.value.code == "invalid_slip"
    assert not order.payments.exists()


def test_slip_is_stored_privately(order):
    payment = record(order, slip=factories.upload(name="回单.pdf"))
    assert payment.slip_name == "回单.pdf"
    assert payment.slip.read().startswith(b"%PDF-")
    assert not payment.slip.name.endswith(".pdf")  # stored under a random name


def test_another_companys_order_is_not_found(order):
    stranger = factories.company(name="别家纸业有限公司")
    with pytest.raises(NotFound):
        record(order, by=factories.main_user_of(stranger))


def test_sub_account_without_purchasing_or_finance_is_refused(order, buyer):
    clerk = factories.sub_account(buyer, ["fulfilment"])
    with pytest.raises(NotAllowed):
        record(order, by=clerk)
    accountant = factories.sub_account(buyer, ["finance"])
    assert record(order, by=accountant).recorded_by == accountant


@pytest.mark.parametrize("status", [Order.Status.PAID, Order.Status.CANCELLED])
def test_only_orders_awaiting_payment_take_transfers(buyer, seller, status):
    order = placed_order(buyer, seller, status=status)
    with pytest.raises(BusinessRuleError) as refused:
        record(order, amount="100.00")
    assert refused.value.code == "order_not_payable"


def test_payer_name_mismatch_is_flagged_and_needs_acknowledgement(order, finance):
    payment = record(order, payer_name="另一家贸易有限公司")
    assert payment.payer_name_matches is False
    with pytest.raises(BusinessRuleError) as refused:
        payments.confirm_payment(by=finance, payment_id=payment.pk)
    assert refused.value.code == "payer_name_mismatch"
    with pytest.raises(BusinessRuleError):
        payments.confirm_payment(by=finance, payment_id=payment.pk, acknowledge_mismatch=True)  # no note
    payment.refresh_from_db()
    assert payment.status == Payment.Status.RECORDED

    payments.confirm_payment(by=finance, payment_id=payment.pk, acknowledge_mismatch=True, note="母公司代付，已核实")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert AuditEvent.objects.get(action="payment.confirm").data["payer_name_mismatch_acknowledged"] is True


def test_payer_name_matches_across_full_and_half_width_brackets_and_spaces(seller):
    buyer = factories.company(name="浙江某某纸业（集团）有限公司")
    order = placed_order(buyer, seller)
    assert record(order, amount="1.00", payer_name="浙江某某纸业 (集团) 有限公司").payer_name_matches is True
    assert record(order, amount="1.00", payer_name="浙江某某纸业（集团）有限公司　").payer_name_matches is True
    assert record(order, amount="1.00", payer_name="浙江某某纸业有限公司").payer_name_matches is False


def test_confirming_the_same_payment_twice_is_refused(order, finance):
    payment = record(order, amount="4000.00")
    payments.confirm_payment(by=finance, payment_id=payment.pk)
    with pytest.raises(Conflict) as refused:
        payments.confirm_payment(by=finance, payment_id=payment.pk)
    assert refused.value.code == "payment_already_decided"
    order.refresh_from_db()
    assert order.amount_paid == Decimal("4000.00")


def test_the_same_bank_transfer_cannot_be_confirmed_for_two_orders(buyer, seller, finance):
    first, second = placed_order(buyer, seller), placed_order(buyer, seller)
    one = record(first, bank_reference="ICBC20260101001")
    other = record(second, bank_reference="ICBC 2026 0101 001")  # spaces are not a different transfer
    payments.confirm_payment(by=finance, payment_id=one.pk)
    with pytest.raises(Conflict) as refused:
        payments.confirm_payment(by=finance, payment_id=other.pk)
    assert refused.value.code == "transfer_already_confirmed"
    assert first.number in str(refused.value.message)
    second.refresh_from_db()
    assert second.amount_paid == 0
    payments.reject_payment(by=finance, payment_id=other.pk, reason="该笔已用于其他订单")
    with pytest.raises(BusinessRuleError) as again:
        record(second, bank_reference="ICBC20260101001")
    assert again.value.code == "transfer_already_confirmed"


def test_recording_the_same_reference_twice_on_an_order_is_refused(order):
    record(order, amount="100.00", bank_reference="ICBC77")
    with pytest.raises(BusinessRuleError) as refused:
        record(order, amount="100.00", bank_reference="ICBC77")
    assert refused.value.code == "transfer_already_recorded"


def test_confirming_a_rejected_payment_is_refused(order, finance, buyer):
    payment = record(order)
    payments.reject_payment(by=finance, payment_id=payment.pk, reason="未查到该流水号的入账")
    with pytest.raises(Conflict):
        payments.confirm_payment(by=finance, payment_id=payment.pk)
    order.refresh_from_db()
    assert (order.status, order.amount_paid) == (Order.Status.PENDING_PAYMENT, 0)
    told = Notification.objects.get(recipient=factories.main_user_of(buyer), kind="order.payment_rejected")
    assert "未查到该流水号的入账" in told.body
    # The rejected amount no longer counts against what may be recorded.
    assert payments.recordable(order) == order.total


def test_rejection_needs_a_reason(order, finance):
    payment = record(order)
    with pytest.raises(BusinessRuleError):
        payments.reject_payment(by=finance, payment_id=payment.pk, reason="  ")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.RECORDED


def test_only_finance_staff_confirm(order):
    payment = record(order)
    for user in (factories.staff_user("reviewer"), factories.main_user_of(order.buyer)):
        with pytest.raises(NotAllowed):
            payments.confirm_payment(by=user, payment_id=payment.pk)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.RECORDED


def test_confirmation_of_a_cancelled_order_is_refused(order, finance):
    payment = record(order)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    with pytest.raises(BusinessRuleError) as refused:
        payments.confirm_payment(by=finance, payment_id=payment.pk)
    assert refused.value.code == "order_not_payable"


def test_payment_queue_lists_recorded_transfers_oldest_first(buyer, seller):
    first, second = placed_order(buyer, seller), placed_order(buyer, seller)
    older = record(first, amount="1.00")
    newer = record(second, amount="1.00")
    Payment.objects.filter(pk=older.pk).update(recorded_at=timezone.now() - timedelta(hours=2))
    assert list(payments.payment_queue()) == [older, newer]


@pytest.mark.django_db(transaction=True)
def test_two_finance_staff_confirming_at_once_confirm_once():
    buyer, seller = factories.company(name="并发买家有限公司"), factories.company(name="并发卖家有限公司")
    order = placed_order(buyer, seller)
    payment = record(order, amount="3000.00")
    staff = [finance_user(), finance_user()]
    start, outcomes = threading.Barrier(2), []

    def confirm(user):
        try:
            start.wait()
            payments.confirm_payment(by=user, payment_id=payment.pk)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(user,)) for user in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    order.refresh_from_db()
    assert sorted(outcomes) == ["ok", "refused"]
    assert order.amount_paid == Decimal("3000.00")
