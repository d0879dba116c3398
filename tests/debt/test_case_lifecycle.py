"""The debt case lifecycle: the stage table, submission, taking, negotiation, withdrawal, and
every refusal on the way."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Company
from core.errors import BusinessRuleError, Conflict, InvalidTransition, NotAllowed, NotFound
from core.models import AuditEvent
from core.permissions import CompanyPermission
from core.workdays import working_deadline
from debt import case_states, cases
from debt.models import CaseClaim, DebtCase, PlanDecision
from tests import factories
from tests.debt.case_helpers import legal, main, submit, to_execution, to_negotiation, to_plan_design

S = DebtCase.Stage

ALLOWED = {
    ("submitted", "assessment"), ("submitted", "closed_failed"), ("submitted", "withdrawn"),
    ("assessment", "plan_design"), ("assessment", "closed_failed"), ("assessment", "withdrawn"),
    ("plan_design", "negotiation"), ("plan_design", "closed_failed"), ("plan_design", "withdrawn"),
    ("negotiation", "plan_design"), ("negotiation", "execution"), ("negotiation", "closed_failed"),
    ("negotiation", "withdrawn"),
    ("execution", "monitoring"), ("execution", "closed_failed"),
    ("monitoring", "closed_resolved"), ("monitoring", "closed_failed"),
}
ALL_PAIRS = [(a, b) for a in S.values for b in S.values]


@pytest.fixture
def applicant(db):
    return factories.company(name="浙江申请纸业有限公司")


@pytest.fixture
def debtor(db):
    return factories.company(name="江苏欠款印刷有限公司")


@pytest.fixture
def staff(db):
    return legal()


def _bare_case(applicant, stage):
    return DebtCase.objects.create(number=f"DR-T-{stage}", applicant=applicant, desired_outcome="other",
                                   description="测试", stage=stage)


def test_the_table_is_exactly_the_allowed_pairs():
    table = {(a, b) for a, targets in case_states.TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_every_pair_is_allowed_or_refused_by_the_table(applicant, staff, current, target):
    case = _bare_case(applicant, current)
    if (current, target) in ALLOWED:
        moved = case_states.case_transition(case_id=case.pk, to=target, actor=staff, reason="测试")
        assert moved.stage == target
        event = AuditEvent.objects.get(action="debt.case.stage", subject_id=str(case.pk))
        assert (event.before, event.after, event.actor_id) == (current, target, staff.pk)
    else:
        with pytest.raises(InvalidTransition):
            case_states.case_transition(case_id=case.pk, to=target, actor=staff)
        case.refresh_from_db()
        assert case.stage == current


def test_submission_records_claims_number_deadline_and_tells_the_counterparty(applicant, debtor):
    off_code = factories.credit_code("场外纸业")
    case = submit(applicant, debtor, extra=[{"name": "场外纸业有限公司", "credit_code": off_code,
                                               "role": CaseClaim.Role.CREDITOR, "amount": "5000",
                                               "due_date": "2026-12-31"}])
    assert case.number.startswith(f"DR-{timezone.localdate():%Y%m%d}-")
    assert case.stage == S.SUBMITTED and case.stage_deadline is not None
    platform, offsite = case.claims.order_by("pk")
    assert platform.company == debtor and platform.role == CaseClaim.Role.DEBTOR
    assert offsite.company is None and offsite.credit_code == off_code and offsite.name == "场外纸业有限公司"
    assert cases.case_outstanding(case) == 105000
    assert main(debtor).notifications.filter(kind="debt.case").exists()
    assert AuditEvent.objects.filter(action="debt.case.submit", subject_id=str(case.pk)).exists()


def test_counterparty_can_be_picked_by_credit_code(applicant, debtor):
    case = cases.submit_case(by=main(applicant), desired_outcome="full_payment", description="说明", claims=[
        {"name": "", "credit_code": debtor.unified_social_credit_code, "role": "debtor", "amount": "10",
         "due_date": "2026-01-01"}])
    assert case.claims.get().company == debtor


@pytest.mark.parametrize(("row", "code"), [
    ({"name": "场外公司", "credit_code": "123"}, "invalid_credit_code"),
    ({"name": "", "credit_code": ""}, "counterparty_required"),
    ({"name": "江苏欠款印刷有限公司", "amount": "-5"}, "invalid_amount"),
    ({"name": "江苏欠款印刷有限公司", "amount": "abc"}, "invalid_amount"),
    ({"name": "江苏欠款印刷有限公司", "due_date": "明天"}, "invalid_date"),
    ({"name": "江苏欠款印刷有限公司", "role": "friend"}, "invalid_role"),
    ({"name": "浙江申请纸业有限公司"}, "own_company"),
])
def test_bad_counterparty_rows_are_refused_with_a_reason(applicant, debtor, row, code):
    claim = {"credit_code": "", "role": "debtor", "amount": "100", "due_date": "2026-01-01", **row}
    with pytest.raises(BusinessRuleError) as refusal:
        cases.submit_case(by=main(applicant), claims=[claim], desired_outcome="other", description="说明")
    assert refusal.value.code == code
    assert not DebtCase.objects.exists()


def test_submission_needs_claims_and_description(applicant):
    with pytest.raises(BusinessRuleError) as refusal:
        cases.submit_case(by=main(applicant), claims=[], desired_outcome="other", description="说明")
    assert refusal.value.code == "claims_required"


def test_sub_account_without_debt_permission_cannot_submit(applicant, debtor):
    clerk = factories.sub_account(applicant, [CompanyPermission.PURCHASING])
    with pytest.raises(NotAllowed) as refusal:
        submit(applicant, debtor, by=clerk)
    assert refusal.value.code == "missing_permission"


def test_sub_account_with_debt_permission_may_submit(applicant, debtor):
    clerk = factories.sub_account(applicant, [CompanyPermission.DEBT])
    assert submit(applicant, debtor, by=clerk).submitted_by == clerk


def test_unverified_company_cannot_submit(debtor):
    unverified = factories.company(name="待认证纸业有限公司", verified=False)
    with pytest.raises(NotAllowed) as refusal:
        submit(unverified, debtor)
    assert refusal.value.code == "company_applying"


def test_taking_a_case_assigns_it_and_sets_a_working_day_deadline(applicant, debtor, staff):
    case = submit(applicant, debtor)
    before = timezone.now()
    case = cases.take_case(by=staff, case_id=case.pk)
    assert case.stage == S.ASSESSMENT and case.assignee == staff
    assert case.stage_deadline.date() == working_deadline(before, 3).date()


def test_only_legal_staff_take_or_advance_cases(applicant, debtor):
    case = submit(applicant, debtor)
    for user in (factories.staff_user("finance"), main(applicant)):
        with pytest.raises(NotAllowed):
            cases.take_case(by=user, case_id=case.pk)
        with pytest.raises(NotAllowed):
            cases.advance_case(by=user, case_id=case.pk)


def test_negotiation_needs_a_written_plan(applicant, debtor, staff):
    case = to_plan_design(submit(applicant, debtor), staff)
    with pytest.raises(BusinessRuleError) as refusal:
        cases.advance_case(by=staff, case_id=case.pk)
    assert refusal.value.code == "plan_required"


def test_negotiation_needs_every_platform_party(applicant, debtor, staff):
    third = factories.company(name="广东第三方纸业有限公司")
    case = submit(applicant, debtor, extra=[{"name": third.name, "credit_code": "", "role": "creditor",
                                               "amount": "300", "due_date": "2026-01-01"}])
    case = to_negotiation(to_plan_design(case, staff), staff)
    case = cases.confirm_plan(by=main(applicant), case_id=case.pk)
    case = cases.confirm_plan(by=main(debtor), case_id=case.pk)
    assert case.stage == S.NEGOTIATION
    case = cases.confirm_plan(by=main(third), case_id=case.pk)
    assert case.stage == S.EXECUTION


def test_a_party_cannot_confirm_twice(applicant, debtor, staff):
    case = to_negotiation(to_plan_design(submit(applicant, debtor), staff), staff)
    cases.confirm_plan(by=main(applicant), case_id=case.pk)
    with pytest.raises(Conflict):
        cases.confirm_plan(by=main(applicant), case_id=case.pk)


def test_rejection_sends_the_plan_back_to_design_and_a_new_round_starts_fresh(applicant, debtor, staff):
    case = to_negotiation(to_plan_design(submit(applicant, debtor), staff), staff)
    cases.confirm_plan(by=main(applicant), case_id=case.pk)
    with pytest.raises(BusinessRuleError):
        cases.reject_plan(by=main(debtor), case_id=case.pk, reason="  ")
    case = cases.reject_plan(by=main(debtor), case_id=case.pk, reason="期数太少")
    assert case.stage == S.PLAN_DESIGN
    assert PlanDecision.objects.get(company=debtor).reason == "期数太少"
    assert staff.notifications.filter(kind="debt.case").exists()
    case = to_negotiation(case, staff, plan="分 6 期还清。")
    # The applicant's earlier confirmation was for the old version: it must confirm again.
    case = cases.confirm_plan(by=main(debtor), case_id=case.pk)
    assert case.stage == S.NEGOTIATION
    assert cases.confirm_plan(by=main(applicant), case_id=case.pk).stage == S.EXECUTION


def test_non_party_cannot_confirm_or_see_the_case(applicant, debtor, staff):
    outsider = factories.company(name="无关纸业有限公司")
    case = to_negotiation(to_plan_design(submit(applicant, debtor), staff), staff)
    with pytest.raises(NotFound):
        cases.confirm_plan(by=main(outsider), case_id=case.pk)
    with pytest.raises(NotFound):
        cases.reject_plan(by=main(outsider), case_id=case.pk, reason="不同意")
    with pytest.raises(NotFound):
        cases.case_for_member(user=main(outsider), case_id=case.pk)
    assert not cases.cases_for_company(company=outsider).exists()
    assert set(cases.cases_for_company(company=debtor)) == {case}


def test_confirm_outside_negotiation_is_refused(applicant, debtor, staff):
    case = to_plan_design(submit(applicant, debtor), staff)
    with pytest.raises(Conflict):
        cases.confirm_plan(by=main(debtor), case_id=case.pk)


def test_frozen_party_cannot_confirm(applicant, debtor, staff):
    case = to_negotiation(to_plan_design(submit(applicant, debtor), staff), staff)
    debtor.status = Company.Status.FROZEN
    debtor.save(update_fields=["status"])
    with pytest.raises(NotAllowed) as refusal:
        cases.confirm_plan(by=main(debtor), case_id=case.pk)
    assert refusal.value.code == "company_frozen"


def test_applicant_withdraws_before_execution(applicant, debtor, staff):
    case = to_negotiation(to_plan_design(submit(applicant, debtor), staff), staff)
    with pytest.raises(NotAllowed):
        cases.withdraw_case(by=main(debtor), case_id=case.pk)
    case = cases.withdraw_case(by=main(applicant), case_id=case.pk, reason="已自行和解")
    assert case.stage == S.WITHDRAWN and case.closed_at is not None


def test_withdrawal_after_execution_is_refused(applicant, debtor, staff):
    case = to_execution(to_plan_design(submit(applicant, debtor), staff), staff, [applicant, debtor])
    with pytest.raises(Conflict) as refusal:
        cases.withdraw_case(by=main(applicant), case_id=case.pk)
    assert refusal.value.code == "not_withdrawable"


def test_case_runs_to_resolution_and_history_has_every_stage(applicant, debtor, staff):
    case = to_execution(to_plan_design(submit(applicant, debtor), staff), staff, [applicant, debtor])
    case = cases.advance_case(by=staff, case_id=case.pk)
    assert case.stage == S.MONITORING
    case = cases.advance_case(by=staff, case_id=case.pk)
    assert case.stage == S.CLOSED_RESOLVED
    stages = [(e.before, e.after) for e in cases.case_history(case).filter(action="debt.case.stage")]
    assert stages == [("submitted", "assessment"), ("assessment", "plan_design"), ("plan_design", "negotiation"),
                      ("negotiation", "execution"), ("execution", "monitoring"), ("monitoring", "closed_resolved")]
    with pytest.raises(Conflict):
        cases.advance_case(by=staff, case_id=case.pk)


def test_close_failed_needs_a_reason(applicant, debtor, staff):
    case = submit(applicant, debtor)
    with pytest.raises(BusinessRuleError):
        cases.close_case_failed(by=staff, case_id=case.pk, reason="")
    case = cases.close_case_failed(by=staff, case_id=case.pk, reason="证据不足")
    assert case.stage == S.CLOSED_FAILED and case.outcome_note == "证据不足"


def test_overdue_cases_are_flagged_in_the_staff_queue(applicant, debtor, staff):
    late = submit(applicant, debtor)
    fresh = submit(applicant, debtor)
    DebtCase.objects.filter(pk=late.pk).update(stage_deadline=timezone.now() - timedelta(hours=1))
    assert list(cases.staff_case_queue(overdue=True)) == [late]
    assert set(cases.staff_case_queue()) == {late, fresh}
    assert DebtCase.objects.get(pk=late.pk).is_overdue
    assert cases.cases_needing_attention_count() == 2  # both untaken
    cases.take_case(by=staff, case_id=fresh.pk)
    assert cases.cases_needing_attention_count() == 1
    assert list(cases.staff_case_queue(assignee=staff)) == [DebtCase.objects.get(pk=fresh.pk)]


def test_documents_are_party_only(applicant, debtor, staff):
    case = submit(applicant, debtor)
    document = cases.add_document(by=main(debtor), case_id=case.pk, upload=factories.upload("对账单.pdf"))
    assert document.company == debtor
    assert cases.document_for(user=main(applicant), document_id=document.pk) == document
    assert cases.document_for(user=staff, document_id=document.pk) == document
    outsider = factories.company(name="无关纸业有限公司")
    assert cases.document_for(user=main(outsider), document_id=document.pk) is None
    with pytest.raises(NotFound):
        cases.add_document(by=main(outsider), case_id=case.pk, upload=factories.upload())
    with pytest.raises(BusinessRuleError) as refusal:
        cases.add_document(by=main(applicant), case_id=case.pk,
                           upload=factories.upload("x.pdf", content=b"not a pdf", content_type="application/pdf"))
    assert refusal.value.code == "file_type_not_allowed"
