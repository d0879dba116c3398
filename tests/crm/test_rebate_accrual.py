"""Rebates: the year's purchases on the ladder, accrued idempotently; the statement PDF."""

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm import tiers
from crm.models import RebateAccrual, RebateRule
from orders.models import Order
from tests import factories
from tests.crm.tiers_helpers import NOW, purchase

pytestmark = pytest.mark.django_db


def test_default_ladder_comes_from_the_seed():
    assert list(RebateRule.objects.values_list("min_annual_purchases", "rate_percent")) == [
        (Decimal("100000.00"), Decimal("5.00"))]


@pytest.mark.parametrize(("amount", "rate", "rebate"), [
    ("99999.99", "0.00", "0.00"), ("100000.00", "5.00", "5000.00"), ("123456.78", "5.00", "6172.84"),
])
def test_rate_follows_the_ladder_at_the_threshold(seller, buyer, amount, rate, rebate):
    purchase(buyer=buyer, seller=seller, total=amount, days_ago=10)
    tiers.accrue_rebates(year=2026, now=NOW)
    accrual = RebateAccrual.objects.get(company=buyer, year=2026)
    assert (accrual.purchases, accrual.rate_percent, accrual.amount) == (
        Decimal(amount), Decimal(rate), Decimal(rebate))


def test_higher_step_wins(seller, buyer):
    RebateRule.objects.create(min_annual_purchases=Decimal("1000000.00"), rate_percent=Decimal("6.50"))
    purchase(buyer=buyer, seller=seller, total="1000000.00", days_ago=10)
    tiers.accrue_rebates(year=2026, now=NOW)
    assert RebateAccrual.objects.get(company=buyer).amount == Decimal("65000.00")


def test_accrual_is_idempotent(seller, buyer):
    purchase(buyer=buyer, seller=seller, total="150000.00", days_ago=10)
    assert tiers.accrue_rebates(year=2026, now=NOW) == 1
    assert tiers.accrue_rebates(year=2026, now=NOW) == 0
    assert RebateAccrual.objects.filter(company=buyer).count() == 1
    assert RebateAccrual.objects.get(company=buyer).amount == Decimal("7500.00")


def test_only_the_calendar_year_counts(seller, buyer):
    tz = timezone.get_current_timezone()
    last_of_2025 = datetime(2025, 12, 31, 23, 59, tzinfo=tz)
    first_of_2026 = datetime(2026, 1, 1, 0, 0, tzinfo=tz)
    for paid_at, total in ((last_of_2025, "90000.00"), (first_of_2026, "100000.00")):
        order = purchase(buyer=buyer, seller=seller, total=total)
        Order.objects.filter(pk=order.pk).update(paid_at=paid_at, placed_at=paid_at - timedelta(hours=1))
    tiers.accrue_rebates(year=2026, now=NOW)
    tiers.accrue_rebates(year=2025, now=NOW)
    assert RebateAccrual.objects.get(company=buyer, year=2026).purchases == Decimal("100000.00")
    assert RebateAccrual.objects.get(company=buyer, year=2025).amount == Decimal("0.00")


def test_refunds_after_accrual_lower_it_on_the_next_run(seller, buyer):
    order = purchase(buyer=buyer, seller=seller, total="100000.00", days_ago=10)
    tiers.accrue_rebates(year=2026, now=NOW)
    Order.objects.filter(pk=order.pk).update(amount_refunded=Decimal("0.01"))
    tiers.accrue_rebates(year=2026, now=NOW)
    accrual = RebateAccrual.objects.get(company=buyer)
    assert (accrual.rate_percent, accrual.amount) == (Decimal("0.00"), Decimal("0.00"))

    Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUNDED, amount_refunded=Decimal("100000.00"))
    tiers.accrue_rebates(year=2026, now=NOW)
    assert RebateAccrual.objects.get(company=buyer).purchases == Decimal("0.00")


def test_review_accrues_the_current_year(seller, buyer):
    purchase(buyer=buyer, seller=seller, total="100000.00", days_ago=10)
    tiers.review_tiers(now=NOW)
    assert RebateAccrual.objects.get(company=buyer, year=2026).amount == Decimal("5000.00")


def test_invalid_year_is_refused():
    with pytest.raises(Exception, match="年度无效"):
        tiers.accrue_rebates(year=1990)


def test_statement_pdf_lists_the_company_and_its_orders(client, seller, buyer):
    from pypdf import PdfReader

    now = timezone.now()
    order = purchase(buyer=buyer, seller=seller, total="120000.00", days_ago=1, now=now)
    client.force_login(factories.main_user_of(buyer))
    year = timezone.localdate(order.paid_at).year
    response = client.get(f"/member/crm/benefits/statements/{year}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert buyer.name in text
    assert order.number in text
    assert "6,000.00" in text


def test_statement_needs_a_company_member(client):
    client.force_login(factories.UserFactory())
    assert client.get("/member/crm/benefits/statements/2026/").status_code == 403
