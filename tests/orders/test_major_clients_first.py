"""Priority for major clients in staff queues: a Diamond buyer's transfer, refund, invoice and a
Gold seller's listing come before older items of ordinary companies."""

import pytest
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.models import Product
from crm.models import ClientProfile, Tier
from orders import payments
from tests import factories
from tests.orders.paying_helpers import placed_order, record

pytestmark = pytest.mark.django_db


def test_a_major_clients_transfer_comes_first_in_the_finance_queue(seller):
    ordinary = factories.company(name="普通采购有限公司")
    diamond = factories.company(name="钻石采购有限公司")
    ClientProfile.objects.create(company=diamond, tier=Tier.DIAMOND)
    older = record(placed_order(ordinary, seller))
    newer = record(placed_order(diamond, seller))

    assert list(payments.payment_queue()) == [newer, older]


def test_a_major_sellers_listing_comes_first_in_the_review_queue():
    ordinary, gold = factories.company(name="普通纸业有限公司"), factories.company(name="金牌纸业有限公司")
    ClientProfile.objects.create(company=gold, tier=Tier.GOLD)
    now = timezone.now()
    older = factories.product(seller=ordinary, title="older", status=Product.Status.PENDING_REVIEW,
                              submitted_at=now - timezone.timedelta(days=2))
    newer = factories.product(seller=gold, title="newer", status=Product.Status.PENDING_REVIEW, submitted_at=now)

    assert [item for _kind, item, _at in catalog_selectors.review_queue()] == [newer, older]
