"""Offline corporate transfers (对公转账) to the platform's ICBC account, confirmed by finance.

The buyer records each transfer it made (amount, payer, bank reference, date, slip); finance
confirms receipt or rejects it in the back office. Confirmed transfers add up on the order
(`amount_paid`); the order is paid when they reach its total. One bank transfer can be confirmed
once only (checked here, and by a unique constraint on confirmed bank references).
"""

import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from accounts.documents import validate_document
from accounts.services import notify_company
from core import audit, webhooks
from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.inputs import clean_text, parse_money
from core.money import ZERO, format_cny, to_money
from core.permissions import CompanyPermission, StaffRole, has_staff_role
from crm.priority import tier_rank_expression
from orders.models import Order, Payment
from orders.services import close_open_adjustments
from orders.states import order_transition

PAYER_PERMISSIONS = (CompanyPermission.PURCHASING, CompanyPermission.FINANCE)
FINANCE_ROLES = (StaffRole.FINANCE,)  # administrators hold every role


# --- rules ------------------------------------------------------------------------------------

def may_record_transfers(membership) -> bool:
    """Buyer-side members with purchasing or finance rights record transfers (main accounts too)."""
    return membership is not None and any(membership.allows(permission) for permission in PAYER_PERMISSIONS)


def ensure_may_record_transfers(user):
    membership = rules.ensure_member(user)
    if not may_record_transfers(membership):
        raise NotAllowed(
            _("您的账号没有“采购与订单”或“财务与发票”权限，不能登记转账，请联系企业主账号开通。"),
            code="missing_permission",
        )
    return membership


def ensure_finance(user):
    if not has_staff_role(user, *FINANCE_ROLES):
        raise NotAllowed(_("只有平台财务可以处理转账和退款。"), code="finance_only")


def normalise_name(name) -> str:
    """A company name as banks and registries may write it: full-width characters (（）、全角空格)
    folded to half-width and every space removed, so “杭州某某（集团）有限公司” equals
    “杭州某某 (集团) 有限公司”."""
    folded = unicodedata.normalize("NFKC", name or "")
    return "".join(folded.split())


def payer_name_matches(payer_name, company_name) -> bool:
    return bool(normalise_name(payer_name)) and normalise_name(payer_name) == normalise_name(company_name)


# --- reads ------------------------------------------------------------------------------------

def outstanding(order) -> object:
    """What the buyer still owes: total less confirmed transfers (never negative)."""
    return max(to_money(order.total) - to_money(order.amount_paid), ZERO)


def awaiting_confirmation(order) -> object:
    """Recorded transfers finance has not yet decided."""
    total = order.payments.filter(status=Payment.Status.RECORDED).aggregate(total=Sum("amount"))["total"]
    return to_money(total or 0)


def recordable(order) -> object:
    """The most a new transfer may be: outstanding less transfers already awaiting confirmation."""
    return max(outstanding(order) - awaiting_confirmation(order), ZERO)


def payments_of(order):
    return order.payments.select_related("recorded_by", "decided_by").order_by("recorded_at", "id")


def payment_queue():
    """Transfers awaiting finance, oldest first (the back-office queue)."""
    return (Payment.objects.filter(status=Payment.Status.RECORDED)
            .select_related("order", "order__buyer", "order__seller", "recorded_by")
            .order_by(tier_rank_expression("order__buyer").desc(), "recorded_at", "id"))


def payment_for_buyer(*, user, payment_id):
    """A payment of an order the user's company bought, when the user may see transfers; else None."""
    membership = getattr(user, "membership", None)
    if not may_record_transfers(membership):
        return None
    return Payment.objects.select_related("order").filter(pk=payment_id, order__buyer=membership.company).first()


# --- writes -----------------------------------------------------------------------------------

def _transfer_date(value, order):
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise BusinessRuleError(_("请填写正确的转账日期。"), code="invalid_date",
                                details={"transferred_on": _("请填写正确的转账日期。")})
    if value > timezone.localdate():
        raise BusinessRuleError(_("转账日期不能晚于今天。"), code="future_date",
                                details={"transferred_on": _("转账日期不能晚于今天。")})
    if value < timezone.localdate(order.placed_at):
        raise BusinessRuleError(_("转账日期早于下单日期，请核对。"), code="date_before_order",
                                details={"transferred_on": _("转账日期早于下单日期。")})
    return value


def _buyer_link(order):
    return reverse("member-orders:detail", args=[order.number])


def _seller_link(order):
    return reverse("merchant-orders:detail", args=[order.number])


def _tell_buyer(order, *, kind, key, title, body=""):
    for permission in PAYER_PERMISSIONS:  # the same key reaches each member once
        notify_company(order.buyer, kind=kind, key=key, title=title, body=body, link=_buyer_link(order),
                       permission=permission)


@transaction.atomic
def record_transfer(*, by, order_id, amount, payer_name, payer_account, bank_reference, transferred_on, slip=None):
    """The buyer records a transfer it made for an order awaiting payment.

    Rules: a buyer-side member with purchasing or finance rights; the order awaits payment; the
    amount is positive and at most what is still owed less transfers awaiting confirmation; the
    transfer date is not in the future; a slip, when given, is a PDF, JPEG or PNG. A payer name
    that differs from the buyer's verified name is flagged for finance.
    """
    membership = ensure_may_record_transfers(by)
    order = Order.objects.select_for_update().select_related("buyer").filter(
        pk=order_id, buyer=membership.company).first()
    if order is None:
        raise NotFound(_("未找到该订单。"))
    if order.payment_method != Order.PaymentMethod.TRANSFER:
        raise BusinessRuleError(_("该订单为账期付款，无需转账。"), code="not_a_transfer_order")
    if order.status != Order.Status.PENDING_PAYMENT:
        raise BusinessRuleError(
            _("订单状态为“%(status)s”，不能登记转账。") % {"status": order.get_status_display()},
            code="order_not_payable")
    amount = parse_money(amount, "amount")
    if amount <= 0:
        raise BusinessRuleError(_("转账金额必须大于 0。"), code="invalid_amount",
                                details={"amount": _("转账金额必须大于 0。")})
    limit = recordable(order)
    if amount > limit:
        message = _("转账金额超过待付金额：订单还需支付 %(limit)s（已扣除待财务确认的转账）。") % {
            "limit": format_cny(limit)}
        raise BusinessRuleError(message, code="amount_above_outstanding", details={"amount": message})
    payer_name = clean_text(payer_name, "payer_name", label=_("付款户名"), max_length=100)
    payer_account = clean_text(payer_account, "payer_account", label=_("付款账号"), max_length=40, required=False)
    bank_reference = "".join(clean_text(bank_reference, "bank_reference", label=_("银行流水号"), max_length=40).split())
    transferred_on = _transfer_date(transferred_on, order)
    if Payment.objects.filter(bank_reference=bank_reference, status=Payment.Status.CONFIRMED).exists():
        message = _("流水号为 %(reference)s 的转账已确认用于付款，同一笔转账不能重复使用。") % {
            "reference": bank_reference}
        raise BusinessRuleError(message, code="transfer_already_confirmed", details={"bank_reference": message})
    if order.payments.filter(bank_reference=bank_reference, status=Payment.Status.RECORDED).exists():
        message = _("流水号为 %(reference)s 的转账已登记，正等待财务确认。") % {"reference": bank_reference}
        raise BusinessRuleError(message, code="transfer_already_recorded", details={"bank_reference": message})

    payment = Payment(
        order=order, amount=amount, payer_name=payer_name, payer_account=payer_account,
        bank_reference=bank_reference, transferred_on=transferred_on, recorded_by=by,
        payer_name_matches=payer_name_matches(payer_name, order.buyer.name),
    )
    if slip is not None:
        try:
            validate_document(slip)
        except ValidationError as error:
            message = error.messages[0]
            raise BusinessRuleError(message, code="invalid_slip", details={"slip": message}) from None
        payment.slip_name = (getattr(slip, "name", "") or "slip")[:200]
        payment.slip.save(payment.slip_name, slip, save=False)
    payment.save()
    audit.record(actor=by, action="payment.record", subject=payment, company=order.buyer,
                 after=f"{amount} {bank_reference}", data={
                     "order": order.number, "amount": str(amount), "payer_name": payer_name,
                     "payer_name_matches": payment.payer_name_matches})
    return payment


def _locked_payment(payment_id):
    """Lock the order, then the payment (the same order as every order service: no deadlocks)."""
    found = Payment.objects.filter(pk=payment_id).values_list("order_id", flat=True).first()
    if found is None:
        raise NotFound(_("未找到该转账记录。"))
    order = Order.objects.select_for_update().select_related("buyer", "seller").get(pk=found)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    return order, payment


def _ensure_undecided(payment):
    if payment.status != Payment.Status.RECORDED:
        raise Conflict(
            _("该转账已处理（%(status)s），不能重复操作。") % {"status": payment.get_status_display()},
            code="payment_already_decided")


@transaction.atomic
def confirm_payment(*, by, payment_id, note="", acknowledge_mismatch=False):
    """Finance confirms a recorded transfer arrived.

    Only a recorded transfer, once; one bank transfer (bank reference) is confirmed once across
    all orders; a payer name that differs from the buyer's verified name needs an explicit
    acknowledgement and a note. The amount adds to the order's paid amount; when that reaches the
    total the order is paid and both companies are told.
    """
    ensure_finance(by)
    order, payment = _locked_payment(payment_id)
    _ensure_undecided(payment)
    note = (note or "").strip()
    if len(note) > 300:
        raise BusinessRuleError(_("备注不能超过 300 个字符。"), code="too_long",
                                details={"note": _("备注不能超过 300 个字符。")})
    if not payment.payer_name_matches and not (acknowledge_mismatch and note):
        message = _("付款户名“%(payer)s”与买家认证名称“%(buyer)s”不一致。请核实后勾选确认，并在备注中说明原因。") % {
            "payer": payment.payer_name, "buyer": order.buyer.name}
        raise BusinessRuleError(message, code="payer_name_mismatch",
                                details={"acknowledge_mismatch": message})
    duplicate = (Payment.objects.filter(bank_reference=payment.bank_reference, status=Payment.Status.CONFIRMED)
                 .select_related("order").first())
    if duplicate is not None:
        raise Conflict(
            _("流水号为 %(reference)s 的转账已于订单 %(order)s 确认到账，同一笔转账不能确认两次。") % {
                "reference": payment.bank_reference, "order": duplicate.order.number},
            code="transfer_already_confirmed")
    if order.status != Order.Status.PENDING_PAYMENT:
        raise BusinessRuleError(
            _("订单状态为“%(status)s”，不能再确认到账。请拒绝该转账，并联系买家退回款项。") % {
                "status": order.get_status_display()},
            code="order_not_payable")
    if order.amount_paid + payment.amount > order.total:
        raise BusinessRuleError(
            _("确认后到账金额 %(paid)s 将超过订单金额 %(total)s。请拒绝该转账，并联系买家处理多付款项。") % {
                "paid": format_cny(order.amount_paid + payment.amount), "total": format_cny(order.total)},
            code="overpayment")

    payment.status, payment.decided_by, payment.decided_at = Payment.Status.CONFIRMED, by, timezone.now()
    payment.decision_note = note
    try:
        with transaction.atomic():  # the constraint settles a race between two transfers' confirmations
            payment.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    except IntegrityError:
        raise Conflict(
            _("流水号为 %(reference)s 的转账已确认到账，同一笔转账不能确认两次。") % {
                "reference": payment.bank_reference},
            code="transfer_already_confirmed") from None
    order.amount_paid = to_money(order.amount_paid + payment.amount)
    order.save(update_fields=["amount_paid", "updated_at"])
    audit.record(actor=by, action="payment.confirm", subject=payment, company=order.buyer,
                 before=Payment.Status.RECORDED, after=Payment.Status.CONFIRMED, reason=note, data={
                     "order": order.number, "amount": str(payment.amount), "amount_paid": str(order.amount_paid),
                     "payer_name_mismatch_acknowledged": not payment.payer_name_matches})
    webhooks.emit("payment.confirmed", [order.buyer_id, order.seller_id], {
        "order": order.number, "payment": payment.pk, "amount": payment.amount, "amount_paid": order.amount_paid,
        "total": order.total, "bank_reference": payment.bank_reference})

    if order.amount_paid >= order.total:
        order_transition(order_id=order.pk, to=Order.Status.PAID, actor=by, reason=_("财务确认全额到账"))
        close_open_adjustments(order=order, by=by, reason=_("订单已付款，调整不再适用"))
        _tell_buyer(order, kind="order.paid", key=f"order-paid:{order.pk}",
                    title=_("订单 %(number)s 已确认付款") % {"number": order.number},
                    body=_("平台财务已确认收到全部货款 %(total)s，卖家将安排发货。") % {
                        "total": format_cny(order.total)})
        notify_company(order.seller, kind="order.paid", key=f"order-paid:{order.pk}",
                       title=_("订单 %(number)s 买家已付款，请发货") % {"number": order.number},
                       body=_("平台已确认收到货款 %(total)s。") % {"total": format_cny(order.total)},
                       link=_seller_link(order), permission=CompanyPermission.FULFILMENT)
    else:
        _tell_buyer(order, kind="order.payment_confirmed", key=f"payment-confirmed:{payment.pk}",
                    title=_("订单 %(number)s 的转账已确认") % {"number": order.number},
                    body=_("已确认到账 %(amount)s，订单还需支付 %(rest)s。") % {
                        "amount": format_cny(payment.amount), "rest": format_cny(outstanding(order))})
    return payment


@transaction.atomic
def reject_payment(*, by, payment_id, reason):
    """Finance found no such transfer (or not for this order): the record is refused with the
    reason and the buyer is told. The order keeps waiting for payment."""
    ensure_finance(by)
    reason = clean_text(reason, "reason", label=_("拒绝原因"), max_length=300)
    order, payment = _locked_payment(payment_id)
    _ensure_undecided(payment)
    payment.status, payment.decided_by, payment.decided_at = Payment.Status.REJECTED, by, timezone.now()
    payment.decision_note = reason
    payment.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(actor=by, action="payment.reject", subject=payment, company=order.buyer,
                 before=Payment.Status.RECORDED, after=Payment.Status.REJECTED, reason=reason,
                 data={"order": order.number, "amount": str(payment.amount)})
    _tell_buyer(order, kind="order.payment_rejected", key=f"payment-rejected:{payment.pk}",
                title=_("订单 %(number)s 的转账未确认到账") % {"number": order.number},
                body=_("您登记的转账（%(amount)s，流水号 %(reference)s）未确认到账：%(reason)s") % {
                    "amount": format_cny(payment.amount), "reference": payment.bank_reference, "reason": reason})
    return payment
