"""The credit API: own credit position, receivables and collections for keys with the finance scope."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core import apikeys
from core.permissions import StaffRole
from crm import credit
from tests import factories
from tests.crm.credit_helpers import credit_line, receivable_due

pytestmark = pytest.mark.django_db


def api_for(company, scopes=("finance",)):
    _key, raw = apikeys.issue_api_key(company=company, created_by=factories.main_user_of(company), name="erp",
                                      scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def history(buyer, seller):
    credit_line(buyer, limit="30000.00", term_days=60)
    paid = receivable_due(buyer=buyer, seller=seller, amount="1000.00", days_overdue=10)
    receivable_due(buyer=buyer, seller=seller, amount="4000.00", days_overdue=-3)
    credit.record_collection(by=factories.staff_user(StaffRole.FINANCE), company_id=buyer.pk,
                             received_on=timezone.localdate(), document_number="HK-1", amount="1000.00",
                             receiving_bank="工行", receivable_ids=[paid.pk])
    credit.score_companies()
    return paid


def test_credit_position_with_score_and_reasons(buyer, history):
    body = api_for(buyer).get("/api/v1/crm/credit/").json()
    assert body["has_line"] is True and body["term_days"] == 60
    assert Decimal(body["limit"]) == Decimal("30000.00") and Decimal(body["available"]) == Decimal("26000.00")
    assert Decimal(body["outstanding"]) == Decimal("4000.00") and body["on_hold"] is False
    assert isinstance(body["score"]["score"], int) and body["score"]["band"] in "ABCDE"
    assert all({"code", "text", "points"} <= set(reason) for reason in body["score"]["reasons"])


def test_own_receivables_and_collections_only(buyer, seller, history):
    other = factories.company()
    credit_line(other)
    receivable_due(buyer=other, seller=seller, amount="777.00")
    api = api_for(buyer)
    receivables = api.get("/api/v1/crm/receivables/").json()["results"]
    assert sorted(Decimal(r["amount"]) for r in receivables) == [Decimal("1000.00"), Decimal("4000.00")]
    assert api.get("/api/v1/crm/receivables/", {"status": "open"}).json()["results"][0]["days_overdue"] == 0
    collections = api.get("/api/v1/crm/collections/").json()["results"]
    assert [c["document_number"] for c in collections] == ["HK-1"]
    assert collections[0]["allocations"][0]["receivable"] == history.pk


def test_a_company_without_a_line(buyer):
    body = api_for(buyer).get("/api/v1/crm/credit/").json()
    assert body["has_line"] is False and body["score"] is None and Decimal(body["available"]) == 0


@pytest.mark.parametrize("path", ["/api/v1/crm/credit/", "/api/v1/crm/receivables/", "/api/v1/crm/collections/"])
def test_keys_without_the_finance_scope_are_refused(buyer, path):
    assert api_for(buyer, scopes=("purchasing",)).get(path).status_code == 403
    assert APIClient().get(path).status_code in (401, 403)
