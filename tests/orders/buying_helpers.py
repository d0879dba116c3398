"""Helpers for the buying tests: a stocked product, a placed order, a sub-account with a limit."""

from decimal import Decimal

from catalog.models import PriceTier
from orders import services
from tests import factories


def stocked(seller, quantity="100", *, price="4800.00", moq="1", tiers=(), **kwargs):
    product = factories.product(seller=seller, price=price, min_order_quantity=Decimal(moq), **kwargs)
    for min_quantity, unit_price in tiers:
        PriceTier.objects.create(product=product, min_quantity=Decimal(min_quantity), unit_price=Decimal(unit_price))
    return factories.stock(product, quantity)


def place(buyer_user, product, quantity="10", **kwargs):
    """One order for one product, through checkout."""
    return services.place_orders(by=buyer_user, items=[(product.pk, quantity)], **kwargs)[0]


def sub_with_limit(company, limit, permissions=("purchasing",)):
    user = factories.sub_account(company, list(permissions))
    membership = user.membership
    membership.purchase_approval_limit = None if limit is None else Decimal(limit)
    membership.save(update_fields=["purchase_approval_limit"])
    user.refresh_from_db()
    return user
