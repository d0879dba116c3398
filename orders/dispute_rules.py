"""The rules that decide simple disputes (交易纠纷) from the records alone.

Each rule is a small function over the FACTS of one dispute (a plain dict built by
`orders.disputes.dispute_facts` from the order, its payments, shipments, tracking events, refunds and
the evidence) and returns a `Decision` or None when it does not apply. The first rule that applies
decides; when none does, the dispute goes to a mediator. No database access here, so each rule can
be read (and tested) as the sentence it is.

Every decision text names the rule and the facts it used, so both sides can see why.

What the rules deliberately do NOT do:
- They only decide disputes the buyer opened; a seller's dispute always goes to a mediator.
- They never award more than the buyer claimed (the claim defaults to everything refundable).
- R3 rejects a claim automatically only when nothing in the records speaks for the buyer: the
  carrier shows the goods delivered, the buyer's own account confirmed receipt (not the automatic
  confirmation after N days), and the buyer uploaded no evidence. Any buyer evidence (for example
  a photo of a waybill signed by a stranger) sends the case to a mediator instead, and the
  rejection text tells the buyer so: they may open the dispute again with evidence.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from core.money import format_cny

NOT_SHIPPED_DAYS = 7  # R1: the seller has this many days after payment to ship
STALE_TRACKING_DAYS = 7  # R2: this many days without a tracking event counts as lost

FULL_REFUND = "full_refund"
PARTIAL_REFUND = "partial_refund"
NO_REFUND = "no_refund"


@dataclass(frozen=True)
class Decision:
    outcome: str  # one of Dispute.Outcome
    refund_amount: Decimal | None
    rule: str  # "R1_NOT_SHIPPED" …
    explanation: str


def _day(value):
    return value.strftime("%Y-%m-%d") if value else "—"


def _refund_of_claim(facts):
    """The claim, capped at what is still refundable; full when it is all of it."""
    amount = min(facts["claimed_amount"], facts["refundable"])
    outcome = FULL_REFUND if amount == facts["refundable"] else PARTIAL_REFUND
    return outcome, amount


def _refund_words(outcome, amount):
    label = _("全额退款") if outcome == FULL_REFUND else _("部分退款")
    return f"{label} {format_cny(amount)}"


def _buyer_claims(facts, *kinds):
    return not facts["opened_by_seller"] and facts["kind"] in kinds and facts["refundable"] > 0


def r1_not_shipped(facts):
    """R1 付款后未发货: paid, nothing shipped, more than 7 days since payment → refund the claim."""
    if not _buyer_claims(facts, "not_shipped", "not_received"):
        return None
    if facts["paid_at"] is None or facts["shipped"] or facts["days_since_payment"] <= NOT_SHIPPED_DAYS:
        return None
    outcome, amount = _refund_of_claim(facts)
    return Decision(outcome, amount, "R1_NOT_SHIPPED", _(
        "规则 R1（付款后未发货）：订单 %(number)s 于 %(paid)s 付款（已确认到账 %(paid_amount)s），至今 %(days)s 天"
        "仍无发货记录，超过 %(limit)s 天的发货期限 → %(refund)s。"
    ) % {"number": facts["order_number"], "paid": _day(facts["paid_at"]), "paid_amount": format_cny(
        facts["amount_paid"]), "days": facts["days_since_payment"], "limit": NOT_SHIPPED_DAYS,
        "refund": _refund_words(outcome, amount)})


def r2_no_tracking_movement(facts):
    """R2 物流无更新: not received, shipped, not delivered, no tracking event for ≥ 7 days → refund."""
    if not _buyer_claims(facts, "not_received"):
        return None
    if not facts["shipped"] or facts["delivered"] or facts["last_movement_at"] is None:
        return None
    if facts["days_without_movement"] < STALE_TRACKING_DAYS:
        return None
    outcome, amount = _refund_of_claim(facts)
    if facts["tracking_events"]:
        movement = _("最后一条物流轨迹为 %(day)s“%(text)s”，此后 %(days)s 天无物流更新") % {
            "day": _day(facts["last_movement_at"]), "text": facts["last_movement"],
            "days": facts["days_without_movement"]}
    else:
        movement = _("自 %(day)s 发货起 %(days)s 天没有任何物流轨迹") % {
            "day": _day(facts["last_movement_at"]), "days": facts["days_without_movement"]}
    return Decision(outcome, amount, "R2_NO_TRACKING_MOVEMENT", _(
        "规则 R2（物流无更新）：运单 %(waybill)s %(movement)s（不少于 %(limit)s 天），且未显示签收 → %(refund)s。"
    ) % {"waybill": facts["waybills"], "movement": movement, "limit": STALE_TRACKING_DAYS,
         "refund": _refund_words(outcome, amount)})


def r3_delivered_and_signed(facts):
    """R3 已送达并签收: not received, but the carrier shows delivery and the buyer confirmed receipt
    themselves, and the buyer gave no evidence → the claim is rejected (see the module docstring)."""
    if facts["opened_by_seller"] or facts["kind"] != "not_received":
        return None
    if not (facts["delivered"] and facts["receipt_confirmed_by_buyer"]) or facts["buyer_evidence"] > 0:
        return None
    return Decision(NO_REFUND, None, "R3_DELIVERED_AND_SIGNED", _(
        "规则 R3（已送达并签收）：运单 %(waybill)s 于 %(delivered)s 显示已送达，买家账号于 %(received)s 确认签收，"
        "且买家未提交任何证据 → 驳回，不退款。如有证据（例如签收人并非本企业人员），可上传证据重新发起纠纷，"
        "将由平台调解员处理。"
    ) % {"waybill": facts["waybills"], "delivered": _day(facts["delivered_at"]),
         "received": _day(facts["received_at"])})


RULES = (r1_not_shipped, r2_no_tracking_movement, r3_delivered_and_signed)


def decide(facts) -> Decision | None:
    """The first rule that applies, or None: the dispute then goes to a mediator."""
    for rule in RULES:
        decision = rule(facts)
        if decision is not None:
            return decision
    return None
