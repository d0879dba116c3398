"""增值税专用发票: the buyer requests after payment, finance issues (number + file) or returns it,
the buyer is told; every refusal has its reason."""

from decimal import Decimal

import pytest

from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.models import AuditEvent, Notification
from core.permissions import CompanyPermission
from orders import invoices
from orders.models import InvoiceRequest, Order
from tests import factories
from tests.orders.invoice_helpers import FORM_DETAILS, finance, general_taxpayer, invoice_file, paid_order, requested


@pytest.fixture
def taxpayer(buyer):
    return general_taxpayer(buyer)


@pytest.fixture
def order(taxpayer, seller):
    return paid_order(taxpayer, seller)


# --- requesting ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.RECEIVED,
                                    Order.Status.COMPLETED])
def test_buyer_requests_an_invoice_after_payment(taxpayer, seller, status):
    order = paid_order(taxpayer, seller, status=status, total="11300.00", refunded="300.00")

    invoice = requested(order)

    assert invoice.status == InvoiceRequest.Status.REQUESTED
    assert invoice.amount == Decimal("11000.00")  # paid less refunded
    assert invoice.tax_number == FORM_DETAILS["tax_number"]
    assert invoice.requested_by == factories.main_user_of(taxpayer)
    assert AuditEvent.objects.filter(action="orders.invoice_requested", subject_id=str(order.pk)).exists()


def test_details_are_normalised(order):
    invoice = requested(order, tax_number=" 91310000ma1fl0ab3x ", bank_account="1001 2345-0900 0012 345")

    assert invoice.tax_number == "91310000MA1FL0AB3X"
    assert invoice.bank_account == "1001234509000012345"


@pytest.mark.parametrize("status", [Order.Status.PENDING_PAYMENT, Order.Status.AWAITING_APPROVAL,
                                    Order.Status.CANCELLED, Order.Status.REFUNDED])
def test_refused_before_payment_or_after_unwinding(taxpayer, seller, status):
    order = paid_order(taxpayer, seller, status=status, paid="0")

    with pytest.raises(BusinessRuleError) as refused:
        requested(order)
    assert refused.value.code == "invoice_not_allowed"
    assert not InvoiceRequest.objects.exists()


@pytest.mark.parametrize("status", [Order.Status.REFUND_REQUESTED, Order.Status.IN_DISPUTE])
def test_refused_while_a_refund_or_dispute_is_open(taxpayer, seller, status):
    order = paid_order(taxpayer, seller, status=status)

    with pytest.raises(BusinessRuleError) as refused:
        requested(order)
    assert "退款或纠纷" in str(refused.value.message)


def test_refused_twice_while_one_is_open_or_issued(order):
    first = requested(order)
    with pytest.raises(BusinessRuleError) as refused:
        requested(order)
    assert "待开票" in str(refused.value.message)

    invoices.issue_invoice(by=finance(), invoice_id=first.pk, invoice_number="12345678", invoice_file=invoice_file())
    with pytest.raises(BusinessRuleError) as refused:
        requested(order)
    assert "12345678" in str(refused.value.message)


def test_requested_again_after_finance_returned_it(order):
    first = requested(order)
    invoices.reject_invoice_request(by=finance(), invoice_id=first.pk, reason="开户行名称有误")

    second = requested(order, bank_name="中国工商银行上海市张江高科技园区支行")

    assert second.status == InvoiceRequest.Status.REQUESTED
    assert order.invoices.count() == 2


@pytest.mark.parametrize("taxpayer_type", ["small_scale", ""])
def test_small_scale_taxpayer_refused_with_a_clear_message(buyer, seller, taxpayer_type):
    order = paid_order(general_taxpayer(buyer, taxpayer_type=taxpayer_type), seller)

    with pytest.raises(BusinessRuleError) as refused:
        requested(order)
    assert "一般纳税人" in str(refused.value.message)


def test_another_companys_order_is_not_found(order):
    stranger = general_taxpayer(factories.company(name="杭州别家纸业有限公司"))

    with pytest.raises(NotFound):
        requested(order, by=factories.main_user_of(stranger))


def test_seller_cannot_request_the_buyers_invoice(order, seller):
    with pytest.raises(NotFound):
        requested(order, by=factories.main_user_of(seller))


@pytest.mark.parametrize("permission", [CompanyPermission.FINANCE, CompanyPermission.PURCHASING])
def test_sub_account_with_finance_or_purchasing_may_request(order, taxpayer, permission):
    clerk = factories.sub_account(taxpayer, [permission])

    assert requested(order, by=clerk).requested_by == clerk


def test_sub_account_without_rights_refused(order, taxpayer):
    clerk = factories.sub_account(taxpayer, [CompanyPermission.PRODUCTS, CompanyPermission.FULFILMENT])

    with pytest.raises(NotAllowed):
        requested(order, by=clerk)


@pytest.mark.parametrize("field, value", [
    ("tax_number", "12345"),              # too short
    ("tax_number", "91310000MA1FL0AB3X12345"),  # too long
    ("tax_number", "9131000-MA1FL0AB3"),  # not alphanumeric
    ("bank_account", "ICBC-12345678"),
    ("bank_account", "1234"),
    ("title", ""),
    ("address", "  "),
    ("phone", ""),
    ("bank_name", ""),
])
def test_invalid_details_refused_with_the_field_named(order, field, value):
    with pytest.raises(BusinessRuleError) as refused:
        requested(order, **{field: value})
    assert field in refused.value.details


@pytest.mark.parametrize("amount", ["0", "-1", "11300.01"])
def test_amount_must_be_within_what_was_paid(order, amount):
    with pytest.raises(BusinessRuleError) as refused:
        requested(order, amount=Decimal(amount))
    assert "amount" in refused.value.details


def test_partial_amount_accepted(order):
    assert requested(order, amount=Decimal("5000")).amount == Decimal("5000.00")


def test_form_prefilled_from_company_tax_information(taxpayer):
    initial = invoices.invoice_details_from_company(taxpayer)

    assert initial == FORM_DETAILS


# --- finance ------------------------------------------------------------------------------------

def test_finance_issues_and_the_buyer_is_told(order, taxpayer):
    invoice = requested(order)
    clerk = factories.sub_account(taxpayer, [CompanyPermission.FINANCE])
    buyer_main = factories.main_user_of(taxpayer)

    invoices.issue_invoice(by=finance(), invoice_id=invoice.pk, invoice_number="2644 0000 0000 1234 5678",
                           invoice_file=invoice_file())

    invoice.refresh_from_db()
    assert invoice.status == InvoiceRequest.Status.ISSUED
    assert invoice.invoice_number == "26440000000012345678"  # 数电票: 20 digits
    assert invoice.invoice_file.read().startswith(b"%PDF-")
    assert invoice.issued_at is not None
    told = set(Notification.objects.filter(title__contains=order.number).values_list("recipient", flat=True))
    assert {buyer_main.pk, clerk.pk} <= told
    assert AuditEvent.objects.filter(action="orders.invoice_issued", after="issued").exists()


@pytest.mark.parametrize("number", ["1234567", "123456789", "1234567890123456789", "12345678A", ""])
def test_bad_invoice_number_refused(order, number):
    invoice = requested(order)

    with pytest.raises(BusinessRuleError) as refused:
        invoices.issue_invoice(by=finance(), invoice_id=invoice.pk, invoice_number=number,
                               invoice_file=invoice_file())
    assert "invoice_number" in refused.value.details
    invoice.refresh_from_db()
    assert invoice.status == InvoiceRequest.Status.REQUESTED


def test_duplicate_invoice_number_refused(order, taxpayer, seller):
    invoices.issue_invoice(by=finance(), invoice_id=requested(order).pk, invoice_number="12345678",
                           invoice_file=invoice_file())
    other = requested(paid_order(taxpayer, seller))

    with pytest.raises(BusinessRuleError) as refused:
        invoices.issue_invoice(by=finance(), invoice_id=other.pk, invoice_number="12345678",
                               invoice_file=invoice_file())
    assert "已登记" in refused.value.details["invoice_number"]


@pytest.mark.parametrize("upload", [
    {"name": "发票.pdf", "content": b"just some text, not a PDF", "content_type": "application/pdf"},
    {"name": "发票.exe", "content": b"MZ\x90\x00binary", "content_type": "application/octet-stream"},
    {"name": "发票.pdf", "content": b"", "content_type": "application/pdf"},
])
def test_wrong_invoice_file_refused(order, upload):
    invoice = requested(order)

    with pytest.raises(BusinessRuleError) as refused:
        invoices.issue_invoice(by=finance(), invoice_id=invoice.pk, invoice_number="12345678",
                               invoice_file=invoice_file(**upload))
    assert "invoice_file" in refused.value.details


def test_only_finance_staff_issue(order):
    invoice = requested(order)

    for user in (factories.staff_user("reviewer"), factories.main_user_of(order.buyer)):
        with pytest.raises(NotAllowed):
            invoices.issue_invoice(by=user, invoice_id=invoice.pk, invoice_number="12345678",
                                   invoice_file=invoice_file())


def test_finance_returns_a_request_with_a_reason(order):
    invoice = requested(order)

    with pytest.raises(BusinessRuleError):
        invoices.reject_invoice_request(by=finance(), invoice_id=invoice.pk, reason="  ")
    invoices.reject_invoice_request(by=finance(), invoice_id=invoice.pk, reason="纳税人识别号与抬头不符")

    invoice.refresh_from_db()
    assert invoice.status == InvoiceRequest.Status.REJECTED
    assert invoice.rejection_reason == "纳税人识别号与抬头不符"
    assert Notification.objects.filter(recipient=factories.main_user_of(order.buyer),
                                       body__contains="纳税人识别号与抬头不符").exists()


def test_a_decided_request_cannot_be_decided_again(order):
    invoice = requested(order)
    invoices.reject_invoice_request(by=finance(), invoice_id=invoice.pk, reason="信息有误")

    with pytest.raises(Conflict):
        invoices.issue_invoice(by=finance(), invoice_id=invoice.pk, invoice_number="12345678",
                               invoice_file=invoice_file())


def test_queue_lists_requests_oldest_first(taxpayer, seller):
    first = requested(paid_order(taxpayer, seller))
    second = requested(paid_order(taxpayer, seller))
    done = requested(paid_order(taxpayer, seller))
    invoices.reject_invoice_request(by=finance(), invoice_id=done.pk, reason="信息有误")

    assert list(invoices.invoice_queue()) == [first, second]
