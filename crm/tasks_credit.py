"""Scheduled jobs of this part; each calls one service and is safe to run twice."""

from celery import shared_task


@shared_task
def score_companies():
    """Weekly: score every verified company with the active scorecard (one score a day at most)."""
    from crm.credit import score_companies as run

    return run()


@shared_task
def remind_overdue_receivables():
    """Daily: overdue reminders, at most one a day per receivable."""
    from crm.credit import remind_overdue_receivables as run

    return run()


@shared_task
def apply_credit_holds():
    """Daily: hold credit lines past the overdue limit, release them when paid."""
    from crm.credit import apply_credit_holds as run

    return run()
