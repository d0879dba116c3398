"""Credit applications: who may apply, one open at a time, staff decide within the recommended range."""

from decimal import Decimal

import pytest

from core.errors import BusinessRuleError, Conflict, NotAllowed
from core.models import AuditEvent, Notification
from core.permissions import StaffRole
from crm import credit
from crm.models import CreditApplication, CreditLine, CreditScore, Tier, TierRule
from tests import factories
from tests.crm.credit_helpers import client_of_tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def major():
    return client_of_tier(Tier.GOLD)


def apply(company, limit="100000.00", term=60, user=None):
    return credit.submit_credit_application(by=user or factories.main_user_of(company), requested_limit=limit,
                                            term_days=term, purpose="旺季备货")


def with_range(application, low="50000.00", high="120000.00"):
    CreditScore.objects.filter(pk=application.score_id).update(recommended_limit_min=Decimal(low),
                                                               recommended_limit_max=Decimal(high))


def test_a_major_client_applies_and_is_scored(major):
    application = apply(major)
    assert application.status == CreditApplication.Status.SUBMITTED
    assert application.requested_limit == Decimal("100000.00") and application.requested_term_days == 60
    assert application.score is not None and application.score.company == major
    assert AuditEvent.objects.filter(action="crm.credit_application_submitted", company=major).exists()
    assert list(credit.pending_applications()) == [application]


def test_an_ordinary_client_is_told_why_it_cannot_apply():
    ordinary = client_of_tier(Tier.ORDINARY)
    TierRule.objects.update_or_create(tier=Tier.VIP, defaults={"min_purchases_12m": Decimal("10000.00")})
    expected = "账期仅向 VIP 及以上大客户开放，贵司当前为普通客户。近 12 个月采购额达到 ¥10,000.00"
    with pytest.raises(NotAllowed, match=expected):
        apply(ordinary)
    assert not CreditApplication.objects.exists()


def test_a_company_without_a_client_profile_counts_as_ordinary(buyer):
    with pytest.raises(NotAllowed, match="普通客户"):
        apply(buyer)


def test_a_second_open_application_is_refused(major):
    apply(major)
    with pytest.raises(Conflict, match="已有一份待审批的账期申请"):
        apply(major, limit="5000.00")
    assert CreditApplication.objects.filter(company=major).count() == 1


def test_a_sub_account_without_finance_permission_may_not_apply(major):
    buyer_clerk = factories.sub_account(major, ["purchasing"])
    with pytest.raises(NotAllowed):
        apply(major, user=buyer_clerk)
    finance = factories.sub_account(major, ["finance"])
    assert apply(major, user=finance).submitted_by == finance


@pytest.mark.parametrize(("limit", "term", "field"), [
    ("0", 30, "requested_limit"), ("-5", 30, "requested_limit"), ("abc", 30, "requested_limit"),
    ("1000", 45, "requested_term_days"),
])
def test_bad_application_input_is_refused(major, limit, term, field):
    with pytest.raises(BusinessRuleError) as refusal:
        apply(major, limit=limit, term=term)
    assert field in refusal.value.details


def test_finance_approves_within_the_range_and_the_company_gets_a_line(major):
    application = apply(major)
    with_range(application)
    finance = factories.staff_user(StaffRole.FINANCE)
    credit.approve_credit_application(by=finance, application_id=application.pk, limit="120000.00", term_days=90,
                                      note="")
    line = CreditLine.objects.get(company=major)
    assert (line.limit, line.term_days, line.outstanding, line.granted_by) == (Decimal("120000.00"), 90, 0, finance)
    application.refresh_from_db()
    assert application.status == CreditApplication.Status.APPROVED and application.approved_limit == line.limit
    assert AuditEvent.objects.filter(action="crm.credit_line_set", company=major).exists()
    assert Notification.objects.filter(recipient=factories.main_user_of(major), kind="credit_application").exists()


@pytest.mark.parametrize("limit", ["49999.99", "120000.01"])
def test_finance_may_not_approve_outside_the_range(major, limit):
    application = apply(major)
    with_range(application)
    with pytest.raises(BusinessRuleError, match="不在建议范围 ¥50,000.00 – ¥120,000.00 内") as refusal:
        credit.approve_credit_application(by=factories.staff_user(StaffRole.FINANCE), application_id=application.pk,
                                          limit=limit, term_days=30, note="老客户")
    assert refusal.value.code == "limit_outside_range"
    assert not CreditLine.objects.exists()


def test_an_administrator_overrides_the_range_only_with_a_note(major):
    application = apply(major)
    with_range(application)
    admin = factories.staff_user(StaffRole.ADMINISTRATOR)
    with pytest.raises(BusinessRuleError) as refusal:
        credit.approve_credit_application(by=admin, application_id=application.pk, limit="300000", term_days=30,
                                          note=" ")
    assert refusal.value.code == "override_note_required"
    credit.approve_credit_application(by=admin, application_id=application.pk, limit="300000", term_days=30,
                                      note="战略合作，集团担保")
    event = AuditEvent.objects.get(action="crm.credit_application_approved")
    assert event.data["override"] is True and "集团担保" in event.reason


def test_other_staff_may_not_decide(major):
    application = apply(major)
    with pytest.raises(NotAllowed):
        credit.approve_credit_application(by=factories.staff_user(StaffRole.ACCOUNT_MANAGER),
                                          application_id=application.pk, limit="1", term_days=30)


def test_rejection_needs_a_reason_and_tells_the_company(major):
    application = apply(major)
    finance = factories.staff_user(StaffRole.FINANCE)
    with pytest.raises(BusinessRuleError):
        credit.reject_credit_application(by=finance, application_id=application.pk, note="")
    credit.reject_credit_application(by=finance, application_id=application.pk, note="采购历史不足 6 个月")
    application.refresh_from_db()
    assert application.status == CreditApplication.Status.REJECTED
    assert Notification.objects.filter(title="账期申请未获批准").exists()
    with pytest.raises(Conflict):
        credit.approve_credit_application(by=finance, application_id=application.pk, limit="1", term_days=30)
    assert apply(major).status == CreditApplication.Status.SUBMITTED  # may apply again


def test_approval_updates_an_existing_line_and_keeps_outstanding(major):
    CreditLine.objects.create(company=major, limit=Decimal("10000.00"), term_days=30,
                              outstanding=Decimal("4000.00"))
    application = apply(major)
    with_range(application, low="0", high="80000")
    credit.approve_credit_application(by=factories.staff_user(StaffRole.FINANCE), application_id=application.pk,
                                      limit="80000", term_days=60)
    line = CreditLine.objects.get(company=major)
    assert (line.limit, line.term_days, line.outstanding) == (Decimal("80000.00"), 60, Decimal("4000.00"))


def test_withdrawn_application_leaves_the_queue(major):
    application = apply(major)
    credit.withdraw_credit_application(by=factories.main_user_of(major), application_id=application.pk)
    assert not credit.pending_applications().exists()
