"""Refunds and returns (申请退款), allowed from payment until the buyer signs for the goods.

Before shipment the seller approves or rejects (the system approves when the seller has not
answered within `OrderSettings.refund_auto_approve_hours`); after shipment the buyer must send
the goods back with a waybill and the seller confirms the return, which puts the stock back.
Finance then records the refund transfer. A refund that ends without money moving (rejected,
withdrawn) returns the order to where it was (`Order.resume_status`).
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from accounts.services import notify_company
from catalog.models import StockReservation
from catalog.services import QUANTITY_STEP, receive_stock, reserve_stock
from core import audit
from core.errors import BusinessRuleError, Conflict, NotFound
from core.inputs import clean_text, parse_money
from core.money import ZERO, format_cny, to_money
from core.permissions import CompanyPermission
from crm.credit import credit_refund
from crm.priority import tier_rank_expression
from orders.models import Order, Refund, Shipment
from orders.payments import ensure_finance
from orders.selectors import order_settings
from orders.services import release_order_reservations
from orders.shipping import open_shipment
from orders.states import order_transition

S = Order.Status
R = Refund.Status
REFUNDABLE_STATUSES = (S.PAID, S.SHIPPED)
# Where the buyer may still withdraw: nothing has come back to the seller yet.
WITHDRAWABLE = (R.REQUESTED, R.AWAITING_RETURN, R.AWAITING_PAYOUT)


# --- reads ------------------------------------------------------------------------------------

def refundable_amount(order):
    """What may still be refunded: confirmed payments less refunds already paid out."""
    return max(to_money(order.amount_paid) - to_money(order.amount_refunded), ZERO)


def open_refund(order):
    return order.refunds.filter(status__in=Refund.OPEN).first()


def refunds_of(order):
    return order.refunds.select_related("requested_by", "seller_decided_by", "paid_out_by", "return_shipment")


def refund_refusal(order):
    """Why the buyer cannot request a refund now (a BusinessRuleError to raise or show), or None
    when it can: the one place for the rule."""
    if order.status in (S.RECEIVED, S.COMPLETED):
        return BusinessRuleError(_("买家已签收，不能再申请退款。如货物有问题，请发起交易纠纷。"),
                                 code="refund_after_receipt")
    if order.payment_method in Order.SETTLED_WITHOUT_MONEY:
        return BusinessRuleError(_("易货或以货抵债的订单不退款项；如有问题，请在对应的易货方案或债务案件中处理。"),
                                 code="settled_without_money")
    if order.status in (S.AWAITING_APPROVAL, S.PENDING_PAYMENT):
        return BusinessRuleError(_("订单尚未付款，无需退款，请直接取消订单。"), code="order_unpaid")
    if order.status == S.REFUND_REQUESTED or open_refund(order) is not None:
        return Conflict(_("该订单已有处理中的退款申请。"), code="refund_open")
    if order.status not in REFUNDABLE_STATUSES:
        return BusinessRuleError(_("订单状态为“%(status)s”，不能申请退款。") % {"status": order.get_status_display()},
                                 code="refund_not_allowed")
    if refundable_amount(order) <= 0:
        return BusinessRuleError(_("该订单没有可退的已到账金额。"), code="nothing_to_refund")
    return None


def withdrawal_refusal(refund, order=None):
    """Why the buyer cannot withdraw this refund (an error to raise or show), or None when it can."""
    order = order or refund.order
    if order.status != S.REFUND_REQUESTED:
        return Conflict(_("订单状态为“%(status)s”，不能撤销退款申请。") % {"status": order.get_status_display()},
                        code="order_state")
    if refund.status == R.RETURN_SHIPPED or (refund.status == R.AWAITING_PAYOUT and refund.needs_return):
        return Conflict(_("退货已寄出，不能撤销退款申请。"), code="return_under_way")
    if refund.status not in WITHDRAWABLE:
        return Conflict(_("退款申请当前状态为“%(status)s”，不能撤销。") % {"status": refund.get_status_display()},
                        code="refund_state")
    return None


def payout_queue():
    """Refunds approved and waiting for finance's transfer, oldest first."""
    return (Refund.objects.filter(status=R.AWAITING_PAYOUT)
            .select_related("order", "order__buyer", "order__seller", "requested_by")
            .order_by(tier_rank_expression("order__buyer").desc(), "requested_at", "id"))


# --- helpers ----------------------------------------------------------------------------------

def _buyer_link(order):
    return reverse("member-orders:detail", args=[order.number])


def _seller_link(order):
    return reverse("merchant-orders:detail", args=[order.number])


def _tell_buyer(order, *, kind, key, title, body=""):
    notify_company(order.buyer, kind=kind, key=key, title=title, body=body, link=_buyer_link(order),
                   permission=CompanyPermission.PURCHASING)


def _tell_seller(order, *, kind, key, title, body=""):
    notify_company(order.seller, kind=kind, key=key, title=title, body=body, link=_seller_link(order),
                   permission=CompanyPermission.FULFILMENT)


def _locked(refund_id, **scope):
    """Lock the order, then the refund (orders are always locked first: no deadlocks)."""
    order_id = Refund.objects.filter(pk=refund_id, **scope).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(_("未找到该退款申请。"))
    order = Order.objects.select_for_update().select_related("buyer", "seller").get(pk=order_id)
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    return order, refund


def _for_buyer(by, refund_id):
    membership = rules.ensure_member_may(by, CompanyPermission.PURCHASING)
    return _locked(refund_id, order__buyer=membership.company)


def _for_seller(by, refund_id):
    membership = rules.ensure_member_may(by, CompanyPermission.FULFILMENT)
    return _locked(refund_id, order__seller=membership.company)


def _ensure_status(refund, *allowed):
    if refund.status not in allowed:
        raise Conflict(
            _("退款申请当前状态为“%(status)s”，不能执行此操作。") % {"status": refund.get_status_display()},
            code="refund_state")


def _resume(order, *, actor, reason):
    order_transition(order_id=order.pk, to=order.resume_status or S.PAID, actor=actor, reason=reason)


def _record(refund, order, *, actor, action, before, reason="", seller_side=False):
    """Audit row in the operation log of the acting side's company (the buyer's for finance and the
    system)."""
    audit.record(actor=actor, action=action, subject=refund, company=order.seller if seller_side else order.buyer,
                 before=before,
                 after=refund.status, reason=reason, data={"order": order.number, "amount": str(refund.amount)})


# --- buyer ------------------------------------------------------------------------------------

@transaction.atomic
def request_refund(*, by, order_id, reason, amount=None):
    """申请退款: a buyer member with purchasing rights, on a paid or shipped order (until the buyer
    signs), one open refund at a time, at most what was paid less what was refunded (the default).
    Goods already shipped must come back first (`needs_return`)."""
    membership = rules.ensure_member_may(by, CompanyPermission.PURCHASING)
    order = Order.objects.select_for_update().select_related("buyer", "seller").filter(
        pk=order_id, buyer=membership.company).first()
    if order is None:
        raise NotFound(_("未找到该订单。"))
    refusal = refund_refusal(order)
    if refusal is not None:
        raise refusal
    reason = clean_text(reason, "reason", label=_("退款原因"), max_length=500)
    limit = refundable_amount(order)
    amount = limit if amount in (None, "") else parse_money(amount, "amount")
    if amount <= 0:
        raise BusinessRuleError(_("退款金额必须大于 0。"), code="invalid_amount",
                                details={"amount": _("退款金额必须大于 0。")})
    if amount > limit:
        message = _("退款金额不能超过可退金额 %(limit)s。") % {"limit": format_cny(limit)}
        raise BusinessRuleError(message, code="amount_above_refundable", details={"amount": message})
    refund = Refund.objects.create(order=order, reason=reason, amount=amount, requested_by=by,
                                   needs_return=order.status == S.SHIPPED)
    order_transition(order_id=order.pk, to=S.REFUND_REQUESTED, actor=by, reason=reason)
    _record(refund, order, actor=by, action="refund.request", before="", reason=reason)
    hours = order_settings().refund_auto_approve_hours
    _tell_seller(order, kind="order.refund_requested", key=f"refund-requested:{refund.pk}",
                 title=_("订单 %(number)s 买家申请退款 %(amount)s") % {"number": order.number,
                                                                 "amount": format_cny(amount)},
                 body=_("原因：%(reason)s。请在 %(hours)s 小时内处理，逾期系统将自动同意。") % {
                     "reason": reason, "hours": hours})
    return refund


@transaction.atomic
def ship_return(*, by, refund_id, carrier, waybill_number, carrier_name=""):
    """The buyer sends the goods back and gives the return waybill (after the seller approved)."""
    order, refund = _for_buyer(by, refund_id)
    _ensure_status(refund, R.AWAITING_RETURN)
    if carrier not in Shipment.Carrier.values:
        raise BusinessRuleError(_("请选择承运商。"), code="invalid_carrier", details={"carrier": _("请选择承运商。")})
    # The same waybill rules as a delivery: format checked, duplicates refused, and a JD/SF
    # waybill booked through the carrier when the buyer has none yet.
    shipment = open_shipment(order=order, direction=Shipment.Direction.RETURN, carrier=carrier,
                             waybill_number=waybill_number, carrier_name=carrier_name, by=by)
    before, refund.status, refund.return_shipment = refund.status, R.RETURN_SHIPPED, shipment
    refund.save(update_fields=["status", "return_shipment"])
    _record(refund, order, actor=by, action="refund.return_shipped", before=before, reason=str(shipment))
    _tell_seller(order, kind="order.return_shipped", key=f"refund-return:{refund.pk}",
                 title=_("订单 %(number)s 买家已寄回货物") % {"number": order.number},
                 body=_("退货运单：%(shipment)s。收到货物后请确认退货。") % {"shipment": shipment})
    return refund


def _restore_reservations(order, *, by):
    """Hold the stock again for an order whose reservations a full refund had released (the buyer
    withdrew the refund before payout, so the order will ship after all)."""
    for line in order.lines.select_related("reservation").filter(
            reservation__status=StockReservation.Status.RELEASED, product__isnull=False):
        try:
            reservation = reserve_stock(product_id=line.product_id, holder=order.buyer, quantity=line.quantity,
                                        by=by, reference=order.number, note=_("撤销退款，恢复订单预留"))
        except BusinessRuleError:
            raise BusinessRuleError(
                _("卖家已释放该订单的库存，且“%(title)s”的库存已不足，不能撤销退款申请。") % {"title": line.title},
                code="stock_gone") from None
        line.reservation = reservation
        line.save(update_fields=["reservation"])


@transaction.atomic
def withdraw_refund(*, by, refund_id):
    """The buyer withdraws an open refund before payout; the order returns to where it was. Once the
    goods are on their way back (or back with the seller), withdrawing is no longer possible."""
    order, refund = _for_buyer(by, refund_id)
    refusal = withdrawal_refusal(refund, order)
    if refusal is not None:
        raise refusal
    before, refund.status = refund.status, R.WITHDRAWN
    refund.save(update_fields=["status"])
    if order.resume_status == S.PAID:
        _restore_reservations(order, by=by)
    _resume(order, actor=by, reason=_("买家撤销退款申请"))
    _record(refund, order, actor=by, action="refund.withdraw", before=before)
    _tell_seller(order, kind="order.refund_withdrawn", key=f"refund-withdrawn:{refund.pk}",
                 title=_("订单 %(number)s 买家已撤销退款申请") % {"number": order.number})
    return refund


# --- seller -----------------------------------------------------------------------------------

def seller_may_decide(refund, order) -> bool:
    """The seller answers a refund request while it waits for it, unless a dispute took over."""
    return refund is not None and refund.status == R.REQUESTED and order.status != S.IN_DISPUTE


def _ensure_not_in_dispute(order):
    if order.status == S.IN_DISPUTE:
        raise Conflict(_("该订单正在处理交易纠纷，退款由纠纷裁决决定。"), code="order_in_dispute")


def _approve(order, refund, *, actor, reason=""):
    _ensure_status(refund, R.REQUESTED)
    _ensure_not_in_dispute(order)
    before = refund.status
    if refund.needs_return:
        refund.status = R.AWAITING_RETURN
    else:
        refund.status = R.AWAITING_PAYOUT
        if refund.amount >= refundable_amount(order):
            # The whole order is refunded before shipment: it will never ship. A partial refund
            # keeps the stock, since the order resumes and ships afterwards.
            release_order_reservations(order=order, by=actor,
                                       reason=_("订单 %(number)s 退款，释放预留") % {"number": order.number})
    refund.seller_decided_by, refund.seller_decided_at = actor, timezone.now()
    refund.save(update_fields=["status", "seller_decided_by", "seller_decided_at"])
    _record(refund, order, actor=actor, action="refund.approve", before=before, reason=reason, seller_side=True)
    if refund.needs_return:
        title = _("订单 %(number)s 退款已同意，请寄回货物") % {"number": order.number}
        body = _("请将货物寄回卖家，并在订单页填写退货运单号。卖家确认收货后，平台财务将退款。")
    else:
        title = _("订单 %(number)s 退款已同意") % {"number": order.number}
        if order.payment_method == Order.PaymentMethod.ON_ACCOUNT:
            body = _("平台财务将按 %(amount)s 冲减本单的应收账款（已回款部分退至您的付款账户）。") % {
                "amount": format_cny(refund.amount)}
        else:
            body = _("平台财务将退款 %(amount)s 至您的付款账户。") % {"amount": format_cny(refund.amount)}
    if reason:
        body = f"{reason} {body}"
    _tell_buyer(order, kind="order.refund_approved", key=f"refund-approved:{refund.pk}", title=title, body=body)
    if actor is None:  # the seller did not answer in time: tell it what the system did
        _tell_seller(order, kind="order.refund_approved", key=f"refund-approved:{refund.pk}",
                     title=_("订单 %(number)s 的退款申请已自动同意") % {"number": order.number}, body=reason)
    return refund


@transaction.atomic
def approve_refund(*, by, refund_id):
    """The seller (fulfilment rights) agrees: before shipment it goes to finance for payout and the
    order's stock reservations are released; after shipment the buyer must return the goods."""
    order, refund = _for_seller(by, refund_id)
    return _approve(order, refund, actor=by)


@transaction.atomic
def reject_refund(*, by, refund_id, reason):
    """The seller refuses with a reason; the order returns to where it was (the buyer may then open
    a dispute)."""
    reason = clean_text(reason, "reason", label=_("拒绝理由"), max_length=500)
    order, refund = _for_seller(by, refund_id)
    _ensure_status(refund, R.REQUESTED)
    _ensure_not_in_dispute(order)
    before = refund.status
    refund.status, refund.rejection_reason = R.REJECTED, reason
    refund.seller_decided_by, refund.seller_decided_at = by, timezone.now()
    refund.save(update_fields=["status", "rejection_reason", "seller_decided_by", "seller_decided_at"])
    _resume(order, actor=by, reason=_("卖家拒绝退款：%(reason)s") % {"reason": reason})
    _record(refund, order, actor=by, action="refund.reject", before=before, reason=reason, seller_side=True)
    _tell_buyer(order, kind="order.refund_rejected", key=f"refund-rejected:{refund.pk}",
                title=_("订单 %(number)s 的退款申请被卖家拒绝") % {"number": order.number},
                body=_("拒绝理由：%(reason)s。如有异议，可发起交易纠纷。") % {"reason": reason})
    return refund


def _returned_quantities(order, quantities):
    """{line: quantity back in stock}: every line in full unless the seller says otherwise."""
    lines = list(order.lines.all())
    if quantities is None:
        return {line: line.quantity for line in lines}
    returned = {}
    for line in lines:
        raw = quantities.get(line.pk, quantities.get(str(line.pk), 0))
        try:
            quantity = Decimal(str(raw).strip() or "0").quantize(QUANTITY_STEP)
        except (InvalidOperation, ValueError):
            quantity = Decimal(-1)
        if not quantity.is_finite() or quantity < 0 or quantity > line.quantity:
            message = _("“%(title)s”的退回数量应在 0 到 %(max)s 之间。") % {"title": line.title, "max": line.quantity}
            raise BusinessRuleError(message, code="invalid_quantity", details={f"line_{line.pk}": message})
        if quantity:
            returned[line] = quantity
    if not returned:
        raise BusinessRuleError(_("请填写收到的退货数量。"), code="nothing_returned")
    return returned


@transaction.atomic
def confirm_return(*, by, refund_id, quantities=None):
    """The seller received the returned goods: they go back into stock (a ledger line per order
    line, naming the refund) and the refund goes to finance for payout. `quantities`
    ({line id: quantity}) says what came back when it is not the whole order."""
    order, refund = _for_seller(by, refund_id)
    _ensure_status(refund, R.RETURN_SHIPPED)
    returned = _returned_quantities(order, quantities)
    membership = by.membership
    # The stock ledger is the seller's product rights; a fulfilment-only member books the return
    # in the name of the company's main account (the audit row below still names who confirmed).
    stock_user = by if membership.allows(CompanyPermission.PRODUCTS) else (
        order.seller.memberships.get(is_main=True).user)
    reason = _("退款 #%(refund)s 退货入库（订单 %(number)s）") % {"refund": refund.pk, "number": order.number}
    for line, quantity in returned.items():
        if line.product_id is not None:
            receive_stock(by=stock_user, product_id=line.product_id, quantity=quantity, reason=reason,
                          reference=order.number)
    before = refund.status
    refund.status, refund.return_received_at = R.AWAITING_PAYOUT, timezone.now()
    refund.save(update_fields=["status", "return_received_at"])
    _record(refund, order, actor=by, action="refund.return_received", before=before, reason=reason,
            seller_side=True)
    _tell_buyer(order, kind="order.return_received", key=f"refund-return-received:{refund.pk}",
                title=_("卖家已收到订单 %(number)s 的退货") % {"number": order.number},
                body=_("平台财务将退款 %(amount)s 至您的付款账户。") % {"amount": format_cny(refund.amount)})
    return refund


def auto_approve_stale_refunds(now=None) -> int:
    """Approve, as the system, every refund the seller left unanswered for
    `OrderSettings.refund_auto_approve_hours` (the scheduled job; safe to run twice)."""
    now = now or timezone.now()
    hours = order_settings().refund_auto_approve_hours
    cutoff = now - timedelta(hours=hours)
    approved = 0
    stale = Refund.objects.filter(status=R.REQUESTED, requested_at__lte=cutoff).exclude(order__status=S.IN_DISPUTE)
    for refund_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            order, refund = _locked(refund_id)
            if refund.status != R.REQUESTED or order.status == S.IN_DISPUTE:
                continue  # answered, or taken over by a dispute, meanwhile
            _approve(order, refund, actor=None,
                     reason=_("卖家 %(hours)s 小时内未处理，系统自动同意。") % {"hours": hours})
        approved += 1
    return approved


# --- finance ----------------------------------------------------------------------------------

@transaction.atomic
def record_refund_payout(*, by, refund_id, payout_reference):
    """Finance transferred the refund back to the buyer. The order's refunded amount grows (never
    beyond what was paid: checked here and by the database); a full refund ends the order as
    refunded, a partial one returns it to where it was. Both companies are told."""
    ensure_finance(by)
    payout_reference = "".join(clean_text(payout_reference, "payout_reference", label=_("退款流水号"),
                                     max_length=40).split())
    order, refund = _locked(refund_id)
    _ensure_status(refund, R.AWAITING_PAYOUT)
    if refund.amount > refundable_amount(order):
        raise BusinessRuleError(
            _("退款金额 %(amount)s 超过订单可退金额 %(limit)s。") % {
                "amount": format_cny(refund.amount), "limit": format_cny(refundable_amount(order))},
            code="amount_above_refundable")
    before = refund.status
    refund.status, refund.payout_reference = R.REFUNDED, payout_reference
    refund.paid_out_by, refund.paid_out_at = by, timezone.now()
    refund.save(update_fields=["status", "payout_reference", "paid_out_by", "paid_out_at"])
    order.amount_refunded = to_money(order.amount_refunded + refund.amount)
    order.save(update_fields=["amount_refunded", "updated_at"])
    if order.payment_method == Order.PaymentMethod.ON_ACCOUNT:
        # Bought on credit: the refund first reduces what the buyer still owes on this order.
        credit_refund(order=order, amount=refund.amount, by=by, reason=payout_reference)
    _record(refund, order, actor=by, action="refund.payout", before=before, reason=payout_reference)
    full = order.amount_refunded >= order.amount_paid
    if full:
        if order.resume_status == S.PAID:  # never shipped: nothing may stay held for it
            release_order_reservations(order=order, by=by,
                                       reason=_("订单 %(number)s 退款，释放预留") % {"number": order.number})
        order_transition(order_id=order.pk, to=S.REFUNDED, actor=by,
                         reason=_("财务已退款，流水号 %(reference)s") % {"reference": payout_reference})
    else:
        _resume(order, actor=by, reason=_("部分退款已完成，流水号 %(reference)s") % {"reference": payout_reference})
    body = _("平台已退款 %(amount)s（流水号 %(reference)s）。") % {
        "amount": format_cny(refund.amount), "reference": payout_reference}
    title = _("订单 %(number)s 已退款") % {"number": order.number} if full else _(
        "订单 %(number)s 已部分退款") % {"number": order.number}
    _tell_buyer(order, kind="order.refunded", key=f"refund-paid:{refund.pk}", title=title, body=body)
    _tell_seller(order, kind="order.refunded", key=f"refund-paid:{refund.pk}", title=title, body=body)
    return refund
