import itertools

import pytest

from core.errors import InvalidTransition
from core.models import AuditEvent
from orders.models import Order
from orders.states import TRANSITIONS, order_transition
from tests import factories

pytestmark = pytest.mark.django_db
ALL_PAIRS = list(itertools.product(Order.Status.values, Order.Status.values))

# The lifecycle written out again, so a change to orders.states.TRANSITIONS has to be made twice.
EXPECTED = {
    "awaiting_approval": {"pending_payment", "cancelled"},
    "pending_payment": {"paid", "cancelled"},
    "paid": {"shipped", "refund_requested", "in_dispute"},
    "shipped": {"received", "refund_requested", "in_dispute"},
    "received": {"completed", "in_dispute"},
    "completed": {"in_dispute"},
    "refund_requested": {"refunded", "paid", "shipped", "received", "completed", "in_dispute"},
    "in_dispute": {"refund_requested", "refunded", "paid", "shipped", "received", "completed"},
    "cancelled": set(),
    "refunded": set(),
}


def test_the_lifecycle_is_the_one_the_product_describes():
    assert {str(status): {str(to) for to in targets} for status, targets in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_only_transitions_in_the_table_are_possible(buyer, seller, current, target):
    order = factories.order(buyer=buyer, seller=seller, status=current)
    actor = factories.main_user_of(buyer)
    if target in EXPECTED[current]:
        order_transition(order_id=order.pk, to=target, actor=actor)
        order.refresh_from_db()
        assert order.status == target
        assert AuditEvent.objects.filter(subject_id=str(order.pk), before=current, after=target).exists()
    else:
        with pytest.raises(InvalidTransition):
            order_transition(order_id=order.pk, to=target, actor=actor)
        order.refresh_from_db()
        assert order.status == current


def test_the_order_history_reads_in_words_not_codes(buyer, seller, client):
    from django.urls import reverse

    order = factories.order(buyer=buyer, seller=seller, status="pending_payment")
    buyer_user = factories.main_user_of(buyer)
    order_transition(order_id=order.pk, to="paid", actor=buyer_user, reason="到账")
    client.force_login(buyer_user)

    page = client.get(reverse("member-orders:detail", args=[order.number])).content.decode()

    assert "订单状态" in page and "待付款" in page and "已付款" in page
    assert ">pending_payment<" not in page and ">order.status<" not in page
