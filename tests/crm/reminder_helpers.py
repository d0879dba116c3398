"""Purchase history for the reminder and volume-alert tests: counted orders on chosen local dates."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from orders.models import Order, OrderLine
from tests import factories


def at(day: date, hour=10):
    """A local (Asia/Shanghai) moment on `day`, never in the future (early morning runs)."""
    moment = timezone.make_aware(datetime.combine(day, time(hour)))
    earliest_today = timezone.make_aware(datetime.combine(day, time(0)))
    return max(min(moment, timezone.now() - timedelta(seconds=1)), earliest_today) if day == today() else moment


def today():
    return timezone.localdate()


def days_ago(n):
    return today() - timedelta(days=n)


def purchase(buyer, seller, on: date, *, product=None, category=None, quantity="5", total="10000.00",
             status=Order.Status.COMPLETED, **order_fields):
    """One counted order placed (and paid) on `on`, with a line of `product` (its category by default)."""
    order = factories.order(buyer=buyer, seller=seller, total=total, status=status, placed_at=at(on),
                            paid_at=at(on, 11), **order_fields)
    if product is not None or category is not None:
        OrderLine.objects.create(
            order=order, product=product, category=category if category is not None else product.category,
            title=product.title if product is not None else "类目商品", unit="吨", quantity=Decimal(quantity),
            unit_price=Decimal("1000.00"), amount=Decimal(quantity) * 1000,
        )
    return order


def history(buyer, seller, product, gaps, *, last: date, **kwargs):
    """Purchases of `product` ending on `last`, separated by `gaps` (days, oldest first)."""
    days = [last]
    for gap in reversed(gaps):
        days.insert(0, days[0] - timedelta(days=gap))
    return [purchase(buyer, seller, day, product=product, **kwargs) for day in days]
