"""What a buyer pays per unit. The major-clients issue adds tier benefits here."""

from decimal import Decimal

from core.money import to_money


def unit_price_for(product, quantity: Decimal, tiers=None) -> Decimal:
    """The tier price for the largest tier `quantity` reaches, else the list price.

    Pass `tiers` (sorted by min_quantity) when they are already loaded, to spare a query.
    """
    tiers = list(product.price_tiers.all()) if tiers is None else tiers
    price = product.price
    for tier in tiers:
        if quantity >= tier.min_quantity:
            price = min(price, tier.unit_price)
    return to_money(price)
