"""The catalogue over the API: search for any key; listings, review and stock for a seller key."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog import services
from core import apikeys
from core.permissions import StaffRole
from tests import factories
from tests.factories import staff_user

pytestmark = pytest.mark.django_db


def api_for(company, scopes=(), user=None):
    user = user or factories.main_user_of(company)
    _key, raw = apikeys.issue_api_key(company=company, created_by=user, name="erp", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


LISTING = {"title": "鲁丰 250g 白卡纸", "category": "ivory-board", "price": "4850.00", "min_order_quantity": "10",
           "attributes": {"克重": "250"}, "tiers": [{"min_quantity": "30", "unit_price": "4750.00"}]}


@pytest.fixture
def seller():
    factories.category()
    return factories.company()


def test_seller_key_lists_a_product_and_a_reviewer_publishes_it(seller):
    api = api_for(seller, ["products"])
    created = api.post("/api/v1/seller/products/", {**LISTING, "submit": True}, format="json",
                       HTTP_IDEMPOTENCY_KEY="listing-1")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "pending_review"
    replay = api.post("/api/v1/seller/products/", {**LISTING, "submit": True}, format="json",
                      HTTP_IDEMPOTENCY_KEY="listing-1")
    assert replay.json()["id"] == created.json()["id"]

    services.review_listing(reviewer=staff_user(StaffRole.REVIEWER), product_id=created.json()["id"], approve=True)

    buyer_api = api_for(factories.company())
    found = buyer_api.get("/api/v1/products/", {"q": "白卡纸"}).json()
    assert [item["title"] for item in found["results"]] == ["鲁丰 250g 白卡纸"]


def test_key_without_products_scope_is_refused(seller):
    response = api_for(seller, ["purchasing"]).post("/api/v1/seller/products/", LISTING, format="json")
    assert response.status_code == 403


def test_unverified_seller_is_refused_over_the_api():
    factories.category()
    applying = factories.company(status=factories.Company.Status.APPLYING)
    response = api_for(applying, ["products"]).post("/api/v1/seller/products/", LISTING, format="json")
    assert response.status_code == 403
    assert "审核" in response.json()["error"]["message"]


def test_bad_listing_gets_field_errors(seller):
    response = api_for(seller, ["products"]).post("/api/v1/seller/products/", {**LISTING, "price": "0"}, format="json")
    assert response.status_code == 422
    assert "price" in response.json()["error"]["details"]


def test_other_companies_listings_are_invisible(seller):
    product = factories.product(seller=seller, status="draft")
    other = api_for(factories.company(), ["products"])
    assert other.get(f"/api/v1/seller/products/{product.pk}/").status_code == 404
    assert other.post(f"/api/v1/seller/products/{product.pk}/stock-movements/",
                      {"kind": "in", "quantity": "5", "reason": "入库"}, format="json").status_code == 404


def test_stock_movements_and_reservations_over_the_api(seller):
    product = factories.product(seller=seller)
    api = api_for(seller, ["products"])
    assert api.post(f"/api/v1/seller/products/{product.pk}/stock-movements/",
                    {"kind": "in", "quantity": "20", "reason": "到货"}, format="json").status_code == 201
    refused = api.post(f"/api/v1/seller/products/{product.pk}/stock-movements/",
                       {"kind": "out", "quantity": "25", "reason": "出库"}, format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "insufficient_stock"
    client_company = factories.company()
    reserved = api.post(f"/api/v1/seller/products/{product.pk}/reservations/", {
        "holder": client_company.pk, "quantity": "8",
        "expires_at": (timezone.now() + timedelta(days=3)).isoformat()}, format="json")
    assert reserved.status_code == 201, reserved.content

    availability = api_for(client_company).get(f"/api/v1/products/{product.pk}/availability/").json()
    assert availability["available"] == "12.000"
    ledger = api.get(f"/api/v1/seller/products/{product.pk}/stock-movements/").json()
    assert [line["kind"] for line in ledger["results"]] == ["reservation", "in"]


def test_editing_a_live_listing_over_the_api_shows_the_pending_revision(seller):
    product = factories.product(seller=seller, title="旧标题 白卡纸")
    response = api_for(seller, ["products"]).patch(f"/api/v1/seller/products/{product.pk}/",
                                                   {"title": "新标题 白卡纸"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "旧标题 白卡纸" and body["pending_revision"]["title"] == "新标题 白卡纸"
