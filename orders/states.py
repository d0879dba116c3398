"""The order lifecycle as a table: status → statuses it may move to (SPEC §3).

Every move goes through `order_transition`, which locks the order, checks the table, stamps the
matching time field and writes the audit row (who, when, from, to) in the same transaction.
A refund or dispute that ends without a refund returns the order to `resume_status`.
"""

from django.db import transaction
from django.utils import timezone

from core import audit, webhooks
from core.errors import InvalidTransition
from orders.models import Order

S = Order.Status

TRANSITIONS = {
    S.AWAITING_APPROVAL: {S.PENDING_PAYMENT, S.CANCELLED},
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
    S.PAID: {S.SHIPPED, S.REFUND_REQUESTED, S.IN_DISPUTE},
    S.SHIPPED: {S.RECEIVED, S.REFUND_REQUESTED, S.IN_DISPUTE},
    S.RECEIVED: {S.COMPLETED, S.IN_DISPUTE},
    # Back to where the order was when a refund ends without refunding everything.
    S.REFUND_REQUESTED: {S.REFUNDED, S.PAID, S.SHIPPED, S.RECEIVED, S.COMPLETED, S.IN_DISPUTE},
    S.IN_DISPUTE: {S.REFUND_REQUESTED, S.REFUNDED, S.PAID, S.SHIPPED, S.RECEIVED, S.COMPLETED},
    S.COMPLETED: {S.IN_DISPUTE},  # within the after-sales window (orders.disputes)
    S.CANCELLED: set(),
    S.REFUNDED: set(),
}

TIMESTAMPS = {S.PAID: "paid_at", S.SHIPPED: "shipped_at", S.RECEIVED: "received_at",
              S.COMPLETED: "completed_at", S.CANCELLED: "cancelled_at"}

# Moving into these remembers where the order was, so it can go back there.
INTERRUPTIONS = {S.REFUND_REQUESTED, S.IN_DISPUTE}
# Going back to these after an interruption keeps their original time stamp.
RESUMABLE = {S.PAID, S.SHIPPED, S.RECEIVED, S.COMPLETED}


def may_move(order, to) -> bool:
    return to in TRANSITIONS[order.status]


@transaction.atomic
def order_transition(*, order_id, to, actor, reason="", at=None):
    """Move an order to `to` if the table allows it; record who, when, from and to."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if to not in TRANSITIONS[order.status]:
        raise InvalidTransition(order.status, to, label=lambda value: S(value).label)
    previous, order.status = order.status, to
    fields = ["status", "updated_at"]
    if to in TIMESTAMPS and not (previous in INTERRUPTIONS and to in RESUMABLE):
        setattr(order, TIMESTAMPS[to], at or timezone.now())
        fields.append(TIMESTAMPS[to])
    if to in INTERRUPTIONS and previous not in INTERRUPTIONS:
        order.resume_status = previous
        fields.append("resume_status")
    order.save(update_fields=fields)
    audit.record(actor=actor, action="order.status", subject=order, company=order.buyer, before=previous,
                 after=to, reason=reason)
    # An order waiting for the buyer's own approval is not the seller's yet, nor is its rejection.
    seller_sees = previous != S.AWAITING_APPROVAL or to != S.CANCELLED
    webhooks.emit("order.status_changed", [order.buyer_id, order.seller_id] if seller_sees else [order.buyer_id], {
        "order": order.number, "from": previous, "to": to, "buyer": order.buyer_id, "seller": order.seller_id})
    return order
