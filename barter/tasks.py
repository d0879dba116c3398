"""Barter jobs. Each takes ids (or nothing), calls one service and is safe to run twice."""

from celery import shared_task


@shared_task(name="barter.tasks.run_matching")
def run_matching(*, run_id):
    from barter.runs import run_matching as run

    return run(run_id=run_id).status


@shared_task(name="barter.tasks.watch_stalled_matching_runs")
def watch_stalled_matching_runs():
    from barter.runs import watch_stalled_matching_runs as watch

    return watch()


@shared_task(name="barter.tasks.start_daily_matching_run")
def start_daily_matching_run():
    from barter.runs import start_matching_run
    from core.errors import Conflict

    try:
        return start_matching_run(by=None).pk
    except Conflict:  # a run is already going; today's book is matched by it
        return None


@shared_task(name="barter.tasks.expire_listings")
def expire_listings():
    from barter.services import expire_listings as expire

    return expire()


@shared_task(name="barter.tasks.lapse_overdue_proposals")
def lapse_overdue_proposals():
    from barter.services import lapse_overdue_proposals as lapse

    return lapse()


@shared_task(name="barter.tasks.follow_executing_deals")
def follow_executing_deals():
    from barter.services import follow_executing_deals as follow

    return follow()
