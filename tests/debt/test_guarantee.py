"""The platform's guarantee (担保): proposed in plan design, active in execution, released when
the case is resolved, called when the debtor defaults."""

from decimal import Decimal

import pytest

from core.errors import BusinessRuleError, Conflict, NotAllowed
from debt import cases
from debt.models import Guarantee
from tests import factories
from tests.debt.case_helpers import claim_of, legal, main, submit, to_execution, to_plan_design

G = Guarantee.Status


@pytest.fixture
def setup(db):
    applicant = factories.company(name="浙江申请纸业有限公司")
    debtor = factories.company(name="江苏欠款印刷有限公司")
    staff = legal()
    case = to_plan_design(submit(applicant, debtor, amount="200000.00"), staff)
    return applicant, debtor, staff, case


def test_fee_is_the_rate_of_the_limit(setup):
    _applicant, _debtor, staff, case = setup
    guarantee = cases.propose_guarantee(by=staff, case_id=case.pk, limit="150000", fee_rate="1.5",
                                        claim_id=claim_of(case).pk)
    assert (guarantee.limit, guarantee.fee_rate, guarantee.fee, guarantee.status) == (
        Decimal("150000.00"), Decimal("1.500"), Decimal("2250.00"), G.PROPOSED)


@pytest.mark.parametrize(("limit", "rate", "code"), [
    ("0", "1", "invalid_amount"), ("abc", "1", "invalid_amount"), ("1000", "-1", "invalid_fee_rate"),
    ("1000", "101", "invalid_fee_rate"), ("1000", "x", "invalid_fee_rate"), ("200000.01", "1", "limit_too_high"),
])
def test_bad_guarantee_terms_are_refused(setup, limit, rate, code):
    _applicant, _debtor, staff, case = setup
    with pytest.raises(BusinessRuleError) as refusal:
        cases.propose_guarantee(by=staff, case_id=case.pk, limit=limit, fee_rate=rate, claim_id=claim_of(case).pk)
    assert refusal.value.code == code


def test_only_legal_staff_propose_and_only_in_plan_design(setup):
    applicant, _debtor, staff, case = setup
    with pytest.raises(NotAllowed):
        cases.propose_guarantee(by=main(applicant), case_id=case.pk, limit="1000", fee_rate="1")
    cases.update_plan(by=staff, case_id=case.pk, plan_text="平台担保")
    cases.advance_case(by=staff, case_id=case.pk)
    with pytest.raises(Conflict):
        cases.propose_guarantee(by=staff, case_id=case.pk, limit="1000", fee_rate="1")


def test_guarantee_becomes_active_in_execution_and_released_on_resolution(setup):
    applicant, debtor, staff, case = setup
    guarantee = cases.propose_guarantee(by=staff, case_id=case.pk, limit="100000", fee_rate="2")
    to_execution(case, staff, [applicant, debtor])
    guarantee.refresh_from_db()
    assert guarantee.status == G.ACTIVE and guarantee.activated_at is not None
    cases.advance_case(by=staff, case_id=case.pk)
    cases.advance_case(by=staff, case_id=case.pk)
    guarantee.refresh_from_db()
    assert guarantee.status == G.RELEASED and guarantee.ended_at is not None
    history = [(e.before, e.after) for e in cases.case_history(case).filter(action="debt.guarantee.status")]
    assert history == [("proposed", "active"), ("active", "released")]


def test_called_guarantee_records_the_amount(setup):
    applicant, debtor, staff, case = setup
    guarantee = cases.propose_guarantee(by=staff, case_id=case.pk, limit="100000", fee_rate="2")
    with pytest.raises(Conflict):  # not active yet
        cases.call_guarantee(by=staff, guarantee_id=guarantee.pk, amount="1000", reason="违约")
    to_execution(case, staff, [applicant, debtor])
    with pytest.raises(BusinessRuleError) as refusal:
        cases.call_guarantee(by=staff, guarantee_id=guarantee.pk, amount="100000.01", reason="违约")
    assert refusal.value.code == "over_limit"
    with pytest.raises(BusinessRuleError):
        cases.call_guarantee(by=staff, guarantee_id=guarantee.pk, amount="1000", reason="")
    with pytest.raises(NotAllowed):
        cases.call_guarantee(by=main(applicant), guarantee_id=guarantee.pk, amount="1000", reason="违约")
    cases.call_guarantee(by=staff, guarantee_id=guarantee.pk, amount="80000", reason="债务人第 2 期起未还款")
    guarantee.refresh_from_db()
    assert (guarantee.status, guarantee.called_amount) == (G.CALLED, Decimal("80000.00"))
    with pytest.raises(Conflict):
        cases.call_guarantee(by=staff, guarantee_id=guarantee.pk, amount="1", reason="再次")
    assert cases.case_history(case).filter(action="debt.guarantee.call", after="80000.00").exists()


def test_proposed_guarantee_can_be_cancelled_in_design_and_is_cancelled_by_withdrawal(setup):
    applicant, _debtor, staff, case = setup
    first = cases.propose_guarantee(by=staff, case_id=case.pk, limit="1000", fee_rate="1")
    version = type(case).objects.get(pk=case.pk).plan_version
    cases.cancel_guarantee(by=staff, guarantee_id=first.pk)
    first.refresh_from_db()
    assert first.status == G.CANCELLED
    assert type(case).objects.get(pk=case.pk).plan_version == version + 1
    second = cases.propose_guarantee(by=staff, case_id=case.pk, limit="1000", fee_rate="1")
    cases.withdraw_case(by=main(applicant), case_id=case.pk)
    second.refresh_from_db()
    assert second.status == G.CANCELLED
