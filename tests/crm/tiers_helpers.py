"""Helpers for the tier, rebate and account-manager tests."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from orders.models import Order
from tests import factories

NOW = datetime(2026, 5, 15, 10, 0, tzinfo=timezone.get_current_timezone())


def purchase(*, buyer, seller, total, days_ago=30, status=Order.Status.COMPLETED, refunded="0", now=NOW,
             paid=True):
    """A counted purchase paid `days_ago` days before `now` (placed a day earlier)."""
    paid_at = now - timedelta(days=days_ago)
    total = Decimal(str(total))
    return factories.order(
        buyer=buyer, seller=seller, total=str(total), status=status,
        placed_at=paid_at - timedelta(days=1), paid_at=paid_at if paid else None,
        amount_paid=total if paid else Decimal("0"), amount_refunded=Decimal(refunded),
    )


def account_manager(**kwargs):
    return factories.staff_user("account_manager", **kwargs)


def administrator(**kwargs):
    return factories.staff_user("administrator", **kwargs)


def company_aged(*, name, years, now=NOW, days=0):
    """A verified company on the platform for `years` years (and `days` more)."""
    company = factories.company(name=name)
    verified = now.replace(year=now.year - years) - timedelta(days=days)
    type(company).objects.filter(pk=company.pk).update(verified_at=verified, created_at=verified)
    company.refresh_from_db()
    return company
