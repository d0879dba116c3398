"""Scheduled major-client and credit jobs (Celery autodiscovers this module)."""

from crm.tasks_credit import *  # noqa: F403
from crm.tasks_reminders import *  # noqa: F403
from crm.tasks_tiers import *  # noqa: F403
