"""增值税专用发票 (VAT special invoices): the buyer requests one after payment with its tax
details; platform finance issues it (number and file) or sends the request back.

Rules live here: who may request (a buyer member with the finance or purchasing permission),
when (once the order is paid and until it is refunded or cancelled), for how much (what was paid
less what was refunded), one open or issued request per order, and only for general taxpayers.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.documents import validate_document
from accounts.models import Company
from accounts.rules import ensure_member
from accounts.services import notify_company
from core import audit
from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.money import ZERO, to_money
from core.permissions import CompanyPermission, StaffRole, has_staff_role
from crm.priority import tier_rank_expression
from orders.models import InvoiceRequest, Order

# An invoice may be requested once the money has arrived, until the order is unwound.
INVOICEABLE_STATUSES = (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.RECEIVED, Order.Status.COMPLETED)
OPEN_STATUSES = (InvoiceRequest.Status.REQUESTED, InvoiceRequest.Status.ISSUED)
BUYER_PERMISSIONS = (CompanyPermission.FINANCE, CompanyPermission.PURCHASING)

TAX_NUMBER = re.compile(r"^[0-9A-Z]{15,20}$")
BANK_ACCOUNT = re.compile(r"^[0-9]{8,30}$")
# 8 digits: a classic (paper) special invoice; 20 digits: a fully digital invoice (数电票).
INVOICE_NUMBER = re.compile(r"^(?:[0-9]{8}|[0-9]{20})$")


# --- who and when -----------------------------------------------------------------------------

def member_may_handle_invoices(membership) -> bool:
    return membership is not None and any(membership.allows(permission) for permission in BUYER_PERMISSIONS)


def ensure_invoice_member(user):
    """The user acts for a company and holds the finance or the purchasing permission."""
    membership = ensure_member(user)
    if not member_may_handle_invoices(membership):
        raise NotAllowed(
            _("您的账号没有“%(finance)s”或“%(purchasing)s”权限，请联系企业主账号开通。") % {
                "finance": CompanyPermission.FINANCE.label, "purchasing": CompanyPermission.PURCHASING.label},
            code="missing_permission",
        )
    return membership


def invoiceable_amount(order) -> Decimal:
    """What an invoice covers by default: the money received less the money refunded."""
    return to_money(order.amount_paid - order.amount_refunded)


def open_invoice(order):
    """The order's requested or issued invoice, or None."""
    return order.invoices.filter(status__in=OPEN_STATUSES).order_by("-requested_at", "-id").first()


def invoice_refusal(order):
    """Why the buyer cannot request an invoice for this order now, or "" when they can."""
    if order.status in (Order.Status.REFUND_REQUESTED, Order.Status.IN_DISPUTE):
        return _("订单正在处理退款或纠纷（%(status)s），处理完毕后才能申请发票。") % {
            "status": order.get_status_display()}
    if order.status not in INVOICEABLE_STATUSES:
        return _("订单付款后才能申请开具增值税专用发票（当前状态：%(status)s）。") % {
            "status": order.get_status_display()}
    if invoiceable_amount(order) <= ZERO:
        return _("订单没有可开票的已付金额。")
    current = open_invoice(order)
    if current is not None:
        if current.status == InvoiceRequest.Status.ISSUED:
            return _("该订单的发票已开具（发票号码 %(number)s），不能重复申请。") % {"number": current.invoice_number}
        return _("该订单已有待开票的发票申请，请等待财务处理。")
    if order.buyer.taxpayer_type != Company.TaxpayerType.GENERAL:
        return _("增值税专用发票仅向一般纳税人开具。贵公司登记的纳税人类型为“%(kind)s”，"
                 "如已成为一般纳税人，请先在企业信息中更新纳税人类型。") % {
            "kind": order.buyer.get_taxpayer_type_display() or _("未填写")}
    return ""


def may_request_invoice(*, membership, order) -> bool:
    """For the order page: whether to show the request form to this member."""
    return (membership is not None and membership.company_id == order.buyer_id
            and member_may_handle_invoices(membership) and not invoice_refusal(order))


def invoice_details_from_company(company):
    """The request form's initial values: the buyer company's registered tax information."""
    return {
        "title": company.invoice_title or company.name,
        "tax_number": company.tax_number or company.unified_social_credit_code,
        "address": company.invoice_address,
        "phone": company.invoice_phone or company.contact_phone,
        "bank_name": company.bank_name,
        "bank_account": company.bank_account,
    }


def clean_invoice_details(*, title, tax_number, address, phone, bank_name, bank_account):
    """Normalise and check the details a special invoice must carry; BusinessRuleError with one
    message per wrong field."""
    details = {
        "title": (title or "").strip(),
        "tax_number": re.sub(r"\s+", "", tax_number or "").upper(),
        "address": (address or "").strip(),
        "phone": (phone or "").strip(),
        "bank_name": (bank_name or "").strip(),
        "bank_account": re.sub(r"[\s-]+", "", bank_account or ""),
    }
    errors = {}
    required = {"title": _("请填写发票抬头。"), "address": _("请填写注册地址。"), "phone": _("请填写注册电话。"),
                "bank_name": _("请填写开户银行。")}
    for field, message in required.items():
        if not details[field]:
            errors[field] = message
    limits = {"title": 100, "address": 200, "phone": 30, "bank_name": 100}
    for field, limit in limits.items():
        if len(details[field]) > limit:
            errors[field] = _("不能超过 %(limit)s 个字符。") % {"limit": limit}
    if not TAX_NUMBER.match(details["tax_number"]):
        errors["tax_number"] = _("纳税人识别号应为 15–20 位数字或大写字母。")
    if not BANK_ACCOUNT.match(details["bank_account"]):
        errors["bank_account"] = _("银行账号应为 8–30 位数字。")
    if errors:
        raise BusinessRuleError(_("发票信息有误，请检查后重新提交。"), code="invalid_invoice_details", details=errors)
    return details


# --- buyer ------------------------------------------------------------------------------------

def _buyer_order(*, membership, order_id, lock=False):
    orders = Order.objects.select_related("buyer", "seller")
    if lock:
        orders = orders.select_for_update(of=("self",))
    order = orders.filter(pk=order_id, buyer_id=membership.company_id).first()
    if order is None:
        raise NotFound(_("未找到该订单。"))
    return order


@transaction.atomic
def request_invoice(*, by, order_id, title, tax_number, address, phone, bank_name, bank_account, amount=None):
    """The buyer asks for a 增值税专用发票: only a general taxpayer, only after payment, for at most
    what was paid less refunds, one open or issued request per order."""
    membership = ensure_invoice_member(by)
    order = _buyer_order(membership=membership, order_id=order_id, lock=True)
    refusal = invoice_refusal(order)
    if refusal:
        raise BusinessRuleError(refusal, code="invoice_not_allowed")
    details = clean_invoice_details(title=title, tax_number=tax_number, address=address, phone=phone,
                                    bank_name=bank_name, bank_account=bank_account)
    most = invoiceable_amount(order)
    try:
        amount = most if amount in (None, "") else to_money(amount)
    except ValueError:
        amount = None
    if amount is None or not amount.is_finite():
        raise BusinessRuleError(_("开票金额无效。"), code="invalid_invoice_details",
                                details={"amount": _("请输入金额，例如 12345.67。")})
    if amount <= ZERO or amount > most:
        raise BusinessRuleError(
            _("开票金额应大于 0 且不超过已付金额减去退款（%(most)s 元）。") % {"most": most},
            code="invalid_invoice_details", details={"amount": _("不能超过 %(most)s 元。") % {"most": most}},
        )
    try:
        with transaction.atomic():
            invoice = InvoiceRequest.objects.create(order=order, amount=amount, requested_by=by, **details)
    except IntegrityError:  # a concurrent request won the race for the one open request
        raise Conflict(_("该订单已有待开票的发票申请，请等待财务处理。"), code="invoice_already_requested") from None
    audit.record(actor=by, action="orders.invoice_requested", subject=order, company=order.buyer,
                 after=InvoiceRequest.Status.REQUESTED, data={"invoice": invoice.pk, "amount": str(amount),
                                                              "tax_number": details["tax_number"]})
    return invoice


# --- finance ----------------------------------------------------------------------------------

def ensure_finance_staff(user):
    if not has_staff_role(user, StaffRole.FINANCE):
        raise NotAllowed(_("仅平台财务人员可以处理发票申请。"), code="finance_only")


def _locked_request(invoice_id):
    invoice = (InvoiceRequest.objects.select_for_update(of=("self",)).select_related("order", "order__buyer")
               .filter(pk=invoice_id).first())
    if invoice is None:
        raise NotFound(_("未找到该发票申请。"))
    if invoice.status != InvoiceRequest.Status.REQUESTED:
        raise Conflict(_("该发票申请已处理（%(status)s），请刷新页面。") % {"status": invoice.get_status_display()},
                       code="invoice_already_decided")
    return invoice


def _tell_buyer(invoice, *, title, body):
    order = invoice.order
    notify_company(order.buyer, kind="order", key=f"order-invoice:{invoice.pk}:{invoice.status}", title=title,
                   body=body, link=reverse("member-orders:detail", args=[order.number]),
                   permission=CompanyPermission.FINANCE)


@transaction.atomic
def issue_invoice(*, by, invoice_id, invoice_number, invoice_file):
    """Finance records the issued invoice: an 8-digit (paper) or 20-digit (数电票) number used by no
    other invoice, and the invoice itself as PDF/JPEG/PNG. The buyer is told."""
    ensure_finance_staff(by)
    invoice = _locked_request(invoice_id)
    number = re.sub(r"\s+", "", invoice_number or "")
    errors = {}
    if not INVOICE_NUMBER.match(number):
        errors["invoice_number"] = _("发票号码应为 8 位数字（增值税专用发票）或 20 位数字（数电票）。")
    elif InvoiceRequest.objects.filter(invoice_number=number).exclude(pk=invoice.pk).exists():
        errors["invoice_number"] = _("发票号码 %(number)s 已登记在其他发票上。") % {"number": number}
    if not invoice_file:
        errors["invoice_file"] = _("请上传发票文件（PDF、JPEG 或 PNG）。")
    else:
        try:
            validate_document(invoice_file)
        except ValidationError as error:
            errors["invoice_file"] = error.messages[0]
    if errors:
        raise BusinessRuleError(next(iter(errors.values())), code="invalid_invoice", details=errors)
    invoice.status = InvoiceRequest.Status.ISSUED
    invoice.invoice_number = number
    invoice.issued_by = by
    invoice.issued_at = timezone.now()
    invoice.invoice_file.save(getattr(invoice_file, "name", "") or f"{number}.pdf", invoice_file, save=False)
    try:
        with transaction.atomic():
            invoice.save(update_fields=["status", "invoice_number", "issued_by", "issued_at", "invoice_file"])
    except IntegrityError:  # the same number registered at the same moment
        invoice.invoice_file.delete(save=False)
        raise BusinessRuleError(_("发票号码 %(number)s 已登记在其他发票上。") % {"number": number},
                                code="invalid_invoice", details={"invoice_number": _("发票号码重复。")}) from None
    audit.record(actor=by, action="orders.invoice_issued", subject=invoice.order, company=invoice.order.buyer,
                 before=InvoiceRequest.Status.REQUESTED, after=InvoiceRequest.Status.ISSUED,
                 data={"invoice": invoice.pk, "invoice_number": number, "amount": str(invoice.amount)})
    _tell_buyer(invoice, title=_("订单 %(order)s 的增值税专用发票已开具") % {"order": invoice.order.number},
                body=_("发票号码 %(number)s，金额 %(amount)s 元。可在订单详情页下载发票文件。") % {
                    "number": number, "amount": invoice.amount})
    return invoice


@transaction.atomic
def reject_invoice_request(*, by, invoice_id, reason):
    """Finance sends a request back (wrong details); the buyer is told why and may request again."""
    ensure_finance_staff(by)
    reason = (reason or "").strip()
    if not reason:
        raise BusinessRuleError(_("请填写退回原因，买家将据此修改发票信息。"), code="reason_required",
                                details={"reason": _("请填写退回原因。")})
    if len(reason) > 300:
        raise BusinessRuleError(_("退回原因不能超过 300 个字符。"), code="reason_too_long",
                                details={"reason": _("不能超过 300 个字符。")})
    invoice = _locked_request(invoice_id)
    invoice.status = InvoiceRequest.Status.REJECTED
    invoice.rejection_reason = reason
    invoice.issued_by = by
    invoice.issued_at = timezone.now()
    invoice.save(update_fields=["status", "rejection_reason", "issued_by", "issued_at"])
    audit.record(actor=by, action="orders.invoice_rejected", subject=invoice.order, company=invoice.order.buyer,
                 before=InvoiceRequest.Status.REQUESTED, after=InvoiceRequest.Status.REJECTED, reason=reason,
                 data={"invoice": invoice.pk})
    _tell_buyer(invoice, title=_("订单 %(order)s 的发票申请被退回") % {"order": invoice.order.number},
                body=_("退回原因：%(reason)s。请核对发票信息后重新申请。") % {"reason": reason})
    return invoice


# --- reads ------------------------------------------------------------------------------------

def invoice_queue():
    """Requests waiting for finance, oldest first."""
    return (InvoiceRequest.objects.filter(status=InvoiceRequest.Status.REQUESTED)
            .select_related("order", "order__buyer", "order__seller", "requested_by")
            .order_by(tier_rank_expression("order__buyer").desc(), "requested_at", "id"))


def invoices_of(order):
    return order.invoices.select_related("requested_by", "issued_by").order_by("-requested_at", "-id")


def invoice_for_viewer(*, user, invoice_id):
    """The invoice when the user is staff or a member of the order's buyer or seller, else None."""
    invoice = InvoiceRequest.objects.select_related("order").filter(pk=invoice_id).first()
    if invoice is None:
        return None
    if has_staff_role(user):
        return invoice
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_active:
        return None
    if membership.company_id not in (invoice.order.buyer_id, invoice.order.seller_id):
        return None
    return invoice


def invoices_for_company(*, company):
    """Invoices on orders the company bought or sold (API scoping)."""
    return InvoiceRequest.objects.filter(Q(order__buyer=company) | Q(order__seller=company))
