"""A checkout's stock is reserved for all its lines at once: the ledger balances line by line, and
a shortfall on any line names that product and reserves nothing."""

from decimal import Decimal

import pytest
from django.db import transaction

from catalog import selectors
from catalog.models import PriceTier, Product, StockMovement, StockReservation
from catalog.services import ReservationRequest, lock_products, reserve_stock_for_checkout
from core.errors import BusinessRuleError
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_line_is_reserved_and_the_ledger_balances(buyer, seller):
    first = factories.stock(factories.product(seller=seller, title="甲"), "10")
    second = factories.stock(factories.product(seller=seller, title="乙"), "5")

    reservations = reserve_stock_for_checkout(holder=buyer, by=None, requests=[
        ReservationRequest(product_id=second.pk, quantity="2", reference="PO-1"),
        ReservationRequest(product_id=first.pk, quantity="3", reference="PO-1"),
        ReservationRequest(product_id=first.pk, quantity="4", reference="PO-2"),
    ])

    assert [r.quantity for r in reservations] == [Decimal("2"), Decimal("3"), Decimal("4")]
    for product, reserved in ((first, Decimal("7")), (second, Decimal("2"))):
        product.refresh_from_db()
        assert product.stock_reserved == reserved
        assert selectors.ledger_totals(product.pk) == {"on_hand": product.stock_on_hand, "reserved": reserved}
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RESERVATION).count() == 3


def test_a_shortfall_names_the_product_and_reserves_nothing(buyer, seller):
    plenty = factories.stock(factories.product(seller=seller, title="甲"), "10")
    short = factories.stock(factories.product(seller=seller, title="乙"), "1")

    with pytest.raises(BusinessRuleError) as refused, transaction.atomic():
        reserve_stock_for_checkout(holder=buyer, by=None, requests=[
            ReservationRequest(product_id=plenty.pk, quantity="2"), ReservationRequest(product_id=short.pk,
                                                                                       quantity="2")])

    assert refused.value.code == "insufficient_stock" and refused.value.details["product_id"] == short.pk
    assert not StockReservation.objects.exists()
    plenty.refresh_from_db()
    assert plenty.stock_reserved == 0


def test_locked_products_read_as_the_orm_reads_them(seller):
    tiered = factories.product(seller=seller, title="甲", attributes={"克重": 250, "品牌": "晨鸣"})
    PriceTier.objects.create(product=tiered, min_quantity=Decimal("50"), unit_price=Decimal("4500.00"))
    PriceTier.objects.create(product=tiered, min_quantity=Decimal("10"), unit_price=Decimal("4700.00"))
    plain = factories.product(seller=seller, title="乙")

    with transaction.atomic():
        locked = lock_products([plain.pk, tiered.pk, 0], with_price_tiers=True)

    assert list(locked) == sorted([plain.pk, tiered.pk])
    read = Product.objects.get(pk=tiered.pk)
    assert {f.attname: getattr(locked[tiered.pk], f.attname) for f in Product._meta.concrete_fields
            if f.name != "search_vector"} == {f.attname: getattr(read, f.attname)
                                               for f in Product._meta.concrete_fields if f.name != "search_vector"}
    assert locked[tiered.pk].attributes == {"克重": 250, "品牌": "晨鸣"}
    assert [t.min_quantity for t in locked[tiered.pk].price_tiers.all()] == [Decimal("10"), Decimal("50")]
    assert list(locked[plain.pk].price_tiers.all()) == []
