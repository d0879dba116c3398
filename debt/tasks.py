"""Scheduled and on-demand debt jobs (Celery autodiscovers this module)."""

from debt.tasks_cases import *  # noqa: F403
from debt.tasks_clearing import *  # noqa: F403
