"""Quarterly review tasks, visits and notes."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from core.errors import BusinessRuleError, NotAllowed
from core.models import Notification
from crm import managers
from crm.models import ClientNote, ClientProfile, ReviewTask, Tier, Visit
from tests import factories
from tests.crm.tiers_helpers import account_manager, administrator

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()


def client_of(manager, *, tier=Tier.VIP, name=None):
    company = factories.company(name=name)
    ClientProfile.objects.create(company=company, tier=tier, primary_manager=manager)
    return company


@pytest.mark.parametrize(("day", "quarter", "due"), [
    (date(2026, 1, 1), "2026Q1", date(2026, 3, 31)), (date(2026, 6, 30), "2026Q2", date(2026, 6, 30)),
    (date(2026, 8, 15), "2026Q3", date(2026, 9, 30)), (date(2026, 12, 31), "2026Q4", date(2026, 12, 31)),
])
def test_quarter_and_its_last_day(day, quarter, due):
    assert managers.quarter_of(day) == (quarter, due)


def test_quarterly_tasks_are_created_once_for_major_clients_with_a_manager():
    manager = account_manager()
    vip = client_of(manager, name="VIP纸业有限公司")
    client_of(manager, tier=Tier.ORDINARY, name="普通纸业有限公司")
    no_manager = factories.company(name="无经理纸业有限公司")
    ClientProfile.objects.create(company=no_manager, tier=Tier.GOLD)
    now = datetime(2026, 4, 1, 0, 30, tzinfo=TZ)

    created = managers.create_quarterly_review_tasks(now=now)
    again = managers.create_quarterly_review_tasks(now=now + timedelta(days=1))

    assert [(t.company, t.manager, t.quarter, t.due_on) for t in created] == [
        (vip, manager, "2026Q2", date(2026, 6, 30))]
    assert again == []
    assert ReviewTask.objects.count() == 1
    assert Notification.objects.filter(recipient=manager, kind="crm.review_task").count() == 1

    next_quarter = managers.create_quarterly_review_tasks(now=datetime(2026, 7, 1, 1, 0, tzinfo=TZ))
    assert [t.quarter for t in next_quarter] == ["2026Q3"]


def test_daily_catch_up_picks_up_new_major_clients():
    manager = account_manager()
    now = datetime(2026, 4, 1, 6, 0, tzinfo=TZ)
    managers.create_quarterly_review_tasks(now=now)
    late = client_of(manager)
    created = managers.create_quarterly_review_tasks(now=now + timedelta(days=20))
    assert [t.company for t in created] == [late]


def test_task_is_completed_by_its_manager_with_a_summary():
    manager, other = account_manager(), account_manager()
    client_of(manager)
    task = managers.create_quarterly_review_tasks()[0]
    with pytest.raises(NotAllowed):
        managers.complete_review_task(by=other, task_id=task.pk, summary="x")
    with pytest.raises(BusinessRuleError, match="请填写回顾总结"):
        managers.complete_review_task(by=manager, task_id=task.pk, summary="  ")
    done = managers.complete_review_task(by=manager, task_id=task.pk, summary="采购稳定，建议推荐新品")
    assert (done.status, done.summary) == (ReviewTask.Status.DONE, "采购稳定，建议推荐新品")
    with pytest.raises(BusinessRuleError, match="已完成"):
        managers.complete_review_task(by=administrator(), task_id=task.pk, summary="再次")


def test_visit_is_recorded_and_cannot_be_in_the_future(buyer):
    manager = account_manager()
    with pytest.raises(BusinessRuleError) as refusal:
        managers.record_visit(by=manager, company_id=buyer.pk, kind="visit",
                              occurred_on=timezone.localdate() + timedelta(days=1), summary="拜访")
    assert "occurred_on" in refusal.value.details
    visit = managers.record_visit(by=manager, company_id=buyer.pk, kind="meeting", occurred_on=timezone.localdate(),
                                  summary="年度合作洽谈", attendees="张总、王经理")
    assert Visit.objects.get() == visit and visit.recorded_by == manager


def test_note_must_have_text(buyer):
    with pytest.raises(BusinessRuleError):
        managers.add_client_note(by=account_manager(), company_id=buyer.pk, body=" ")
    managers.add_client_note(by=account_manager(), company_id=buyer.pk, body="偏好月结")
    assert ClientNote.objects.get().body == "偏好月结"


def test_members_cannot_record_visits_or_notes(buyer):
    member = factories.main_user_of(buyer)
    with pytest.raises(NotAllowed):
        managers.add_client_note(by=member, company_id=buyer.pk, body="x")
    with pytest.raises(NotAllowed):
        managers.record_visit(by=member, company_id=buyer.pk, kind="call", occurred_on=timezone.localdate(),
                              summary="x")


def test_work_queue_counts_open_review_tasks():
    from core.backoffice import queues_for

    manager = account_manager()
    client_of(manager)
    managers.create_quarterly_review_tasks()
    queue = {q.key: q for q in queues_for(manager)}["crm.review_tasks"]
    assert queue.count() == 1
    assert "crm.review_tasks" not in {q.key for q in queues_for(factories.staff_user("finance"))}
