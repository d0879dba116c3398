"""Collections (回款): recorded by finance and allocated across receivables."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import BusinessRuleError, NotAllowed
from core.models import AuditEvent
from core.permissions import StaffRole
from crm import credit
from crm.models import Collection, CollectionAllocation, CreditLine, Receivable
from tests import factories
from tests.crm.credit_helpers import credit_line, receivable_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance():
    return factories.staff_user(StaffRole.FINANCE)


@pytest.fixture
def three_receivables(buyer, seller):
    credit_line(buyer, limit="100000.00")
    newest = receivable_due(buyer=buyer, seller=seller, amount="3000.00", days_overdue=-10)
    oldest = receivable_due(buyer=buyer, seller=seller, amount="1000.00", days_overdue=40)
    middle = receivable_due(buyer=buyer, seller=seller, amount="2000.00", days_overdue=5)
    return oldest, middle, newest


def record(by, company, amount, **kwargs):
    kwargs.setdefault("document_number", "HK-0001")
    kwargs.setdefault("received_on", timezone.localdate())
    kwargs.setdefault("receiving_bank", "中国工商银行杭州分行")
    return credit.record_collection(by=by, company_id=company.pk, amount=amount, **kwargs)


def test_a_collection_settles_the_oldest_due_first(finance, buyer, three_receivables):
    oldest, middle, newest = three_receivables
    collection = record(finance, buyer, "3500.00", department="财务部")
    for receivable in three_receivables:
        receivable.refresh_from_db()
    assert (oldest.status, oldest.settled) == (Receivable.Status.SETTLED, Decimal("1000.00"))
    assert (middle.status, middle.settled) == (Receivable.Status.SETTLED, Decimal("2000.00"))
    assert (newest.status, newest.settled) == (Receivable.Status.OPEN, Decimal("500.00"))
    assert oldest.settled_at is not None and newest.settled_at is None
    assert CreditLine.objects.get(company=buyer).outstanding == Decimal("2500.00")
    assert sorted(collection.allocations.values_list("amount", flat=True)) == [
        Decimal("500.00"), Decimal("1000.00"), Decimal("2000.00")]
    assert credit.unallocated(collection) == 0
    assert AuditEvent.objects.filter(action="crm.receivable_settled").count() == 3
    assert AuditEvent.objects.filter(action="crm.collection_recorded", company=buyer).exists()


def test_more_than_owed_leaves_the_rest_unallocated(finance, buyer, three_receivables):
    collection = record(finance, buyer, "7000.00")
    assert credit.unallocated(collection) == Decimal("1000.00")
    assert not Receivable.objects.filter(status=Receivable.Status.OPEN).exists()
    assert CreditLine.objects.get(company=buyer).outstanding == 0


def test_explicit_allocations(finance, buyer, three_receivables):
    oldest, middle, newest = three_receivables
    record(finance, buyer, "2000.00", allocations=[credit.Allocation(newest.pk, Decimal("1500.00")),
                                                   credit.Allocation(middle.pk, Decimal("500.00"))])
    newest.refresh_from_db()
    oldest.refresh_from_db()
    assert newest.settled == Decimal("1500.00") and oldest.settled == 0


def test_a_collection_for_one_order_settles_that_order(finance, buyer, three_receivables):
    oldest, middle, newest = three_receivables
    collection = record(finance, buyer, "3000.00", order_id=newest.order_id)
    newest.refresh_from_db()
    assert newest.status == Receivable.Status.SETTLED
    assert list(collection.allocations.values_list("receivable_id", flat=True)) == [newest.pk]


def test_an_allocation_above_the_balance_is_refused(finance, buyer, three_receivables):
    oldest = three_receivables[0]
    with pytest.raises(BusinessRuleError, match="超出余额") as refusal:
        record(finance, buyer, "5000.00", allocations=[credit.Allocation(oldest.pk, Decimal("1000.01"))])
    assert refusal.value.code == "allocation_exceeds_balance"
    assert not Collection.objects.exists()


def test_allocations_above_the_collection_are_refused(finance, buyer, three_receivables):
    oldest, middle, _newest = three_receivables
    with pytest.raises(BusinessRuleError) as refusal:
        record(finance, buyer, "2000.00", allocations=[credit.Allocation(oldest.pk, Decimal("1000.00")),
                                                       credit.Allocation(middle.pk, Decimal("1000.01"))])
    assert refusal.value.code == "allocation_exceeds_collection"
    assert not CollectionAllocation.objects.exists()


def test_another_customers_receivable_cannot_be_settled(finance, buyer, seller, three_receivables):
    other = factories.company()
    credit_line(other)
    theirs = receivable_due(buyer=other, seller=seller, amount="100.00")
    with pytest.raises(BusinessRuleError) as refusal:
        record(finance, buyer, "100.00", allocations=[credit.Allocation(theirs.pk, Decimal("100.00"))])
    assert refusal.value.code == "receivable_not_open"


def test_an_acceptance_bill_without_acceptor_is_refused(finance, buyer, three_receivables):
    with pytest.raises(BusinessRuleError, match="银行承兑汇票必须填写承兑人") as refusal:
        record(finance, buyer, "1000.00", method=Collection.Method.ACCEPTANCE_BILL, acceptor=" ")
    assert "acceptor" in refusal.value.details
    collection = record(finance, buyer, "1000.00", method=Collection.Method.ACCEPTANCE_BILL,
                        acceptor="中国银行杭州分行")
    assert collection.acceptor == "中国银行杭州分行"


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": "0"}, "amount"), ({"document_number": ""}, "document_number"),
    ({"receiving_bank": ""}, "receiving_bank"), ({"method": "cash"}, "method"),
    ({"received_on": timezone.localdate() + timedelta(days=1)}, "received_on"),
])
def test_incomplete_collections_are_refused(finance, buyer, three_receivables, changes, field):
    kwargs = {"amount": "100.00", **changes}
    amount = kwargs.pop("amount")
    with pytest.raises(BusinessRuleError) as refusal:
        record(finance, buyer, amount, **kwargs)
    assert field in refusal.value.details


def test_a_document_number_is_recorded_once_per_customer(finance, buyer, three_receivables):
    record(finance, buyer, "100.00")
    with pytest.raises(BusinessRuleError, match="已登记过"):
        record(finance, buyer, "100.00")


def test_only_finance_records_collections(buyer, three_receivables):
    with pytest.raises(NotAllowed):
        record(factories.staff_user(StaffRole.ACCOUNT_MANAGER), buyer, "100.00")


def test_the_rest_of_a_collection_can_be_allocated_later(finance, buyer, seller, three_receivables):
    collection = record(finance, buyer, "7000.00")
    later = receivable_due(buyer=buyer, seller=seller, amount="800.00", days_overdue=-20)
    credit.allocate_collection(by=finance, collection_id=collection.pk)
    later.refresh_from_db()
    assert later.status == Receivable.Status.SETTLED and credit.unallocated(collection) == Decimal("200.00")


def test_paying_the_overdue_receivable_lifts_the_automatic_hold(finance, buyer, seller):
    credit_line(buyer, limit="10000.00")
    receivable_due(buyer=buyer, seller=seller, amount="1000.00", days_overdue=31)
    assert credit.apply_credit_holds() == {"held": 1, "released": 0}
    record(finance, buyer, "1000.00")
    line = CreditLine.objects.get(company=buyer)
    assert not line.on_hold and line.hold_reason == ""
    assert AuditEvent.objects.filter(action="crm.credit_hold_released", company=buyer).exists()
