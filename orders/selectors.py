import copy
from datetime import timedelta

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from core.cache import version
from orders.models import CartItem, Order, OrderAdjustment, OrderMessage, OrderSettings

OPEN = [Order.Status.AWAITING_APPROVAL, Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.SHIPPED,
        Order.Status.RECEIVED, Order.Status.IN_DISPUTE]
COUNTED = [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.RECEIVED, Order.Status.COMPLETED]


# The seller sees an order once the buyer's own approval is done.
SELLER_VISIBLE = ~Q(status=Order.Status.AWAITING_APPROVAL)


def orders_for_company(*, company, status="", side=""):
    """Orders the company bought (side="buyer"), sold ("seller") or both, newest first: the
    company-scoped base for every listing. Orders waiting for the buyer's internal approval
    are the buyer's alone."""
    sides = {"buyer": Q(buyer=company), "seller": Q(seller=company) & SELLER_VISIBLE}
    either = Q(buyer=company) | (Q(seller=company) & SELLER_VISIBLE)
    orders = Order.objects.filter(sides.get(side, either)).select_related("buyer", "seller")
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-placed_at", "-id")


def orders_for_buyer(*, buyer):
    return Order.objects.filter(buyer=buyer).select_related("seller").order_by("-placed_at", "-id")


def orders_for_seller(*, seller):
    return Order.objects.filter(SELLER_VISIBLE, seller=seller).select_related("buyer").order_by("-placed_at", "-id")


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


SETTINGS_NAMESPACE = "order-settings"
_settings_seen = {}  # {settings version: OrderSettings}, the latest one only


def order_settings() -> OrderSettings:
    """The one OrderSettings row (defaults until staff change them). Checkout asks on every
    order, so each process keeps the row for the current version (saving it bumps the version;
    `orders.apps`). Callers get their own copy to change."""
    current = version(SETTINGS_NAMESPACE)
    row = _settings_seen.get(current)
    if row is None:
        row = OrderSettings.objects.get_or_create(pk=1)[0]
        _settings_seen.clear()
        _settings_seen[current] = row
    return copy.copy(row)


def filter_orders(orders, *, status="", counterparty="", number="", since=None, until=None):
    """The filters of every order list: status, the other company's name, order number (or
    remittance reference), and a date range on the placing date."""
    if status:
        orders = orders.filter(status=status)
    if counterparty:
        orders = orders.filter(Q(seller__name__icontains=counterparty) | Q(buyer__name__icontains=counterparty)
                               | Q(seller_snapshot__name__icontains=counterparty)
                               | Q(buyer_snapshot__name__icontains=counterparty))
    if number:
        number = number.strip()
        orders = orders.filter(Q(number__icontains=number) | Q(remittance_reference__iexact=number))
    if since:
        orders = orders.filter(placed_at__date__gte=since)
    if until:
        orders = orders.filter(placed_at__date__lte=until)
    return orders


def buyer_orders(*, company, **filters):
    return filter_orders(orders_for_company(company=company, side="buyer"), **filters)


def seller_orders(*, company, **filters):
    return filter_orders(orders_for_company(company=company, side="seller"), **filters)


def staff_orders(*, text="", status="", since=None, until=None):
    """Every order, for staff search: number, reference, either company's name or credit code."""
    orders = Order.objects.select_related("buyer", "seller").order_by("-placed_at", "-id")
    if text:
        text = text.strip()
        orders = orders.filter(
            Q(number__icontains=text) | Q(remittance_reference__iexact=text) | Q(buyer__name__icontains=text)
            | Q(seller__name__icontains=text) | Q(buyer__unified_social_credit_code__iexact=text)
            | Q(seller__unified_social_credit_code__iexact=text))
    return filter_orders(orders, status=status, since=since, until=until)


def order_page(orders):
    """What an order detail page shows with the order: lines, messages, adjustments."""
    return orders.select_related("placed_by", "approved_by").prefetch_related(
        "lines__reservation",
        Prefetch("messages", queryset=OrderMessage.objects.select_related("author")),
        Prefetch("adjustments", queryset=OrderAdjustment.objects.select_related("proposed_by", "decided_by")))


def open_adjustment(order):
    return next((a for a in order.adjustments.all() if a.status == OrderAdjustment.Status.PROPOSED), None)


def awaiting_approval(*, company):
    """Sub-accounts' orders waiting for the main account, oldest first."""
    return Order.objects.filter(buyer=company, status=Order.Status.AWAITING_APPROVAL).select_related(
        "seller", "placed_by").order_by("placed_at", "id")


def cart_items(*, user):
    return CartItem.objects.filter(user=user).select_related("product__seller", "product__category").prefetch_related(
        "product__price_tiers").order_by("product__seller_id", "added_at", "id")


def cart_for(*, user):
    """The member's cart grouped by seller, each line with its tier unit price, amount and whether
    it can be ordered now (published, in stock, seller taking orders)."""
    from accounts.rules import Activity, company_may
    from catalog.models import Product
    from catalog.pricing import unit_price_for
    from core.money import to_money

    groups = {}
    for item in cart_items(user=user):
        product = item.product
        unit_price = unit_price_for(product, item.quantity, list(product.price_tiers.all()))
        problem = ""
        if product.status != Product.Status.PUBLISHED:
            problem = "unavailable"
        elif not company_may(product.seller, Activity.ACCEPT_ORDERS):
            problem = "seller"
        elif item.quantity < product.min_order_quantity:
            problem = "moq"
        elif item.quantity > product.stock_available:
            problem = "stock"
        group = groups.setdefault(product.seller_id, {"seller": product.seller, "items": [], "subtotal": 0})
        line = {"item": item, "product": product, "unit_price": unit_price,
                "amount": to_money(unit_price * item.quantity), "problem": problem}
        group["items"].append(line)
        group["subtotal"] = to_money(group["subtotal"] + line["amount"])
    return list(groups.values())
