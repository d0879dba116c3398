"""Scheduled jobs of this part; each calls one service and is safe to run twice."""

from celery import shared_task
from django.utils import timezone

__all__ = ["accrue_rebates", "create_quarterly_review_tasks", "review_tiers"]


@shared_task
def review_tiers():
    """Nightly tier review (it accrues the year's rebates too)."""
    from crm import tiers

    review = tiers.review_tiers()
    return {"review": review.pk, "companies": review.companies_reviewed, "changes": review.changes}


@shared_task
def accrue_rebates():
    """Monthly rebate accrual for the current year (and the last one in January)."""
    from crm import tiers

    return {year: tiers.accrue_rebates(year=year) for year in tiers.rebate_years_due(timezone.localdate())}


@shared_task
def create_quarterly_review_tasks():
    """Quarterly review tasks for account managers; daily catch-up creates only missing ones."""
    from crm import managers

    return len(managers.create_quarterly_review_tasks())
