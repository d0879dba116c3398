from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from orders.models import Order

OPEN = [Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.SHIPPED, Order.Status.RECEIVED]
COUNTED = [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.RECEIVED, Order.Status.COMPLETED]


def orders_for_company(*, company, status="", side=""):
    """Orders the company bought (side="buyer"), sold ("seller") or both, newest first: the
    company-scoped base for every listing."""
    sides = {"buyer": Q(buyer=company), "seller": Q(seller=company)}
    orders = Order.objects.filter(sides.get(side, Q(buyer=company) | Q(seller=company))).select_related(
        "buyer", "seller")
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


def open_orders(*, company):
    """Orders, bought or sold, that have not reached an end (completed, cancelled, refunded)."""
    return Order.objects.filter(Q(buyer=company) | Q(seller=company), status__in=OPEN)


def open_refunds(*, company):
    return Order.objects.filter(Q(buyer=company) | Q(seller=company), status=Order.Status.REFUND_REQUESTED)
