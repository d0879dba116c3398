"""100 buyers race for the last 10 units: exactly 10 orders, and the ledger still balances.

All 100 checkouts start together from a barrier, each on its own database connection; at most
40 hold a connection at once, because the shared test server allows 100 clients in all."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from catalog import selectors as catalog_selectors
from catalog.models import StockReservation
from core.errors import BusinessRuleError
from orders import services
from orders.models import Order
from tests import factories
from tests.orders.buying_helpers import stocked


@pytest.mark.django_db(transaction=True)
def test_hundred_concurrent_checkouts_of_the_last_ten_units():
    seller = factories.company(name="并发测试卖家有限公司")
    product = stocked(seller, "10", price="100.00")
    buyers = [factories.main_user_of(factories.company(name=f"并发买家{n}有限公司")) for n in range(100)]
    start, outcomes, lock = threading.Barrier(100), [], threading.Lock()
    connections = threading.BoundedSemaphore(40)

    def checkout(user):
        start.wait()
        with connections:
            try:
                services.place_orders(by=user, items=[(product.pk, "1")])
                result = "ok"
            except BusinessRuleError as refusal:
                result = refusal.code
            finally:
                connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=checkout, args=(user,)) for user in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 10
    assert set(outcomes) == {"ok", "insufficient_stock"}
    assert Order.objects.filter(seller=seller).count() == 10
    assert Order.objects.values("number").distinct().count() == 10
    product.refresh_from_db()
    assert (product.stock_on_hand, product.stock_reserved) == (10, 10)
    assert catalog_selectors.ledger_totals(product.pk) == {"on_hand": Decimal("10"), "reserved": Decimal("10")}
    assert StockReservation.objects.filter(product=product, status="active").count() == 10
