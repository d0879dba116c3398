"""Instalment plans (分期还款): schedules that sum to the plan total, payments by finance or the
creditor, overdue tracking, reminders once a day and default after N days."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.models import Notification
from core.permissions import CompanyPermission
from debt import cases
from debt.models import CaseSettings, Instalment, InstalmentPlan
from tests import factories
from tests.debt.case_helpers import claim_of, finance, legal, main, submit, to_execution, to_plan_design

P, I = InstalmentPlan.Status, Instalment.Status  # noqa: E741
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def setup(db):
    applicant = factories.company(name="浙江申请纸业有限公司")
    debtor = factories.company(name="江苏欠款印刷有限公司")
    staff = legal()
    case = to_plan_design(submit(applicant, debtor, amount="100000.00"), staff)
    return applicant, debtor, staff, case


def _at(day):
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=TZ)


def _active_plan(setup, *, total="100000.00", count=3, first_due=None):
    applicant, debtor, staff, case = setup
    first_due = first_due or timezone.localdate() + timedelta(days=10)
    plan = cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim_of(case).pk, total=total,
                                        count=count, first_due=first_due)
    to_execution(case, staff, [applicant, debtor])
    plan.refresh_from_db()
    assert plan.status == P.ACTIVE
    return plan


def test_even_schedule_sums_exactly_with_the_rounding_on_the_last():
    schedule = cases.even_schedule(total=Decimal("100000.00"), count=3, first_due=date(2027, 1, 31))
    assert [due for due, _amount in schedule] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
    assert [amount for _due, amount in schedule] == [Decimal("33333.33"), Decimal("33333.33"), Decimal("33333.34")]
    assert sum(amount for _due, amount in schedule) == Decimal("100000.00")


def test_generated_plan_is_saved_with_its_schedule(setup):
    _applicant, _debtor, staff, case = setup
    first = timezone.localdate() + timedelta(days=5)
    plan = cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim_of(case).pk, total="1000",
                                        count=4, first_due=first)
    rows = list(plan.instalments.values_list("sequence", "amount", "status"))
    assert rows == [(1, Decimal("250.00"), "due"), (2, Decimal("250.00"), "due"), (3, Decimal("250.00"), "due"),
                    (4, Decimal("250.00"), "due")]
    assert plan.status == P.PROPOSED


def test_entered_schedule_must_sum_to_the_total_and_increase(setup):
    _applicant, _debtor, staff, case = setup
    day = timezone.localdate() + timedelta(days=3)
    claim = claim_of(case).pk
    with pytest.raises(BusinessRuleError) as refusal:
        cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim, total="1000",
                                     schedule=[(day, "400"), (day + timedelta(days=30), "500")])
    assert refusal.value.code == "schedule_sum_mismatch"
    with pytest.raises(BusinessRuleError) as refusal:
        cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim,
                                     schedule=[(day + timedelta(days=30), "400"), (day, "600")])
    assert refusal.value.code == "schedule_not_increasing"
    with pytest.raises(BusinessRuleError) as refusal:
        cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim,
                                     schedule=[(timezone.localdate() - timedelta(days=1), "400")])
    assert refusal.value.code == "schedule_in_past"
    plan = cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim, total="1000",
                                        schedule=[(day, "400"), (day + timedelta(days=30), "600")])
    assert plan.total == Decimal("1000.00") and plan.instalments.count() == 2


def test_plan_total_cannot_exceed_what_is_left_of_the_claim(setup):
    _applicant, _debtor, staff, case = setup
    claim = claim_of(case).pk
    first = timezone.localdate() + timedelta(days=5)
    cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim, total="60000", count=2, first_due=first)
    with pytest.raises(BusinessRuleError) as refusal:
        cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim, total="40000.01", count=2,
                                     first_due=first)
    assert refusal.value.code == "over_claim"


@pytest.mark.parametrize(("count", "code"), [("0", "invalid_count"), ("x", "invalid_count"), ("121", "invalid_count")])
def test_bad_instalment_counts_are_refused(setup, count, code):
    _applicant, _debtor, staff, case = setup
    with pytest.raises(BusinessRuleError) as refusal:
        cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim_of(case).pk, total="1000",
                                     count=count, first_due=timezone.localdate() + timedelta(days=1))
    assert refusal.value.code == code


def test_finance_records_payments_until_the_plan_completes(setup):
    plan = _active_plan(setup, total="3000", count=2)
    first, second = plan.instalments.order_by("sequence")
    cashier = finance()
    today = timezone.localdate()
    cases.record_instalment_payment(by=cashier, instalment_id=first.pk, amount="1000", paid_on=today)
    first.refresh_from_db()
    assert (first.status, first.paid_amount) == (I.DUE, Decimal("1000.00"))
    with pytest.raises(BusinessRuleError) as refusal:
        cases.record_instalment_payment(by=cashier, instalment_id=first.pk, amount="500.01", paid_on=today)
    assert refusal.value.code == "over_instalment"
    with pytest.raises(BusinessRuleError) as refusal:
        cases.record_instalment_payment(by=cashier, instalment_id=first.pk, amount="1", paid_on=today + timedelta(1))
    assert refusal.value.code == "paid_in_future"
    cases.record_instalment_payment(by=cashier, instalment_id=first.pk, amount="500", paid_on=today)
    first.refresh_from_db()
    assert first.status == I.PAID and first.paid_on == today
    with pytest.raises(Conflict):
        cases.record_instalment_payment(by=cashier, instalment_id=first.pk, amount="1", paid_on=today)
    cases.record_instalment_payment(by=cashier, instalment_id=second.pk, amount="1500", paid_on=today)
    plan.refresh_from_db()
    assert plan.status == P.COMPLETED
    assert claim_of(plan.case).settled_amount == Decimal("3000.00")
    assert cases.case_outstanding(plan.case) == Decimal("97000.00")


def test_creditor_may_confirm_a_payment_but_not_the_debtor_or_outsiders(setup):
    applicant, debtor, _staff, _case = setup
    plan = _active_plan(setup, total="3000", count=2)
    first = plan.instalments.order_by("sequence").first()
    today = timezone.localdate()
    with pytest.raises(NotAllowed):
        cases.record_instalment_payment(by=main(debtor), instalment_id=first.pk, amount="10", paid_on=today)
    with pytest.raises(NotAllowed):
        cases.record_instalment_payment(by=legal(), instalment_id=first.pk, amount="10", paid_on=today)
    outsider = factories.company(name="无关纸业有限公司")
    with pytest.raises(NotFound):
        cases.record_instalment_payment(by=main(outsider), instalment_id=first.pk, amount="10", paid_on=today)
    clerk = factories.sub_account(applicant, [CompanyPermission.PURCHASING])
    with pytest.raises(NotAllowed):
        cases.record_instalment_payment(by=clerk, instalment_id=first.pk, amount="10", paid_on=today)
    payment = cases.record_instalment_payment(by=main(applicant), instalment_id=first.pk, amount="10", paid_on=today)
    assert payment.confirmed_by_creditor


def test_payments_are_refused_before_the_plan_is_active(setup):
    _applicant, _debtor, staff, case = setup
    plan = cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim_of(case).pk, total="1000",
                                        count=1, first_due=timezone.localdate() + timedelta(days=3))
    with pytest.raises(Conflict) as refusal:
        cases.record_instalment_payment(by=finance(), instalment_id=plan.instalments.get().pk, amount="10",
                                        paid_on=timezone.localdate())
    assert refusal.value.code == "plan_not_active"


def test_reminders_before_due_and_when_overdue_at_most_once_a_day(setup):
    applicant, debtor, _staff, _case = setup
    first_due = timezone.localdate() + timedelta(days=10)
    plan = _active_plan(setup, total="3000", count=3, first_due=first_due)
    first = plan.instalments.get(sequence=1)
    debtor_user, creditor_user = main(debtor), main(applicant)

    def reminders(user):
        return Notification.objects.filter(recipient=user, kind="debt.instalment").count()

    # 8 days before: outside the 3-day window.
    assert cases.remind_due_instalments(now=_at(first_due - timedelta(days=8)))["reminded"] == 0
    # 3 days before: the debtor is reminded once, however often the job runs that day.
    day = _at(first_due - timedelta(days=3))
    assert cases.remind_due_instalments(now=day)["reminded"] == 1
    assert cases.remind_due_instalments(now=day + timedelta(hours=5))["reminded"] == 0
    assert (reminders(debtor_user), reminders(creditor_user)) == (1, 0)
    first.refresh_from_db()
    assert first.last_reminded_on == first_due - timedelta(days=3) and first.status == I.DUE
    # Next day: another reminder.
    assert cases.remind_due_instalments(now=day + timedelta(days=1))["reminded"] == 1
    # The day after the due date: overdue, both sides told, listed in the staff queue.
    late = _at(first_due + timedelta(days=1))
    counts = cases.remind_due_instalments(now=late)
    assert counts == {"reminded": 1, "overdue": 1, "defaulted": 0}
    assert cases.remind_due_instalments(now=late) == {"reminded": 0, "overdue": 0, "defaulted": 0}
    first.refresh_from_db()
    assert first.status == I.OVERDUE and first.overdue_since == first_due + timedelta(days=1)
    assert list(cases.overdue_instalments()) == [first]
    assert reminders(creditor_user) == 1
    assert cases.case_history(plan.case).filter(action="debt.instalment.overdue").count() == 1


def test_plan_defaults_after_the_configured_overdue_days_once(setup):
    first_due = timezone.localdate() + timedelta(days=5)
    plan = _active_plan(setup, total="3000", count=3, first_due=first_due)
    settings_row = CaseSettings.current()
    settings_row.default_after_days = 10
    settings_row.save()
    assert cases.remind_due_instalments(now=_at(first_due + timedelta(days=10)))["defaulted"] == 0
    counts = cases.remind_due_instalments(now=_at(first_due + timedelta(days=11)))
    assert counts["defaulted"] == 1
    plan.refresh_from_db()
    assert plan.status == P.DEFAULTED
    assert cases.remind_due_instalments(now=_at(first_due + timedelta(days=12))) == {
        "reminded": 0, "overdue": 0, "defaulted": 0}
    assert not cases.overdue_instalments().exists()  # a defaulted plan leaves the collection queue
    with pytest.raises(Conflict):
        cases.record_instalment_payment(by=finance(), instalment_id=plan.instalments.first().pk, amount="1",
                                        paid_on=timezone.localdate())


def test_paid_instalments_get_no_reminders(setup):
    first_due = timezone.localdate() + timedelta(days=2)
    plan = _active_plan(setup, total="1000", count=2, first_due=first_due)
    first = plan.instalments.get(sequence=1)
    cases.record_instalment_payment(by=finance(), instalment_id=first.pk, amount="500", paid_on=timezone.localdate())
    assert cases.remind_due_instalments(now=_at(first_due + timedelta(days=1)))["reminded"] == 0


def test_the_scheduled_task_runs_the_job(setup):
    from debt.tasks_cases import remind_due_instalments

    _active_plan(setup, total="1000", count=1, first_due=timezone.localdate() + timedelta(days=1))
    assert remind_due_instalments.delay().get() == {"reminded": 1, "overdue": 0, "defaulted": 0}
    assert remind_due_instalments.delay().get() == {"reminded": 0, "overdue": 0, "defaulted": 0}


def test_a_first_due_date_past_any_real_schedule_is_refused_clearly(setup):
    _applicant, _debtor, staff, case = setup
    with pytest.raises(BusinessRuleError) as refusal:
        cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim_of(case).pk, total="1000",
                                     count=3, first_due="9999-12-01")
    assert refusal.value.code == "invalid_date"
