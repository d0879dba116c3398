"""Celery tasks of this part; each calls one service and is safe to run twice."""

from celery import shared_task

__all__ = ["remind_due_instalments", "sync_goods_settlements"]


@shared_task
def remind_due_instalments():
    """Daily: mark overdue instalments, remind debtors (at most once per instalment per day) and
    default plans overdue beyond the threshold."""
    from debt.cases import remind_due_instalments as remind

    return remind()


@shared_task
def sync_goods_settlements():
    """Every 15 minutes: settlements follow their orders (shipped → delivered, signed → settled)."""
    from debt.cases import sync_goods_settlements as sync

    return sync()
