"""Celery tasks of clearing runs; each calls one service in debt.runs and is safe to run twice."""

from celery import shared_task

__all__ = ["apply_clearing_run_task", "lapse_overdue_clearing_runs", "plan_clearing_run_task",
           "resume_stalled_clearing_runs", "start_scheduled_clearing_run"]


@shared_task(name="debt.tasks.plan_clearing_run")
def plan_clearing_run_task(*, run_id):
    from debt.runs import plan_clearing_run

    return plan_clearing_run(run_id=run_id).status


@shared_task(name="debt.tasks.apply_clearing_run")
def apply_clearing_run_task(*, run_id):
    from debt.runs import apply_clearing_run

    return apply_clearing_run(run_id=run_id).status


@shared_task(name="debt.tasks.start_scheduled_clearing_run")
def start_scheduled_clearing_run():
    """The weekly run; skipped while one is still in progress."""
    from core.errors import Conflict
    from debt.runs import start_clearing_run

    try:
        return start_clearing_run(by=None).pk
    except Conflict:
        return None


@shared_task(name="debt.tasks.lapse_overdue_clearing_runs")
def lapse_overdue_clearing_runs():
    from debt.runs import lapse_overdue_clearing_runs as lapse

    return lapse()


@shared_task(name="debt.tasks.resume_stalled_clearing_runs")
def resume_stalled_clearing_runs():
    from debt.runs import resume_stalled_clearing_runs as resume

    return resume()
