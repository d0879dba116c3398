from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from orders.models import Order

COUNTED = [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.RECEIVED, Order.Status.COMPLETED]


def orders_for_company(*, company, status=""):
    """Orders the company bought or sold, newest first: the company-scoped base for every listing."""
    orders = Order.objects.filter(Q(buyer=company) | Q(seller=company)).select_related("buyer", "seller")
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-placed_at", "-id")


def orders_for_buyer(*, buyer):
    return Order.objects.filter(buyer=buyer).select_related("seller").order_by("-placed_at", "-id")


def orders_for_seller(*, seller):
    return Order.objects.filter(seller=seller).select_related("buyer").order_by("-placed_at", "-id")


def sales_summary(*, seller, days=365):
    since = timezone.now() - timedelta(days=days)
    return Order.objects.filter(seller=seller, status__in=COUNTED, placed_at__gte=since).aggregate(
        orders=Count("id"), amount=Sum("total"),
    )


def purchases_summary(*, buyer, days=365):
    since = timezone.now() - timedelta(days=days)
    return Order.objects.filter(buyer=buyer, status__in=COUNTED, placed_at__gte=since).aggregate(
        orders=Count("id"), amount=Sum("total"),
    )
