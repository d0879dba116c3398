import itertools

import pytest

from core.errors import InvalidTransition
from core.models import AuditEvent
from orders.models import Order
from orders.states import TRANSITIONS, order_transition
from tests import factories

pytestmark = pytest.mark.django_db
ALL_PAIRS = list(itertools.product(Order.Status.values, Order.Status.values))


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_only_transitions_in_the_table_are_possible(buyer, seller, current, target):
    order = factories.order(buyer=buyer, seller=seller, status=current)
    actor = factories.main_user_of(buyer)
    if target in TRANSITIONS[current]:
        order_transition(order_id=order.pk, to=target, actor=actor)
        order.refresh_from_db()
        assert order.status == target
        assert AuditEvent.objects.filter(subject_id=str(order.pk), before=current, after=target).exists()
    else:
        with pytest.raises(InvalidTransition):
            order_transition(order_id=order.pk, to=target, actor=actor)
        order.refresh_from_db()
        assert order.status == current
