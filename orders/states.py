"""The order lifecycle as a table: status → statuses it may move to (SPEC §3).

The orders issue adds the services that drive each move (payment confirmation, shipping,
receipt, refunds); every move goes through `order_transition`.
"""

from django.db import transaction
from django.utils import timezone

from core import audit
from core.errors import InvalidTransition
from orders.models import Order

S = Order.Status

TRANSITIONS = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
    S.PAID: {S.SHIPPED, S.REFUND_REQUESTED},
    S.SHIPPED: {S.RECEIVED, S.REFUND_REQUESTED},
    S.RECEIVED: {S.COMPLETED},
    S.REFUND_REQUESTED: {S.REFUNDED, S.PAID, S.SHIPPED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
    S.REFUNDED: set(),
}

TIMESTAMPS = {S.PAID: "paid_at", S.COMPLETED: "completed_at"}


@transaction.atomic
def order_transition(*, order_id, to, actor, reason="", at=None):
    """Move an order to `to` if the table allows it; record who, when, from and to."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if to not in TRANSITIONS[order.status]:
        raise InvalidTransition(order.status, to, label=lambda value: S(value).label)
    previous, order.status = order.status, to
    fields = ["status", "updated_at"]
    if to in TIMESTAMPS:
        setattr(order, TIMESTAMPS[to], at or timezone.now())
        fields.append(TIMESTAMPS[to])
    order.save(update_fields=fields)
    audit.record(actor=actor, action="order.status", subject=order, company=order.buyer, before=previous,
                 after=to, reason=reason)
    return order
