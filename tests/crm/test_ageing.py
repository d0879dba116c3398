"""The ageing report: open balances by days overdue, at the bucket boundaries."""

from decimal import Decimal

import pytest

from core.permissions import StaffRole
from crm import credit
from tests import factories
from tests.crm.credit_helpers import credit_line, receivable_due

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("days", "bucket"), [
    (-1, "not_due"), (0, "days_0_30"), (30, "days_0_30"), (31, "days_31_60"), (60, "days_31_60"),
    (61, "days_61_90"), (90, "days_61_90"), (91, "days_90_plus"),
])
def test_bucket_boundaries(buyer, seller, days, bucket):
    credit_line(buyer, limit="100000.00")
    receivable_due(buyer=buyer, seller=seller, amount="1000.00", days_overdue=days)
    rows, totals = credit.ageing_report()
    assert credit.ageing_bucket(days) == bucket
    [row] = rows
    assert row[bucket] == Decimal("1000.00") and row["total"] == Decimal("1000.00")
    assert sum(row[key] for key, _label in credit.AGEING_BUCKETS) == Decimal("1000.00")
    assert totals[bucket] == Decimal("1000.00")


def test_report_per_customer_and_total_counts_open_balances_only(buyer, seller):
    other = factories.company()
    for company in (buyer, other):
        credit_line(company, limit="100000.00")
    receivable_due(buyer=buyer, seller=seller, amount="1000.00", days_overdue=45)
    part_paid = receivable_due(buyer=buyer, seller=seller, amount="500.00", days_overdue=100)
    part_paid.settled = Decimal("200.00")
    part_paid.save(update_fields=["settled"])
    receivable_due(buyer=other, seller=seller, amount="700.00", days_overdue=10)
    settled = receivable_due(buyer=other, seller=seller, amount="900.00", days_overdue=10)
    settled.status, settled.settled = settled.Status.SETTLED, settled.amount
    settled.save(update_fields=["status", "settled"])

    rows, totals = credit.ageing_report()
    by_company = {row["company_id"]: row for row in rows}
    assert by_company[buyer.pk]["days_31_60"] == Decimal("1000.00")
    assert by_company[buyer.pk]["days_90_plus"] == Decimal("300.00")
    assert by_company[other.pk]["days_0_30"] == Decimal("700.00")
    assert totals["total"] == Decimal("2000.00") and totals["count"] == 3


def test_finance_downloads_the_ageing_report_as_csv(client, buyer, seller):
    credit_line(buyer, limit="100000.00")
    receivable_due(buyer=buyer, seller=seller, amount="1234.50", days_overdue=61)
    client.force_login(factories.staff_user(StaffRole.FINANCE))
    page = client.get("/backoffice/crm/ageing/")
    assert page.status_code == 200 and buyer.name in page.content.decode()
    response = client.get("/backoffice/crm/ageing/", {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else \
        response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    lines = body.strip().splitlines()
    assert "61–90 天" in lines[0]
    assert buyer.name in lines[1] and "1234.50" in lines[1]
    assert lines[-1].startswith("合计")


def test_the_ageing_report_is_for_finance_only(client):
    client.force_login(factories.staff_user(StaffRole.ACCOUNT_MANAGER))
    assert client.get("/backoffice/crm/ageing/").status_code == 403


def test_an_absurd_as_of_date_falls_back_to_today(client):

    client.force_login(factories.staff_user("finance"))
    assert client.get("/backoffice/crm/ageing/?as_of=0001-01-01").status_code == 200


def test_an_odd_manager_filter_is_ignored(client):

    client.force_login(factories.staff_user("administrator"))
    assert client.get("/backoffice/crm/clients/?manager=%C2%B2").status_code == 200
