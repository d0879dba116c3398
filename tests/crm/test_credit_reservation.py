"""On-account purchases: an order must fit in limit − outstanding; the line is locked."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import BusinessRuleError, Conflict
from core.models import AuditEvent
from crm import credit
from crm.models import CreditLine, Receivable
from tests import factories
from tests.crm.credit_helpers import credit_line, on_account_order


@pytest.mark.django_db
def test_an_order_equal_to_the_available_credit_goes_on_account(buyer, seller):
    line = credit_line(buyer, limit="20000.00", outstanding="7655.00", term_days=60)
    order = on_account_order(buyer=buyer, seller=seller, total="12345.00")
    receivable = credit.reserve_credit(order=order)
    line.refresh_from_db()
    assert line.outstanding == Decimal("20000.00") and line.available == 0
    assert receivable.amount == Decimal("12345.00") and receivable.status == Receivable.Status.OPEN
    assert receivable.issued_on == timezone.localdate()
    assert (receivable.due_on - receivable.issued_on).days == 60
    assert AuditEvent.objects.filter(action="crm.credit_reserved", company=buyer).exists()


@pytest.mark.django_db
def test_an_order_one_fen_over_the_available_credit_is_refused_with_the_amounts(buyer, seller):
    credit_line(buyer, limit="12345.00")
    order = on_account_order(buyer=buyer, seller=seller, total="12345.01")
    with pytest.raises(BusinessRuleError) as refusal:
        credit.reserve_credit(order=order)
    assert refusal.value.code == "credit_limit_exceeded"
    assert str(refusal.value.message) == "可用额度 ¥12,345.00，本单 ¥12,345.01，超出 ¥0.01。"
    assert not Receivable.objects.exists()


@pytest.mark.django_db
def test_refusal_message_states_available_order_and_excess(buyer, seller):
    credit_line(buyer, limit="50000.00", outstanding="37655.00")
    with pytest.raises(BusinessRuleError, match="可用额度 ¥12,345.00，本单 ¥20,000.00，超出 ¥7,655.00。"):
        credit.reserve_credit(order=on_account_order(buyer=buyer, seller=seller, total="20000.00"))


@pytest.mark.django_db
def test_no_credit_line_is_refused(buyer, seller):
    with pytest.raises(BusinessRuleError) as refusal:
        credit.reserve_credit(order=on_account_order(buyer=buyer, seller=seller))
    assert refusal.value.code == "no_credit_line"


@pytest.mark.django_db
def test_a_line_on_hold_is_refused(buyer, seller):
    credit_line(buyer, on_hold=True, hold_reason="逾期自动暂停：存在逾期超过 30 天的应收账款。")
    with pytest.raises(BusinessRuleError, match="账期额度已暂停使用") as refusal:
        credit.reserve_credit(order=on_account_order(buyer=buyer, seller=seller))
    assert refusal.value.code == "credit_on_hold"


@pytest.mark.django_db
def test_a_term_longer_than_granted_is_refused(buyer, seller):
    credit_line(buyer, term_days=30)
    with pytest.raises(BusinessRuleError, match="超过贵司获批的 30 天"):
        credit.reserve_credit(order=on_account_order(buyer=buyer, seller=seller), term_days=60)


@pytest.mark.django_db
def test_the_same_order_cannot_be_put_on_account_twice(buyer, seller):
    credit_line(buyer)
    order = on_account_order(buyer=buyer, seller=seller)
    credit.reserve_credit(order=order)
    with pytest.raises(Conflict):
        credit.reserve_credit(order=order)
    assert CreditLine.objects.get(company=buyer).outstanding == Decimal("1000.00")


@pytest.mark.django_db
def test_release_gives_the_credit_back_once(buyer, seller):
    credit_line(buyer, limit="5000.00")
    order = on_account_order(buyer=buyer, seller=seller, total="3000.00")
    credit.reserve_credit(order=order)
    released = credit.release_credit(order=order, reason="买家取消")
    again = credit.release_credit(order=order)
    line = CreditLine.objects.get(company=buyer)
    assert released.status == again.status == Receivable.Status.CANCELLED
    assert line.outstanding == 0 and line.available == Decimal("5000.00")
    assert AuditEvent.objects.filter(action="crm.credit_released").count() == 1


@pytest.mark.django_db
def test_release_is_refused_once_a_collection_settled_part_of_it(buyer, seller):
    credit_line(buyer, limit="5000.00")
    order = on_account_order(buyer=buyer, seller=seller, total="3000.00")
    receivable = credit.reserve_credit(order=order)
    Receivable.objects.filter(pk=receivable.pk).update(settled=Decimal("100.00"))
    with pytest.raises(Conflict, match="已有回款"):
        credit.release_credit(order=order)


@pytest.mark.django_db(transaction=True)
def test_two_orders_at_the_limit_at_once_only_one_goes_on_account():
    seller, buyer = factories.company(), factories.company()
    credit_line(buyer, limit="10000.00")
    orders = [on_account_order(buyer=buyer, seller=seller, total="6000.00") for _ in range(2)]
    start, outcomes = threading.Barrier(2), []

    def reserve(order):
        try:
            start.wait()
            credit.reserve_credit(order=order)
            outcomes.append("ok")
        except BusinessRuleError as refusal:
            outcomes.append(refusal.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["credit_limit_exceeded", "ok"]
    line = CreditLine.objects.get(company=buyer)
    assert line.outstanding == Decimal("6000.00")
    assert Receivable.objects.filter(company=buyer).count() == 1
