"""交易纠纷: opening a dispute, evidence, automatic decisions by rule, mediation, arbitration.

The path of a dispute:
- A party opens it (buyer: PURCHASING, seller: FULFILMENT) on a paid, shipped, received or
  refund-requested order; the order moves to in_dispute (its resume_status is kept) and the rules
  in `orders.dispute_rules` look at the FACTS (`dispute_facts`) at once.
- A rule that applies decides (status decided); otherwise the dispute waits in the back-office
  queue (open) until a customer-service mediator takes it (mediation) and decides, or refers it to
  arbitration (status arbitration, with a PDF dossier). A mediator (or legal) later records the
  arbitration award with the same `mediate` service.
- A refund decision creates a Refund awaiting finance's payout (or turns the order's open refund
  into one) and moves the order to refund_requested; finance pays it through `orders.refunds`.
  A full refund of goods that never shipped gives their stock back at once. A decision without
  refund, or the opener withdrawing, returns the order to where it was.

Services (writes) and selectors (reads) of this part live here; the rules themselves are in
`orders.dispute_rules`.
"""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from accounts.documents import validate_document
from accounts.models import Membership
from accounts.services import notify_company
from core import audit
from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.inputs import parse_money
from core.models import AuditEvent
from core.money import ZERO, format_cny, to_money
from core.permissions import CompanyPermission, StaffRole, has_staff_role
from crm.priority import tier_rank_expression
from orders import dispute_rules
from orders.models import Dispute, DisputeEvidence, Order, Refund, Shipment, TrackingEvent
from orders.refunds import refundable_amount
from orders.services import release_order_reservations
from orders.states import may_move, order_transition

S = Order.Status
D = Dispute.Status
BUYER, SELLER = "buyer", "seller"
SIDE_PERMISSION = {BUYER: CompanyPermission.PURCHASING, SELLER: CompanyPermission.FULFILMENT}
DISPUTABLE = (S.PAID, S.SHIPPED, S.RECEIVED, S.REFUND_REQUESTED)
# A completed order may still be disputed for this many days (quality found on use, for example).
# It needs COMPLETED → IN_DISPUTE in orders.states.TRANSITIONS; while the table does not allow it,
# `dispute_refusal` refuses completed orders.
DISPUTE_DAYS_AFTER_COMPLETION = 15
ACTIVE = (D.OPEN, D.MEDIATION, D.ARBITRATION)  # not yet settled: no second dispute meanwhile
PARTY_ACTIVE = (D.OPEN, D.MEDIATION)  # the parties may add evidence or withdraw
MEDIATOR_ROLES = (StaffRole.CUSTOMER_SERVICE,)
ARBITRATION_ROLES = (StaffRole.CUSTOMER_SERVICE, StaffRole.LEGAL)
RULE_MEDIATION, RULE_ARBITRATION = "MEDIATION", "ARBITRATION"


def _invalid(field, message, code):
    """A refusal about one input field (forms show it next to the field)."""
    return BusinessRuleError(message, code=code, details={field: message})


# --- who and what -------------------------------------------------------------------------------

def party_side(*, user, order) -> str:
    """The side ("buyer" | "seller") the user acts for on this order, with that side's permission.
    Another company's order is NotFound; a sub-account without the permission is NotAllowed."""
    membership = rules.ensure_member(user)
    if membership.company_id == order.buyer_id:
        side = BUYER
    elif membership.company_id == order.seller_id:
        side = SELLER
    else:
        raise NotFound(_("未找到该订单。"))
    rules.ensure_member_may(user, SIDE_PERMISSION[side])
    return side


def _other_company(order, side):
    return order.seller if side == BUYER else order.buyer


def _opener_side(dispute):
    return SELLER if dispute.opened_by_seller else BUYER


def dispute_refusal(*, order, now=None) -> str | None:
    """Why no dispute may be opened on this order now, in the member's words; None when one may."""
    now = now or timezone.now()
    if order.status in (S.AWAITING_APPROVAL, S.PENDING_PAYMENT):
        return _("订单尚未付款，不能发起纠纷。")
    if order.payment_method in Order.SETTLED_WITHOUT_MONEY:
        return _("易货或以货抵债的订单不退款项；如有问题，请在对应的易货方案或债务案件中处理。")
    if order.status == S.CANCELLED:
        return _("订单已取消，不能发起纠纷。")
    if order.status == S.REFUNDED:
        return _("订单已全额退款，不能发起纠纷。")
    if order.status == S.IN_DISPUTE:
        return _("该订单已有处理中的纠纷，请在原纠纷中补充证据。")
    if order.status == S.COMPLETED and (
            order.completed_at is None or now - order.completed_at > timedelta(days=DISPUTE_DAYS_AFTER_COMPLETION)):
        return _("订单完成已超过 %(days)s 天，不能再发起纠纷。") % {"days": DISPUTE_DAYS_AFTER_COMPLETION}
    if order.status not in DISPUTABLE and order.status != S.COMPLETED:
        return _("当前订单状态不能发起纠纷。")
    if not may_move(order, S.IN_DISPUTE):  # completed orders, while the transition table says so
        return _("订单状态为“%(status)s”，不能发起纠纷。") % {"status": order.get_status_display()}
    if order.disputes.filter(status__in=ACTIVE).exists():
        return _("该订单已有处理中的纠纷，请在原纠纷中补充证据。")
    if order.refunds.filter(status=Refund.Status.AWAITING_PAYOUT).exists():
        return _("该订单的退款已同意，正等待财务打款，无需发起纠纷。")
    if refundable_amount(order) <= ZERO:
        return _("该订单没有可退的已付款金额，不能发起纠纷。")
    return None


def _order_link(order, side):
    name = {BUYER: "member-orders:detail", SELLER: "merchant-orders:detail"}[side]
    try:
        return reverse(name, args=[order.number])
    except NoReverseMatch:  # the page is not mounted (a trimmed deployment): notify without a link
        return ""


def _notify(order, side, *, key, title, body):
    company = order.buyer if side == BUYER else order.seller
    notify_company(company, kind="order.dispute", key=key, title=title, body=body, link=_order_link(order, side),
                   permission=SIDE_PERMISSION[side])


def _notify_both(dispute, *, event, title, body):
    for side in (BUYER, SELLER):
        _notify(dispute.order, side, key=f"dispute:{dispute.pk}:{event}", title=title, body=body)


# --- facts --------------------------------------------------------------------------------------

FACT_LABELS = {
    "as_of": _("事实采集时间"),
    "order_number": _("订单号"),
    "order_status": _("发起时订单状态"),
    "kind": _("纠纷类型"),
    "opened_by_seller": _("卖家发起"),
    "claimed_amount": _("要求退款金额"),
    "amount_paid": _("已确认到账"),
    "amount_refunded": _("已退款金额"),
    "refundable": _("可退金额"),
    "paid_at": _("付款时间"),
    "days_since_payment": _("付款后天数"),
    "confirmed_payments": _("已确认的转账笔数"),
    "shipped": _("已发货"),
    "shipped_at": _("发货时间"),
    "waybills": _("运单"),
    "tracking_events": _("物流轨迹条数"),
    "last_movement_at": _("最后物流更新时间"),
    "last_movement": _("最后物流轨迹"),
    "days_without_movement": _("无物流更新天数"),
    "delivered": _("物流显示已送达"),
    "delivered_at": _("送达时间"),
    "received_at": _("签收时间"),
    "receipt_confirmed_by_buyer": _("买家本人确认签收"),
    "open_refund": _("处理中的退款"),
    "buyer_evidence": _("买家证据数"),
    "seller_evidence": _("卖家证据数"),
}


def _receipt_confirmed_by_buyer(order) -> bool:
    """Whether the last move to received was made by one of the buyer's own people (not the
    automatic confirmation after delivery, and not staff)."""
    event = (AuditEvent.objects.filter(subject_type=ContentType.objects.get_for_model(Order),
                                       subject_id=str(order.pk), action="order.status", after=S.RECEIVED)
             .order_by("-occurred_at", "-id").first())
    if event is None or event.actor_id is None:
        return False
    return Membership.objects.filter(user_id=event.actor_id, company_id=order.buyer_id).exists()


def dispute_facts(*, order, dispute, now=None) -> dict:
    """Everything the rules look at, from the records of the order (typed values: datetimes in
    local time, Decimals, ints, bools). `storable_facts` turns it into JSON for Dispute.facts."""
    now = timezone.localtime(now or timezone.now())
    deliveries = list(order.shipments.filter(direction=Shipment.Direction.DELIVERY))
    events = list(TrackingEvent.objects.filter(shipment__in=deliveries).order_by("occurred_at", "id"))
    last_event = events[-1] if events else None
    shipped_at = order.shipped_at or (min(s.created_at for s in deliveries) if deliveries else None)
    if last_event is not None:
        last_movement_at = last_event.occurred_at
    elif deliveries:
        last_movement_at = max(s.created_at for s in deliveries)
    else:
        last_movement_at = shipped_at
    delivered_times = [s.delivered_at for s in deliveries if s.delivered_at]
    delivered_times += [e.occurred_at for e in events if e.kind == TrackingEvent.Kind.DELIVERED]
    if order.delivered_at:
        delivered_times.append(order.delivered_at)
    open_refund = order.refunds.filter(status__in=Refund.OPEN).first()
    evidence = dispute.evidence.all() if dispute.pk else DisputeEvidence.objects.none()

    def local(value):
        return timezone.localtime(value) if value else None

    return {
        "as_of": now,
        "order_number": order.number,
        "order_status": order.resume_status if order.status == S.IN_DISPUTE else order.status,
        "kind": dispute.kind,
        "opened_by_seller": dispute.opened_by_seller,
        "claimed_amount": to_money(dispute.claimed_amount),
        "amount_paid": to_money(order.amount_paid),
        "amount_refunded": to_money(order.amount_refunded),
        "refundable": refundable_amount(order),
        "paid_at": local(order.paid_at),
        "days_since_payment": (now - order.paid_at).days if order.paid_at else None,
        "confirmed_payments": order.payments.filter(status="confirmed").count(),
        "shipped": bool(deliveries) or order.shipped_at is not None,
        "shipped_at": local(shipped_at),
        "waybills": "、".join(f"{s.carrier_name or s.get_carrier_display()} {s.waybill_number}"
                             for s in deliveries) or "—",
        "tracking_events": len(events),
        "last_movement_at": local(last_movement_at),
        "last_movement": (f"{last_event.location} {last_event.description}".strip() if last_event else ""),
        "days_without_movement": (now - last_movement_at).days if last_movement_at else None,
        "delivered": bool(delivered_times),
        "delivered_at": local(min(delivered_times)) if delivered_times else None,
        "received_at": local(order.received_at),
        "receipt_confirmed_by_buyer": order.received_at is not None and _receipt_confirmed_by_buyer(order),
        "open_refund": (f"{open_refund.get_status_display()} {format_cny(open_refund.amount)}"
                        if open_refund else ""),
        "buyer_evidence": sum(1 for item in evidence if not item.from_seller),
        "seller_evidence": sum(1 for item in evidence if item.from_seller),
    }


def storable_facts(facts) -> dict:
    """The facts as JSON: times as "YYYY-MM-DD HH:MM" (local), money as strings."""
    stored = {}
    for name, value in facts.items():
        if hasattr(value, "strftime"):
            value = value.strftime("%Y-%m-%d %H:%M")
        elif hasattr(value, "quantize"):
            value = str(value)
        stored[name] = value
    return stored


def facts_for_display(stored) -> list:
    """[(label, value)] in a fixed order, values in words (是/否, ¥, status labels)."""
    rows = []
    for name, label in FACT_LABELS.items():
        if name not in stored:
            continue
        value = stored[name]
        if isinstance(value, bool):
            value = _("是") if value else _("否")
        elif value is None or value == "":
            value = "—"
        elif name in ("claimed_amount", "amount_paid", "amount_refunded", "refundable"):
            value = format_cny(value)
        elif name == "order_status" and value in S.values:
            value = S(value).label
        elif name == "kind" and value in Dispute.Kind.values:
            value = Dispute.Kind(value).label
        rows.append((str(label), value))
    return rows


# --- selectors ----------------------------------------------------------------------------------

def disputes_for_company(*, company, sides=(BUYER, SELLER)):
    """Disputes on the company's orders, for the sides it may see, newest first."""
    condition = Q(pk__in=[])
    if BUYER in sides:
        condition |= Q(order__buyer=company)
    if SELLER in sides:
        condition |= Q(order__seller=company)
    return (Dispute.objects.filter(condition).select_related("order", "order__buyer", "order__seller")
            .prefetch_related("evidence").order_by("-opened_at", "-id"))


def dispute_for_party(*, user, dispute_id):
    """A dispute on one of the user's company's orders, with the user's side. NotFound otherwise."""
    dispute = Dispute.objects.select_related("order", "order__buyer", "order__seller").filter(pk=dispute_id).first()
    if dispute is None:
        raise NotFound(_("未找到该纠纷。"))
    return dispute, party_side(user=user, order=dispute.order)


def disputes_of_order(order):
    return order.disputes.select_related("opened_by", "mediator", "decided_by").prefetch_related(
        "evidence__uploaded_by").order_by("-opened_at", "-id")


def mediation_queue(*, status="", kind=""):
    """Disputes waiting for or in mediation, oldest first (the back-office queue)."""
    statuses = [status] if status in D.values else [D.OPEN, D.MEDIATION]
    disputes = Dispute.objects.filter(status__in=statuses).select_related(
        "order", "order__buyer", "order__seller", "mediator").order_by(
        tier_rank_expression("order__buyer").desc(), "opened_at", "id")
    if kind in Dispute.Kind.values:
        disputes = disputes.filter(kind=kind)
    return disputes


def mediation_queue_count():
    return Dispute.objects.filter(status__in=[D.OPEN, D.MEDIATION]).count()


def evidence_for(*, user, evidence_id):
    """An evidence file the user may read: staff, and the order's two parties (with their side's
    permission). None otherwise."""
    evidence = DisputeEvidence.objects.select_related("dispute__order").filter(pk=evidence_id).first()
    if evidence is None or not evidence.file:
        return None
    if has_staff_role(user):
        return evidence
    try:
        party_side(user=user, order=evidence.dispute.order)
    except (NotFound, NotAllowed):
        return None
    return evidence


def dispute_history(dispute):
    """Audit rows about the dispute (decisions, mediation notes, referral), oldest first."""
    return AuditEvent.objects.filter(
        subject_type=ContentType.objects.get_for_model(Dispute), subject_id=str(dispute.pk),
    ).order_by("occurred_at", "id")


def mediation_notes(dispute):
    return dispute_history(dispute).filter(action="dispute.note")


def _locked_dispute(dispute_id):
    """Lock the order, then the dispute (orders are always locked first, as refunds do)."""
    order_id = Dispute.objects.filter(pk=dispute_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(_("未找到该纠纷。"))
    Order.objects.select_for_update().filter(pk=order_id).first()
    return Dispute.objects.select_for_update().select_related("order", "order__buyer", "order__seller").get(
        pk=dispute_id)


# --- opening and evidence -----------------------------------------------------------------------

def _validated_uploads(uploads):
    types = []
    for upload in uploads:
        try:
            types.append(validate_document(upload))
        except ValidationError as error:
            raise BusinessRuleError(error.messages[0], code="evidence_invalid",
                                    details={"evidence": error.messages[0]}) from None
    return types


def _store_evidence(*, dispute, upload, content_type, note, by, from_seller):
    evidence = DisputeEvidence(dispute=dispute, original_name=(upload.name or "evidence")[:200],
                               content_type=content_type, note=(note or "").strip()[:300],
                               from_seller=from_seller, uploaded_by=by)
    evidence.file.save(upload.name or "evidence", upload, save=False)
    evidence.save()
    audit.record(actor=by, action="dispute.evidence", subject=dispute, company=dispute.order.buyer,
                 after=evidence.original_name, reason=evidence.note)
    return evidence


def _claimed_amount(value, refundable):
    if value in (None, ""):
        return refundable
    amount = parse_money(value, "claimed_amount")
    if amount <= ZERO:
        message = _("要求退款金额必须大于 0。")
    elif amount > refundable:
        message = _("要求退款金额不能超过可退金额 %(amount)s。") % {"amount": format_cny(refundable)}
    else:
        return amount
    raise BusinessRuleError(message, code="invalid_amount", details={"claimed_amount": message})


@transaction.atomic
def open_dispute(*, by, order_id, kind, claim, claimed_amount=None, evidence=(), now=None):
    """A party opens a dispute on an order (buyer: PURCHASING, seller: FULFILMENT).

    Only on a paid, shipped, received or refund-requested order (or one completed within 15 days),
    one active dispute per order, claiming at most what was paid and not yet refunded (default:
    all of it). The order moves to in_dispute, the other side is told, and the rules decide at
    once when the records settle it. Evidence files given here count for the rules (R3)."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("未找到该订单。"))
    side = party_side(user=by, order=order)
    refusal = dispute_refusal(order=order, now=now)
    if refusal:
        raise BusinessRuleError(refusal, code="dispute_not_allowed")
    if kind not in Dispute.Kind.values:
        raise _invalid("kind", _("请选择纠纷类型。"), "invalid_kind")
    claim = (claim or "").strip()
    if not claim:
        raise _invalid("claim", _("请说明纠纷的经过和诉求。"), "claim_required")
    if len(claim) > 3000:
        raise _invalid("claim", _("诉求说明不能超过 3000 字。"), "claim_too_long")
    amount = _claimed_amount(claimed_amount, refundable_amount(order))
    uploads = list(evidence or ())
    types = _validated_uploads(uploads)
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(order=order, kind=kind, claim=claim, claimed_amount=amount,
                                             opened_by=by, opened_by_seller=side == SELLER,
                                             opened_at=now or timezone.now())
    except IntegrityError:  # a concurrent request opened one first (dispute_one_open_per_order)
        raise Conflict(_("该订单已有处理中的纠纷，请在原纠纷中补充证据。"), code="dispute_exists") from None
    order_transition(order_id=order.pk, to=S.IN_DISPUTE, actor=by,
                     reason=_("发起纠纷：%(kind)s") % {"kind": dispute.get_kind_display()})
    audit.record(actor=by, action="dispute.open", subject=dispute, company=order.buyer, after=dispute.kind,
                 reason=claim, data={"claimed_amount": str(amount), "side": side})
    for upload, content_type in zip(uploads, types, strict=True):
        _store_evidence(dispute=dispute, upload=upload, content_type=content_type, note="", by=by,
                        from_seller=side == SELLER)
    other = SELLER if side == BUYER else BUYER
    _notify(order, other, key=f"dispute:{dispute.pk}:opened",
            title=_("订单 %(number)s 的%(side)s发起了交易纠纷") % {
                "number": order.number, "side": _("买家") if side == BUYER else _("卖家")},
            body=_("纠纷类型：%(kind)s；要求退款 %(amount)s。诉求：%(claim)s\n请在订单页提交您的证据。") % {
                "kind": dispute.get_kind_display(), "amount": format_cny(amount), "claim": claim[:200]})
    return adjudicate(dispute=dispute, now=now)


@transaction.atomic
def add_evidence(*, by, dispute_id, upload, note=""):
    """Either party adds a PDF/JPEG/PNG file (≤10 MB) while the dispute is open or in mediation."""
    dispute, side = dispute_for_party(user=by, dispute_id=dispute_id)
    dispute = _locked_dispute(dispute.pk)
    if dispute.status not in PARTY_ACTIVE:
        raise BusinessRuleError(_("纠纷已“%(status)s”，不能再提交证据。") % {"status": dispute.get_status_display()},
                                code="dispute_closed")
    if upload is None:
        raise _invalid("evidence", _("请选择证据文件。"), "evidence_required")
    (content_type,) = _validated_uploads([upload])
    evidence = _store_evidence(dispute=dispute, upload=upload, content_type=content_type, note=note, by=by,
                               from_seller=side == SELLER)
    other = SELLER if side == BUYER else BUYER
    _notify(dispute.order, other, key=f"dispute:{dispute.pk}:evidence:{evidence.pk}",
            title=_("订单 %(number)s 的纠纷有新证据") % {"number": dispute.order.number},
            body=_("对方提交了证据“%(name)s”。") % {"name": evidence.original_name})
    return evidence


@transaction.atomic
def withdraw_dispute(*, by, dispute_id):
    """The side that opened the dispute withdraws it while open or in mediation; the order goes
    back to where it was (refund_requested while a refund is still open)."""
    dispute, side = dispute_for_party(user=by, dispute_id=dispute_id)
    dispute = _locked_dispute(dispute.pk)
    if side != _opener_side(dispute):
        raise NotAllowed(_("只有发起纠纷的一方可以撤回纠纷。"), code="not_opener")
    if dispute.status not in PARTY_ACTIVE:
        raise BusinessRuleError(_("纠纷已“%(status)s”，不能撤回。") % {"status": dispute.get_status_display()},
                                code="dispute_closed")
    before = dispute.status
    dispute.status = D.WITHDRAWN
    dispute.decided_at = timezone.now()
    dispute.save(update_fields=["status", "decided_at"])
    audit.record(actor=by, action="dispute.withdraw", subject=dispute, company=dispute.order.buyer,
                 before=before, after=D.WITHDRAWN)
    _return_order(dispute.order, by=by, reason=_("纠纷已撤回"))
    other = SELLER if side == BUYER else BUYER
    _notify(dispute.order, other, key=f"dispute:{dispute.pk}:withdrawn",
            title=_("订单 %(number)s 的纠纷已撤回") % {"number": dispute.order.number},
            body=_("发起方撤回了纠纷，订单恢复正常流程。"))
    return dispute


# --- deciding -----------------------------------------------------------------------------------

def _return_order(order, *, by, reason):
    """Back to where the order was before the dispute: refund_requested while a refund is open
    (its own flow continues), else the remembered resume_status."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != S.IN_DISPUTE:
        return order
    target = S.REFUND_REQUESTED if order.refunds.filter(status__in=Refund.OPEN).exists() else order.resume_status
    return order_transition(order_id=order.pk, to=target, actor=by, reason=reason)


def _refund_reason(dispute, rule):
    if rule == RULE_MEDIATION:
        basis = _("调解")
    elif rule == RULE_ARBITRATION:
        basis = _("仲裁结果")
    else:
        basis = _("规则 %(rule)s") % {"rule": rule}
    return _("纠纷裁决 #%(id)s（%(basis)s）") % {"id": dispute.pk, "basis": basis}


def _apply_refund(dispute, *, order, amount, full, shipped, by):
    """The refund the decision awards, awaiting finance's payout; the order to refund_requested."""
    reason = _refund_reason(dispute, dispute.rule)
    refund = Refund.objects.select_for_update().filter(order=order, status__in=Refund.OPEN).first()
    if refund is not None:
        # The buyer's own refund request was stuck when the dispute began: the decision settles it.
        before = f"{refund.status} {refund.amount}"
        refund.status, refund.amount = Refund.Status.AWAITING_PAYOUT, amount
        refund.save(update_fields=["status", "amount"])
        audit.record(actor=by, action="refund.dispute_decision", subject=refund, company=order.buyer,
                     before=before, after=f"{refund.status} {amount}", reason=reason)
    else:
        refund = Refund.objects.create(order=order, status=Refund.Status.AWAITING_PAYOUT, amount=amount,
                                       reason=reason, needs_return=False, requested_by=by)
        audit.record(actor=by, action="refund.dispute_decision", subject=refund, company=order.buyer,
                     after=f"{refund.status} {amount}", reason=reason)
    order_transition(order_id=order.pk, to=S.REFUND_REQUESTED, actor=by, reason=reason)
    if full and not shipped:
        release_order_reservations(order=order, by=by, reason=reason)
    return refund


def _reject_open_refund(dispute, *, order, by):
    refund = Refund.objects.select_for_update().filter(order=order, status__in=Refund.OPEN).first()
    if refund is None:
        return
    reason = _refund_reason(dispute, dispute.rule)
    before = refund.status
    refund.status, refund.rejection_reason = Refund.Status.REJECTED, f"{reason}：{dispute.decision}"[:500]
    refund.save(update_fields=["status", "rejection_reason"])
    audit.record(actor=by, action="refund.dispute_decision", subject=refund, company=order.buyer, before=before,
                 after=refund.status, reason=reason)


def _decide(dispute, *, outcome, refund_amount, rule, text, facts, by):
    """Store the decision on the locked dispute and carry it out on the order."""
    order = Order.objects.select_for_update().get(pk=dispute.order_id)
    before = dispute.status
    dispute.status, dispute.outcome, dispute.rule, dispute.decision = D.DECIDED, outcome, rule, text
    dispute.refund_amount = refund_amount
    dispute.facts = storable_facts(facts)
    dispute.decided_by = by if by is not None and by.pk else None
    dispute.decided_at = timezone.now()
    dispute.save(update_fields=["status", "outcome", "rule", "decision", "refund_amount", "facts", "decided_by",
                                "decided_at"])
    audit.record(actor=by, action="dispute.decide", subject=dispute, company=order.buyer, before=before,
                 after=outcome, reason=text,
                 data={"rule": rule, "refund_amount": str(refund_amount) if refund_amount is not None else None})
    if outcome == Dispute.Outcome.NO_REFUND:
        _reject_open_refund(dispute, order=order, by=by)
        _return_order(order, by=by, reason=text[:300])
    else:
        _apply_refund(dispute, order=order, amount=refund_amount, full=outcome == Dispute.Outcome.FULL_REFUND,
                      shipped=facts["shipped"], by=by)
    _notify_both(dispute, event=f"decided:{rule}",
                 title=_("订单 %(number)s 的纠纷已裁决：%(outcome)s") % {
                     "number": order.number, "outcome": dispute.get_outcome_display()},
                 body=text)
    return dispute


@transaction.atomic
def adjudicate(*, dispute, now=None):
    """Let the rules decide an open dispute from the facts. When none applies the dispute stays
    open in the mediators' queue (with the facts stored for them). Deciding twice does nothing."""
    dispute = _locked_dispute(dispute.pk)
    if dispute.status != D.OPEN or dispute.outcome:
        return dispute
    facts = dispute_facts(order=dispute.order, dispute=dispute, now=now)
    decision = dispute_rules.decide(facts)
    if decision is None:
        dispute.facts = storable_facts(facts)
        dispute.save(update_fields=["facts"])
        audit.record(actor=None, action="dispute.to_mediation", subject=dispute, company=dispute.order.buyer,
                     after=D.OPEN, reason=_("没有适用的自动裁决规则，转平台调解员处理。"))
        _notify_both(dispute, event="to-mediation",
                     title=_("订单 %(number)s 的纠纷已转人工调解") % {"number": dispute.order.number},
                     body=_("纠纷无法按规则自动裁决，平台调解员将查看双方证据后处理。请尽快上传证据。"))
        return dispute
    return _decide(dispute, outcome=decision.outcome, refund_amount=decision.refund_amount, rule=decision.rule,
                   text=decision.explanation, facts=facts, by=None)


def _ensure_staff(by, roles):
    if not has_staff_role(by, *roles):
        raise NotAllowed(_("只有平台%(roles)s可以处理纠纷。") % {
            "roles": "、".join(str(StaffRole(role).label) for role in roles)}, code="not_mediator")


@transaction.atomic
def assign_mediator(*, by, dispute_id, mediator=None):
    """A customer-service mediator takes the case (or hands it to a colleague): open → mediation."""
    _ensure_staff(by, MEDIATOR_ROLES)
    mediator = mediator or by
    _ensure_staff(mediator, MEDIATOR_ROLES)
    dispute = _locked_dispute(dispute_id)
    if dispute.status not in PARTY_ACTIVE:
        raise BusinessRuleError(_("纠纷已“%(status)s”，不能再分配调解员。") % {"status": dispute.get_status_display()},
                                code="dispute_closed")
    before = dispute.mediator.display_name if dispute.mediator else ""
    first = dispute.status == D.OPEN
    dispute.mediator, dispute.status = mediator, D.MEDIATION
    dispute.save(update_fields=["mediator", "status"])
    audit.record(actor=by, action="dispute.assign", subject=dispute, company=dispute.order.buyer, before=before,
                 after=mediator.display_name)
    if first:
        _notify_both(dispute, event="mediation",
                     title=_("订单 %(number)s 的纠纷已由平台调解员受理") % {"number": dispute.order.number},
                     body=_("调解员将根据订单记录和双方证据处理，如有补充证据请尽快上传。"))
    return dispute


@transaction.atomic
def add_mediation_note(*, by, dispute_id, body):
    """A mediator's (or legal's) note on the case; it goes into the arbitration dossier."""
    _ensure_staff(by, ARBITRATION_ROLES)
    dispute = _locked_dispute(dispute_id)
    body = (body or "").strip()
    if not body:
        raise _invalid("body", _("请填写调解记录。"), "note_required")
    return audit.record(actor=by, action="dispute.note", subject=dispute, company=dispute.order.buyer,
                        reason=body[:3000])


@transaction.atomic
def mediate(*, by, dispute_id, outcome, refund_amount=None, explanation):
    """The mediator decides: full refund, partial refund (0 < amount ≤ refundable) or none, with
    an explanation the parties see. On a dispute in arbitration, customer service or legal record
    the arbitration award the same way."""
    dispute = _locked_dispute(dispute_id)
    arbitration = dispute.status == D.ARBITRATION
    _ensure_staff(by, ARBITRATION_ROLES if arbitration else MEDIATOR_ROLES)
    if dispute.status not in (D.OPEN, D.MEDIATION, D.ARBITRATION):
        raise BusinessRuleError(_("纠纷已“%(status)s”，不能再裁决。") % {"status": dispute.get_status_display()},
                                code="dispute_closed")
    explanation = (explanation or "").strip()
    if not explanation:
        raise _invalid("explanation", _("请填写裁决理由，双方都会看到。"), "explanation_required")
    order = Order.objects.select_for_update().get(pk=dispute.order_id)
    refundable = refundable_amount(order)
    if outcome == Dispute.Outcome.FULL_REFUND:
        amount = refundable
        if amount <= ZERO:
            raise BusinessRuleError(_("该订单没有可退金额。"), code="nothing_refundable")
    elif outcome == Dispute.Outcome.PARTIAL_REFUND:
        amount = _decided_amount(refund_amount, refundable)
    elif outcome == Dispute.Outcome.NO_REFUND:
        amount = None
    else:
        raise _invalid("outcome", _("请选择裁决结果。"), "invalid_outcome")
    if dispute.mediator_id is None and not arbitration:
        dispute.mediator = by
        dispute.save(update_fields=["mediator"])
    rule = RULE_ARBITRATION if arbitration else RULE_MEDIATION
    result = str(Dispute.Outcome(outcome).label) + (f" {format_cny(amount)}" if amount is not None else "")
    text = (_("仲裁结果（由%(who)s录入）：%(explanation)s → %(result)s") if arbitration
            else _("平台调解（调解员 %(who)s）：%(explanation)s → %(result)s")) % {
        "who": by.display_name, "explanation": explanation, "result": result}
    facts = dispute_facts(order=order, dispute=dispute)
    return _decide(dispute, outcome=outcome, refund_amount=amount, rule=rule, text=text, facts=facts, by=by)


def _decided_amount(value, refundable):
    try:
        amount = parse_money(value, "refund_amount")
    except BusinessRuleError:
        amount = None
    if amount is None or amount <= ZERO or amount > refundable:
        message = _("部分退款金额须大于 0 且不超过可退金额 %(amount)s。") % {"amount": format_cny(refundable)}
        raise BusinessRuleError(message, code="invalid_amount", details={"refund_amount": message})
    return amount


@transaction.atomic
def refer_to_arbitration(*, by, dispute_id, note):
    """Mediation failed: customer service or legal refer the case to arbitration with a note; the
    order stays in dispute and the dossier PDF becomes available."""
    _ensure_staff(by, ARBITRATION_ROLES)
    dispute = _locked_dispute(dispute_id)
    if dispute.status not in PARTY_ACTIVE:
        raise BusinessRuleError(_("纠纷已“%(status)s”，不能移交仲裁。") % {"status": dispute.get_status_display()},
                                code="dispute_closed")
    note = (note or "").strip()
    if not note:
        raise _invalid("note", _("请说明移交仲裁的原因。"), "note_required")
    before = dispute.status
    dispute.status, dispute.referred_at = D.ARBITRATION, timezone.now()
    dispute.save(update_fields=["status", "referred_at"])
    audit.record(actor=by, action="dispute.refer", subject=dispute, company=dispute.order.buyer, before=before,
                 after=D.ARBITRATION, reason=note[:3000])
    _notify_both(dispute, event="arbitration",
                 title=_("订单 %(number)s 的纠纷已移交仲裁") % {"number": dispute.order.number},
                 body=_("调解未能解决纠纷，平台已将案件材料移交仲裁。说明：%(note)s") % {"note": note[:300]})
    return dispute


# --- the dossier --------------------------------------------------------------------------------

def dossier_context(dispute):
    """Everything an arbitrator needs, from the records (see templates/orders/pdf/dispute_dossier.html)."""
    from core.selectors import audit_events_for

    order = dispute.order
    shipments = list(order.shipments.prefetch_related("events").order_by("created_at", "id"))
    order_history = list(audit_events_for(order).order_by("occurred_at", "id"))
    for event in order_history:  # status codes in words
        event.before = S(event.before).label if event.before in S.values else event.before
        event.after = S(event.after).label if event.after in S.values else event.after
    return {
        "dispute": dispute,
        "order": order,
        "lines": list(order.lines.all()),
        "payments": list(order.payments.all()),
        "shipments": shipments,
        "messages": list(order.messages.select_related("author")),
        "refunds": list(order.refunds.order_by("requested_at", "id")),
        "evidence": list(dispute.evidence.select_related("uploaded_by")),
        "facts": facts_for_display(dispute.facts or {}),
        "notes": list(mediation_notes(dispute)),
        "dispute_history": list(dispute_history(dispute)),
        "order_history": order_history,
        "generated_at": timezone.localtime(),
    }


def dispute_dossier(*, by, dispute_id) -> bytes:
    """The arbitration dossier as PDF, for customer service and legal, once the case is referred."""
    from orders.documents import render_pdf

    _ensure_staff(by, ARBITRATION_ROLES)
    dispute = Dispute.objects.select_related("order", "order__buyer", "order__seller", "opened_by", "mediator",
                                             "decided_by").filter(pk=dispute_id).first()
    if dispute is None:
        raise NotFound(_("未找到该纠纷。"))
    if dispute.referred_at is None:
        raise BusinessRuleError(_("纠纷移交仲裁后才能导出仲裁材料。"), code="not_referred")
    return render_pdf("orders/pdf/dispute_dossier.html", dossier_context(dispute))


# --- the order page's panel ---------------------------------------------------------------------

def panel_state(*, order, side, user) -> dict:
    """What the dispute panel of an order page shows to `side` ("buyer" | "seller" | "staff")."""
    rows = [{"dispute": dispute, "facts": facts_for_display(dispute.facts or {}),
             "evidence": list(dispute.evidence.all())} for dispute in disputes_of_order(order)]
    active = next((row["dispute"] for row in rows if row["dispute"].status in ACTIVE), None)
    membership = getattr(user, "membership", None)
    may_act = side in SIDE_PERMISSION and membership is not None and membership.allows(SIDE_PERMISSION[side])
    refusal = dispute_refusal(order=order) if may_act else None
    return {
        "rows": rows, "active": active, "may_act": may_act,
        "can_open": may_act and refusal is None,
        "may_add_evidence": may_act and active is not None and active.status in PARTY_ACTIVE,
        "may_withdraw": may_act and active is not None and active.status in PARTY_ACTIVE
        and _opener_side(active) == side,
        "refundable": refundable_amount(order), "kinds": Dispute.Kind.choices,
    }
