"""Clearing runs through the platform: snapshot of confirmed obligations, the engine's optimal
set-off, every affected company confirms its part, then applied atomically; a rejection re-plans
without the company; a changed obligation makes apply fail with nothing applied; lapses."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.models import Notification
from debt import obligations, runs
from debt.models import ClearingItem, ClearingRun, Obligation
from tests import factories
from tests.debt.clearing_helpers import answer, companies, confirm_all, main, owes, part, planned_run, register

pytestmark = pytest.mark.django_db
R = ClearingRun.Status


@pytest.fixture
def legal(db):
    return factories.staff_user("legal_compliance")


def _net(company):
    owed_to = sum(o.outstanding for o in Obligation.objects.filter(creditor=company))
    owed_by = sum(o.outstanding for o in Obligation.objects.filter(debtor=company))
    return owed_to - owed_by


def test_the_two_cycle_trap_clears_thirty_not_twenty(django_capture_on_commit_callbacks, legal):
    a, b, c = companies("甲", "乙", "丙")
    ab, ba = owes(a, b, 10), owes(b, a, 10)
    bc, ca = owes(b, c, 10), owes(c, a, 10)

    run = planned_run(django_capture_on_commit_callbacks, legal)

    assert run.status == R.AWAITING and run.cleared_total == Decimal("30.00")
    setoff = dict(ClearingItem.objects.filter(run=run).values_list("obligation_id", "setoff"))
    assert setoff == {ab.pk: Decimal("10.00"), bc.pk: Decimal("10.00"), ca.pk: Decimal("10.00")}
    assert ba.pk not in setoff
    assert run.stage == ClearingRun.Stage.DONE and run.progress == 100
    assert run.confirmation_deadline > timezone.now()


def test_only_confirmed_obligations_enter_a_run(django_capture_on_commit_callbacks, legal):
    a, b, c = companies("甲", "乙", "丙")
    owes(a, b, 100)
    owes(b, c, 100)
    pending = register(c, a, 100)  # never confirmed
    run = planned_run(django_capture_on_commit_callbacks, legal)
    assert run.status == R.NOTHING and run.snapshot_obligations == 2 and not run.items.exists()

    obligations.dispute_obligation(by=main(c), obligation_id=pending.pk, reason="不对")
    assert planned_run(django_capture_on_commit_callbacks, legal).status == R.NOTHING
    owes(c, a, 60)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    assert run.status == R.AWAITING and run.cleared_total == Decimal("180.00")


def test_a_run_end_to_end_is_applied_atomically_once_every_part_is_confirmed(
        django_capture_on_commit_callbacks, legal):
    a, b, c, d = companies("甲", "乙", "丙", "丁")
    ab, bc, ca = owes(a, b, 100), owes(b, c, 70), owes(c, a, 100)
    ad = owes(a, d, 40)  # on no cycle: untouched
    before = {company.pk: _net(company) for company in (a, b, c, d)}

    run = planned_run(django_capture_on_commit_callbacks, legal)
    assert run.cleared_total == Decimal("210.00")
    assert sorted(run.participants.values_list("company__name", flat=True)) == sorted(
        [a.name, b.name, c.name])
    part_a = part(run, a)
    assert (part_a.owed_by_before, part_a.setoff_as_debtor, part_a.owed_by_after) == (
        Decimal("140.00"), Decimal("70.00"), Decimal("70.00"))
    assert part_a.net_before == part_a.net_after == Decimal("-40.00")

    run = answer(django_capture_on_commit_callbacks, run, a)
    run = answer(django_capture_on_commit_callbacks, run, b)
    assert run.status == R.AWAITING
    run = answer(django_capture_on_commit_callbacks, run, c)

    assert run.status == R.APPLIED and run.finished_at
    for obligation, outstanding, status in ((ab, "30.00", "confirmed"), (bc, "0.00", "settled"),
                                            (ca, "30.00", "confirmed"), (ad, "40.00", "confirmed")):
        obligation.refresh_from_db()
        assert (obligation.outstanding, obligation.status) == (Decimal(outstanding), status)
    assert {company.pk: _net(company) for company in (a, b, c, d)} == before
    assert Notification.objects.filter(recipient=main(b), kind="debt_clearing", title__contains="已执行").count() == 1


def test_a_rejection_replans_without_the_company(django_capture_on_commit_callbacks, legal):
    a, b, c, d = companies("甲", "乙", "丙", "丁")
    ab, bc, ca = owes(a, b, 10), owes(b, c, 10), owes(c, a, 10)
    ad, da = owes(a, d, 5), owes(d, a, 5)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    assert run.cleared_total == Decimal("40.00") and part(run, a).setoff == Decimal("15.00")
    answer(django_capture_on_commit_callbacks, run, b)
    answer(django_capture_on_commit_callbacks, run, c)
    answer(django_capture_on_commit_callbacks, run, a)

    run = answer(django_capture_on_commit_callbacks, run, d, "reject", reason="与丁方另有协议")

    assert run.status == R.AWAITING and run.plan_version == 2 and run.cleared_total == Decimal("30.00")
    assert set(run.items.values_list("obligation_id", flat=True)) == {ab.pk, bc.pk, ca.pk}
    assert (part(run, d).status, part(run, d).reason) == ("rejected", "与丁方另有协议")
    # B's and C's parts did not change, so their confirmations stand; A's changed: it confirms again.
    assert (part(run, b).status, part(run, c).status, part(run, a).status) == ("confirmed", "confirmed", "pending")
    assert part(run, a).setoff == Decimal("10.00") and part(run, a).plan_version == 2
    run = answer(django_capture_on_commit_callbacks, run, a)
    assert run.status == R.APPLIED
    for obligation in (ad, da):
        obligation.refresh_from_db()
        assert obligation.outstanding == Decimal("5.00")


def test_companies_no_longer_involved_drop_out_after_a_replan(django_capture_on_commit_callbacks, legal):
    a, b, c, d = companies("甲", "乙", "丙", "丁")
    owes(a, b, 10)
    owes(b, c, 10)
    owes(c, a, 10)
    owes(a, d, 5)
    owes(d, b, 5)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    assert run.participants.count() == 4
    run = answer(django_capture_on_commit_callbacks, run, c, "reject", reason="不同意")
    # Without C, the only cycle left is A → D → B ... → A? There is none (B owed only to C): nothing to clear.
    assert run.status == R.NOTHING
    assert sorted(run.participants.values_list("status", flat=True)) == ["dropped", "dropped", "dropped", "rejected"]


def test_an_obligation_changed_meanwhile_makes_apply_fail_and_nothing_is_applied(
        django_capture_on_commit_callbacks, legal):
    a, b, c = companies("甲", "乙", "丙")
    ab, bc, ca = owes(a, b, 100), owes(b, c, 100), owes(c, a, 100)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    Obligation.objects.filter(pk=bc.pk).update(outstanding=Decimal("60.00"))  # paid in part outside the platform

    run = confirm_all(django_capture_on_commit_callbacks, run)

    assert run.status == R.FAILED
    assert f"#{bc.pk}" in run.failure_reason and "未执行任何抵销" in run.failure_reason
    assert [Obligation.objects.get(pk=o.pk).outstanding for o in (ab, bc, ca)] == [
        Decimal("100.00"), Decimal("60.00"), Decimal("100.00")]
    assert Notification.objects.filter(recipient=main(a), title__contains="未执行").exists()


def test_apply_runs_only_when_every_part_is_confirmed_and_only_once(django_capture_on_commit_callbacks, legal):
    a, b, c = companies("甲", "乙", "丙")
    ab = owes(a, b, 10)
    owes(b, c, 10)
    owes(c, a, 10)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    answer(django_capture_on_commit_callbacks, run, a)
    assert runs.apply_clearing_run(run_id=run.pk).status == R.AWAITING
    run = confirm_all(django_capture_on_commit_callbacks, run)
    assert run.status == R.APPLIED
    assert runs.apply_clearing_run(run_id=run.pk).status == R.APPLIED  # again: nothing happens twice
    ab.refresh_from_db()
    assert ab.outstanding == 0 and ab.status == "settled"


def test_the_deadline_lapses_the_run_once(django_capture_on_commit_callbacks, legal):
    a, b, c = companies("甲", "乙", "丙")
    owes(a, b, 10)
    owes(b, c, 10)
    owes(c, a, 10)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    answer(django_capture_on_commit_callbacks, run, a)
    assert runs.lapse_overdue_clearing_runs() == 0
    later = run.confirmation_deadline + timedelta(minutes=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert runs.lapse_overdue_clearing_runs(now=later) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert runs.lapse_overdue_clearing_runs(now=later) == 0

    run.refresh_from_db()
    assert run.status == R.LAPSED and b.name in run.failure_reason and a.name not in run.failure_reason
    assert Notification.objects.filter(recipient=main(b), title__contains="已过期").count() == 1
    assert set(Obligation.objects.values_list("outstanding", flat=True)) == {Decimal("10.00")}


def test_answers_after_the_deadline_or_without_a_reason_are_refused(django_capture_on_commit_callbacks, legal):
    a, b, c, stranger = companies("甲", "乙", "丙", "戊")
    owes(a, b, 10)
    owes(b, c, 10)
    owes(c, a, 10)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    with pytest.raises(BusinessRuleError) as refused:
        runs.respond_to_part(by=main(a), run_id=run.pk, decision="reject", reason="")
    assert refused.value.code == "reason_required"
    with pytest.raises(BusinessRuleError):
        runs.respond_to_part(by=main(a), run_id=run.pk, decision="maybe")
    with pytest.raises(NotFound):
        runs.respond_to_part(by=main(stranger), run_id=run.pk, decision="confirm")
    with pytest.raises(NotAllowed):
        runs.respond_to_part(by=factories.sub_account(a, ["purchasing"]), run_id=run.pk, decision="confirm")
    answer(django_capture_on_commit_callbacks, run, a)
    with pytest.raises(BusinessRuleError) as again:
        runs.respond_to_part(by=main(a), run_id=run.pk, decision="confirm")
    assert again.value.code == "already_answered"
    ClearingRun.objects.filter(pk=run.pk).update(confirmation_deadline=timezone.now() - timedelta(seconds=1))
    with pytest.raises(BusinessRuleError) as late:
        runs.respond_to_part(by=main(b), run_id=run.pk, decision="confirm")
    assert late.value.code == "deadline_passed"


def test_only_one_run_at_a_time_and_only_legal_or_finance_start_one(django_capture_on_commit_callbacks, legal):
    a, b = companies("甲", "乙")
    owes(a, b, 10)
    owes(b, a, 10)
    with pytest.raises(NotAllowed):
        runs.start_clearing_run(by=factories.staff_user("reviewer"))
    run = planned_run(django_capture_on_commit_callbacks, legal)
    assert run.status == R.AWAITING
    with pytest.raises(Conflict):
        runs.start_clearing_run(by=factories.staff_user("finance"))
    from debt.tasks_clearing import start_scheduled_clearing_run

    assert start_scheduled_clearing_run() is None  # the weekly job skips while one is in progress
    assert ClearingRun.objects.count() == 1


def test_staff_pages_start_a_run_and_show_progress_and_parts(client, django_capture_on_commit_callbacks, legal):
    a, b = companies("甲", "乙")
    owes(a, b, 10)
    owes(b, a, 10)
    client.force_login(legal)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/backoffice/debt/runs/start/")
    run = ClearingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/backoffice/debt/runs/{run.pk}/"
    page = client.get(f"/backoffice/debt/runs/{run.pk}/").content.decode()
    assert a.name in page and "待确认" in page
    assert "100%" in client.get(f"/backoffice/debt/runs/{run.pk}/progress/").content.decode()
    assert "待确认的清算方案" in client.get("/backoffice/").content.decode()
    listing = client.get("/backoffice/debt/runs/").content.decode()
    assert f"#{run.pk}" in listing


def test_the_progress_fragment_polls_while_planning(client, legal):
    run = ClearingRun.objects.create(started_by=legal, status=R.PLANNING, stage=ClearingRun.Stage.SOLVING,
                                     progress=30)
    client.force_login(legal)
    fragment = client.get(f"/backoffice/debt/runs/{run.pk}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "30%" in fragment and "计算抵销方案" in fragment


def test_members_see_their_part_and_answer_on_the_page(client, django_capture_on_commit_callbacks, legal):
    a, b, c, stranger = companies("甲", "乙", "丙", "戊")
    owes(a, b, 10)
    owes(b, c, 10)
    owes(c, a, 10)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    client.force_login(main(a))
    assert f"#{run.pk}" in client.get("/member/debt/clearing/").content.decode()
    page = client.get(f"/member/debt/clearing/{run.pk}/").content.decode()
    assert "确认本企业的部分" in page and b.name in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/member/debt/clearing/{run.pk}/respond/", {"decision": "reject", "reason": "需核对"})
    assert part(run, a).status == "rejected"
    client.force_login(main(stranger))
    assert client.get(f"/member/debt/clearing/{run.pk}/").status_code == 404


def test_after_the_deadline_the_page_offers_no_answer(client, django_capture_on_commit_callbacks, legal):
    a, b = companies("甲", "乙")
    owes(a, b, 10)
    owes(b, a, 10)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    ClearingRun.objects.filter(pk=run.pk).update(confirmation_deadline=timezone.now() - timedelta(seconds=1))
    client.force_login(main(a))
    page = client.get(f"/member/debt/clearing/{run.pk}/").content.decode()
    assert "确认本企业的部分" not in page and "已超过确认截止时间" in page


def test_a_run_whose_task_was_lost_is_planned_again_then_failed_if_it_stalls_again(
        django_capture_on_commit_callbacks, legal):
    a, b = companies("甲", "乙")
    owes(a, b, 10)
    owes(b, a, 10)
    with django_capture_on_commit_callbacks(execute=False):  # the plan task never reaches a worker
        run = runs.start_clearing_run(by=legal)
    soon = timezone.now() + timedelta(minutes=10)
    assert runs.resume_stalled_clearing_runs(now=soon) == (0, 0)

    later = timezone.now() + runs.STALLED_AFTER + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert runs.resume_stalled_clearing_runs(now=later) == (1, 0)
    run.refresh_from_db()
    assert run.status == R.AWAITING  # the plan task ran this time

    ClearingRun.objects.filter(pk=run.pk).update(status=R.PLANNING, resumed=1, status_changed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        assert runs.resume_stalled_clearing_runs(now=later) == (0, 0)  # the retry gets its own 30 minutes
        assert runs.resume_stalled_clearing_runs(now=later + runs.STALLED_AFTER) == (0, 1)
    run.refresh_from_db()
    assert run.status == R.FAILED and "重新发起" in run.failure_reason
    with django_capture_on_commit_callbacks(execute=False):
        assert runs.start_clearing_run(by=legal).status == R.QUEUED  # no longer blocked


def test_a_company_that_dropped_out_no_longer_sees_the_run(django_capture_on_commit_callbacks, legal):
    a, b, c, d = companies("甲", "乙", "丙", "丁")
    owes(a, b, 10)
    owes(b, c, 10)
    owes(c, a, 10)
    owes(a, d, 5)
    owes(d, b, 5)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    run = answer(django_capture_on_commit_callbacks, run, c, "reject", reason="不同意")
    assert list(runs.runs_for_company(company=d)) == []
    assert list(runs.runs_for_company(company=c)) == [run]  # it rejected: it still sees the run
    with pytest.raises(NotFound):
        runs.part_for_company(company=d, run_id=run.pk)


def test_a_plan_that_fails_verification_fails_the_run_and_frees_the_next(
        django_capture_on_commit_callbacks, legal, monkeypatch):
    from debt import clearing

    a, b = companies("甲", "乙")
    owes(a, b, 10)
    owes(b, a, 10)

    def broken(book, excluded=()):
        raise clearing.SetoffInvariantError("set-off changes the net position of 2 companies")

    monkeypatch.setattr(runs, "plan_setoff", broken)
    run = planned_run(django_capture_on_commit_callbacks, legal)
    assert run.status == R.FAILED and "未通过核验" in run.failure_reason
    monkeypatch.undo()
    assert planned_run(django_capture_on_commit_callbacks, legal).status == R.AWAITING
