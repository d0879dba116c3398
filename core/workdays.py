"""Working days in mainland China: weekends, public holidays and make-up workdays (调休).

Uses the `chinese_calendar` package (the State Council's announced schedule). For a year it
doesn't know yet, Monday to Friday count as working days.
"""

from datetime import date, datetime, timedelta

import chinese_calendar
from django.utils import timezone


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # year not yet announced
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def working_deadline(moment: datetime, days: int) -> datetime:
    """The end (23:59:59 local time) of the working day `days` working days after `moment`."""
    local = timezone.localtime(moment)
    deadline_day = add_working_days(local.date(), days)
    return local.replace(
        year=deadline_day.year, month=deadline_day.month, day=deadline_day.day,
        hour=23, minute=59, second=59, microsecond=0,
    )
