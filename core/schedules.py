"""Default Celery beat schedules, stored in django-celery-beat's tables so staff can see and
change them in the admin. Created after `migrate` when missing (core.reference_data); never
overwritten, so a schedule staff changed stays changed. Apps add theirs with `register_schedule()`."""

import json
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DefaultSchedule:
    name: str
    task: str
    crontab: dict  # minute, hour, day_of_week, day_of_month, month_of_year
    description: str = ""
    kwargs: dict | None = None


_defaults: dict[str, DefaultSchedule] = {}


def register_schedule(*, name, task, crontab, description="", kwargs=None):
    _defaults[name] = DefaultSchedule(name=name, task=task, crontab=crontab, description=str(description),
                                      kwargs=kwargs)


def ensure_default_schedules():
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for schedule in _defaults.values():
        if PeriodicTask.objects.filter(name=schedule.name).exists():
            continue
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute=schedule.crontab.get("minute", "0"), hour=schedule.crontab.get("hour", "*"),
            day_of_week=schedule.crontab.get("day_of_week", "*"),
            day_of_month=schedule.crontab.get("day_of_month", "*"),
            month_of_year=schedule.crontab.get("month_of_year", "*"), timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.create(
            name=schedule.name, task=schedule.task, crontab=crontab, description=schedule.description,
            kwargs=json.dumps(schedule.kwargs or {}),
        )


register_schedule(
    name="core.purge_idempotency_records",
    task="core.tasks.purge_idempotency_records",
    crontab={"minute": "17", "hour": "3"},
    description=_("每天清理超过 24 小时的幂等键记录"),
)

register_schedule(
    name="core.retry_due_webhook_deliveries",
    task="core.tasks.retry_due_webhook_deliveries",
    crontab={"minute": "*"},
    description=_("每分钟重试到期的 Webhook 投递"),
)

register_schedule(
    name="core.purge_old_webhook_deliveries",
    task="core.tasks.purge_old_webhook_deliveries",
    crontab={"minute": "27", "hour": "3"},
    description=_("每天清理 30 天前的 Webhook 投递记录"),
)
