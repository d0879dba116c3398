"""The stock ledger: every movement recorded, totals never negative, concurrent reservations safe."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from catalog import selectors, services
from catalog.models import StockReservation
from core.errors import BusinessRuleError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return factories.company()


def test_ledger_lines_add_up_to_the_totals(seller):
    product = factories.stock(factories.product(seller=seller), "100")
    main = factories.main_user_of(seller)
    services.issue_stock(by=main, product_id=product.pk, quantity="30", reason="样品")
    services.adjust_stock(by=main, product_id=product.pk, counted="65", reason="月末盘点")
    buyer = factories.company()
    services.reserve_for_client(by=main, product_id=product.pk, holder=buyer, quantity="20",
                                expires_at=timezone.now() + timedelta(days=7), note="年度框架协议")

    product.refresh_from_db()
    assert (product.stock_on_hand, product.stock_reserved, product.stock_available) == (65, 20, 45)
    assert selectors.ledger_totals(product.pk) == {"on_hand": Decimal("65"), "reserved": Decimal("20")}
    kinds = list(selectors.stock_movements(product).values_list("kind", "actor__email"))
    assert [kind for kind, _ in kinds] == ["reservation", "adjustment", "out", "in"]
    assert all(email == main.email for _, email in kinds)


def test_stock_out_beyond_available_is_refused(seller):
    product = factories.stock(factories.product(seller=seller), "10")
    with pytest.raises(BusinessRuleError, match="库存不足"):
        services.issue_stock(by=factories.main_user_of(seller), product_id=product.pk, quantity="10.001",
                             reason="出库")
    product.refresh_from_db()
    assert product.stock_on_hand == 10


def test_count_below_reserved_is_refused(seller):
    product = factories.stock(factories.product(seller=seller), "10")
    services.reserve_stock(product_id=product.pk, holder=factories.company(), quantity="8", by=None)
    with pytest.raises(BusinessRuleError, match="库存不足"):
        services.adjust_stock(by=factories.main_user_of(seller), product_id=product.pk, counted="5", reason="盘点")


def test_expired_reservations_are_released_once(seller):
    product = factories.stock(factories.product(seller=seller), "10")
    reservation = services.reserve_for_client(
        by=factories.main_user_of(seller), product_id=product.pk, holder=factories.company(), quantity="4",
        expires_at=timezone.now() + timedelta(hours=1))

    assert services.expire_reservations(now=timezone.now() + timedelta(hours=2)) == 1
    assert services.expire_reservations(now=timezone.now() + timedelta(hours=2)) == 0
    reservation.refresh_from_db()
    product.refresh_from_db()
    assert reservation.status == StockReservation.Status.EXPIRED and product.stock_reserved == 0


def test_consumed_reservation_leaves_the_warehouse(seller):
    product = factories.stock(factories.product(seller=seller), "10")
    reservation = services.reserve_stock(product_id=product.pk, holder=factories.company(), quantity="3", by=None)
    services.consume_reservation(reservation_id=reservation.pk, by=None, reference="PO-1")
    product.refresh_from_db()
    assert (product.stock_on_hand, product.stock_reserved) == (7, 0)


@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_reserving_the_last_ten_units_at_once():
    seller = factories.company()
    product = factories.stock(factories.product(seller=seller), "10")
    buyer = factories.company()
    start, outcomes = threading.Barrier(50), []

    def reserve():
        try:
            start.wait()
            services.reserve_stock(product_id=product.pk, holder=buyer, quantity="1", by=None)
            outcomes.append("ok")
        except BusinessRuleError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    product.refresh_from_db()
    assert outcomes.count("ok") == 10 and outcomes.count("refused") == 40
    assert (product.stock_on_hand, product.stock_reserved) == (10, 10)
    assert selectors.ledger_totals(product.pk) == {"on_hand": Decimal("10"), "reserved": Decimal("10")}
    assert StockReservation.objects.filter(product=product, status="active").count() == 10
