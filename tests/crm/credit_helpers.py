"""Builders for the credit tests: major clients, credit lines, on-account orders and receivables."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from crm import credit
from crm.models import ClientProfile, CreditLine, Receivable, Tier
from orders.models import Order
from tests import factories


def client_of_tier(tier=Tier.GOLD, **kwargs):
    company = factories.company(**kwargs)
    ClientProfile.objects.update_or_create(company=company, defaults={"tier": tier})
    return company


def credit_line(company, limit="10000.00", term_days=30, outstanding="0.00", **kwargs):
    return CreditLine.objects.create(company=company, limit=Decimal(limit), term_days=term_days,
                                     outstanding=Decimal(outstanding), **kwargs)


def on_account_order(*, buyer, seller, total="1000.00", **kwargs):
    kwargs.setdefault("status", Order.Status.PAID)
    return factories.order(buyer=buyer, seller=seller, total=total, payment_method=Order.PaymentMethod.ON_ACCOUNT,
                           **kwargs)


def receivable_due(*, buyer, seller, amount="1000.00", days_overdue=0) -> Receivable:
    """An on-account order reserved on the buyer's line, its due date moved `days_overdue` days back."""
    order = on_account_order(buyer=buyer, seller=seller, total=amount)
    receivable = credit.reserve_credit(order=order)
    due_on = timezone.localdate() - timedelta(days=days_overdue)
    Receivable.objects.filter(pk=receivable.pk).update(due_on=due_on, issued_on=due_on - timedelta(days=30))
    receivable.refresh_from_db()
    return receivable
