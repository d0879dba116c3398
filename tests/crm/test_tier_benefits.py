"""What a buyer sees of its tier: the member page and the API."""

from decimal import Decimal

import pytest
from django.utils import timezone

from core import apikeys
from crm import tiers
from crm.models import Tier
from tests import factories
from tests.crm.tiers_helpers import purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip_buyer(seller, buyer):
    now = timezone.now()
    purchase(buyer=buyer, seller=seller, total="150000.00", days_ago=1, now=now)
    tiers.review_tiers(now=now)
    return buyer


def test_benefits_page_shows_tier_progress_and_rebates(client, vip_buyer):
    client.force_login(factories.main_user_of(vip_buyer))
    response = client.get("/member/crm/benefits/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "VIP 客户" in page
    assert "¥150,000.00" in page
    assert "距离金牌客户（近 12 个月采购额 ¥200,000.00）还差 <strong>¥50,000.00</strong>" in page
    assert "库存预留" in page and "可申请账期" in page
    assert "¥7,500.00" in page  # 5 % of 150,000 accrued by the review


def test_benefits_page_needs_a_company(client):
    client.force_login(factories.UserFactory())
    assert client.get("/member/crm/benefits/").status_code == 403


def test_sub_account_without_permissions_sees_its_company_benefits(client, vip_buyer):
    client.force_login(factories.sub_account(vip_buyer, []))
    assert client.get("/member/crm/benefits/").status_code == 200


def test_api_returns_own_tier_with_any_key(client, vip_buyer):
    _key, raw = apikeys.issue_api_key(company=vip_buyer, created_by=factories.main_user_of(vip_buyer),
                                      name="erp", scopes=["reports"])
    response = client.get("/api/v1/crm/tier/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["tier"] == Tier.VIP
    assert Decimal(data["purchases_12m"]) == Decimal("150000.00")
    assert data["next_tier"]["tier"] == Tier.GOLD
    assert Decimal(data["next_tier"]["gap"]) == Decimal("50000.00")
    assert data["benefits"]["credit_terms"] is True
    assert data["benefits"]["chief_manager"] is False
    assert [(a["year"], Decimal(a["amount"])) for a in data["rebate_accruals"]] == [
        (timezone.localdate().year, Decimal("7500.00"))]


def test_api_refuses_callers_without_a_company(client):
    client.force_login(factories.UserFactory())
    assert client.get("/api/v1/crm/tier/").status_code == 403
    client.logout()
    assert client.get("/api/v1/crm/tier/").status_code in (401, 403)


def test_ordinary_company_has_no_benefits_and_vip_next(client, buyer):
    client.force_login(factories.main_user_of(buyer))
    data = client.get("/api/v1/crm/tier/").json()
    assert data["tier"] == Tier.ORDINARY
    assert data["next_tier"]["tier"] == Tier.VIP
    assert not any(data["benefits"].values())
