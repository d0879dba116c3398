"""Helpers for the invoice and document tests: a general-taxpayer buyer with its tax details, a
paid order, an invoice request made through the service, finance staff."""

from decimal import Decimal

from orders import invoices
from orders.models import Order
from tests import factories

TAX_DETAILS = {
    "taxpayer_type": "general", "invoice_title": "上海测试包装有限公司", "tax_number": "91310000MA1FL0AB3X",
    "invoice_address": "上海市浦东新区张江路 88 号", "invoice_phone": "021-58886666",
    "bank_name": "中国工商银行上海张江支行", "bank_account": "1001234509000012345",
}
FORM_DETAILS = {
    "title": "上海测试包装有限公司", "tax_number": "91310000MA1FL0AB3X", "address": "上海市浦东新区张江路 88 号",
    "phone": "021-58886666", "bank_name": "中国工商银行上海张江支行", "bank_account": "1001234509000012345",
}
# A PDF that validate_document accepts (recognised by its first bytes).
INVOICE_PDF = factories.PDF_BYTES


def general_taxpayer(company, **overrides):
    for field, value in {**TAX_DETAILS, **overrides}.items():
        setattr(company, field, value)
    company.save()
    return company


def paid_order(buyer, seller, *, total="11300.00", status=Order.Status.PAID, paid=None, refunded="0", **fields):
    order = factories.order(buyer=buyer, seller=seller, total=total, status=status, **fields)
    order.amount_paid = Decimal(paid if paid is not None else total)
    order.amount_refunded = Decimal(refunded)
    order.save(update_fields=["amount_paid", "amount_refunded"])
    return order


def requested(order, *, by=None, **details):
    return invoices.request_invoice(by=by or factories.main_user_of(order.buyer), order_id=order.pk,
                                    **{**FORM_DETAILS, **details})


def finance():
    return factories.staff_user("finance")


def invoice_file(name="发票.pdf", content=INVOICE_PDF, content_type="application/pdf"):
    return factories.upload(name=name, content=content, content_type=content_type)
