"""Overdue receivables: daily reminders (once a day each) and credit holds past the configured days."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEvent, Notification
from core.permissions import StaffRole
from crm import credit
from crm.models import ClientProfile, CreditLine, CrmSettings, Receivable
from tests import factories
from tests.crm.credit_helpers import credit_line, receivable_due

pytestmark = pytest.mark.django_db


def test_overdue_receivables_are_reminded_once_a_day(buyer, seller):
    credit_line(buyer)
    manager = factories.staff_user(StaffRole.ACCOUNT_MANAGER)
    ClientProfile.objects.update_or_create(company=buyer, defaults={"primary_manager": manager})
    overdue = receivable_due(buyer=buyer, seller=seller, days_overdue=3)
    receivable_due(buyer=buyer, seller=seller, days_overdue=0)  # due today: not overdue yet
    assert credit.remind_overdue_receivables() == 1
    assert credit.remind_overdue_receivables() == 0
    main = factories.main_user_of(buyer)
    assert Notification.objects.filter(recipient=main, kind="receivable_overdue").count() == 1
    assert Notification.objects.get(recipient=manager).title.startswith(buyer.name)
    overdue.refresh_from_db()
    assert overdue.last_reminded_on == timezone.localdate()

    tomorrow = timezone.now() + timedelta(days=1)
    assert credit.remind_overdue_receivables(now=tomorrow) == 2
    assert Notification.objects.filter(recipient=main, kind="receivable_overdue").count() == 3


def test_settled_receivables_are_not_reminded(buyer, seller):
    credit_line(buyer)
    receivable = receivable_due(buyer=buyer, seller=seller, days_overdue=10)
    Receivable.objects.filter(pk=receivable.pk).update(status=Receivable.Status.SETTLED, settled=receivable.amount)
    assert credit.remind_overdue_receivables() == 0


@pytest.mark.parametrize(("days", "held"), [(30, False), (31, True)])
def test_hold_applies_past_the_configured_days(buyer, seller, days, held):
    CrmSettings.objects.all().delete()
    CrmSettings.objects.create(credit_hold_days_overdue=30)
    credit_line(buyer)
    receivable_due(buyer=buyer, seller=seller, days_overdue=days)
    credit.apply_credit_holds()
    line = CreditLine.objects.get(company=buyer)
    assert line.on_hold is held
    if held:
        assert line.hold_reason.startswith(credit.AUTO_HOLD_PREFIX) and "31 天" in line.hold_reason


def test_hold_is_idempotent_and_released_when_nothing_is_overdue(buyer, seller):
    credit_line(buyer)
    receivable = receivable_due(buyer=buyer, seller=seller, days_overdue=45)
    assert credit.apply_credit_holds() == {"held": 1, "released": 0}
    assert credit.apply_credit_holds() == {"held": 0, "released": 0}
    assert AuditEvent.objects.filter(action="crm.credit_hold", company=buyer).count() == 1
    Receivable.objects.filter(pk=receivable.pk).update(status=Receivable.Status.SETTLED, settled=receivable.amount)
    assert credit.apply_credit_holds() == {"held": 0, "released": 1}
    assert credit.apply_credit_holds() == {"held": 0, "released": 0}
    assert not CreditLine.objects.get(company=buyer).on_hold
    assert AuditEvent.objects.filter(action="crm.credit_hold_released", company=buyer).count() == 1


def test_a_hold_set_by_staff_is_not_lifted_by_the_schedule(buyer):
    credit_line(buyer)
    credit.set_credit_hold(by=factories.staff_user(StaffRole.FINANCE), company_id=buyer.pk, on_hold=True,
                           reason="客户经营异常")
    assert credit.apply_credit_holds() == {"held": 0, "released": 0}
    assert CreditLine.objects.get(company=buyer).on_hold


def test_the_daily_tasks_call_the_services(buyer, seller):
    from crm import tasks_credit

    credit_line(buyer)
    receivable_due(buyer=buyer, seller=seller, days_overdue=40)
    assert tasks_credit.apply_credit_holds() == {"held": 1, "released": 0}
    assert tasks_credit.remind_overdue_receivables() == 1
    assert tasks_credit.score_companies() >= 2
