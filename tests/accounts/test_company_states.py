import itertools

import pytest

from accounts.models import Company
from accounts.states import TRANSITIONS, company_transition
from core.errors import InvalidTransition
from tests import factories

pytestmark = pytest.mark.django_db
S = Company.Status


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S.values, S.values)))
def test_only_transitions_in_the_table_are_possible(current, target):
    company = factories.company(status=current)
    actor = factories.staff_user("reviewer")
    if target in TRANSITIONS[current]:
        company_transition(company_id=company.pk, to=target, actor=actor, reason="测试")
        company.refresh_from_db()
        assert company.status == target
        assert company.audit_events.filter(action="company.status", before=current, after=target,
                                           actor=actor).exists()
    else:
        with pytest.raises(InvalidTransition):
            company_transition(company_id=company.pk, to=target, actor=actor)
        company.refresh_from_db()
        assert company.status == current
