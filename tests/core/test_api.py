import pytest
from rest_framework.test import APIClient

from accounts.models import Membership
from core import apikeys
from core.api.throttling import ApiKeyRateThrottle
from tests import factories

pytestmark = pytest.mark.django_db


def key_for(company, scopes=("purchasing",), user=None):
    user = user or factories.main_user_of(company)
    _key, raw = apikeys.issue_api_key(company=company, created_by=user, name="ERP", scopes=list(scopes))
    return raw


def api(raw_key=None):
    client = APIClient()
    if raw_key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_key_is_stored_hashed_and_authenticates(buyer):
    raw = key_for(buyer)
    key = buyer.api_keys.get()
    assert raw.split("_", 2)[2] not in key.hashed_secret
    response = api(raw).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["company"]["name"] == buyer.name
    assert response.json()["scopes"] == ["purchasing"]


def test_anonymous_call_gets_401_in_the_error_format():
    response = api().get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["message"]


def test_wrong_key_is_refused():
    response = api("tp_deadbeef_not-a-real-secret").get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_revoked_key_stops_working(buyer):
    raw = key_for(buyer)
    apikeys.revoke_api_key(key=buyer.api_keys.get(), by=factories.main_user_of(buyer))
    assert api(raw).get("/api/v1/me/").status_code == 401


def test_disabled_sub_accounts_keys_stop_working(buyer):
    employee = factories.sub_account(buyer, ["purchasing"])
    raw = key_for(buyer, user=employee)
    assert api(raw).get("/api/v1/me/").status_code == 200
    Membership.objects.filter(user=employee).update(is_active=False)
    assert api(raw).get("/api/v1/me/").status_code == 401


def test_sub_account_cannot_grant_scopes_it_lacks(buyer):
    employee = factories.sub_account(buyer, ["purchasing"])
    client = APIClient()
    client.force_authenticate(employee)
    response = client.post("/api/v1/api-keys/", {"name": "x", "scopes": ["finance"]}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "scope_exceeds_permissions"


def test_another_companys_objects_are_404(buyer, seller):
    factories.order(buyer=buyer, seller=seller, number="PO-SCOPED-1")
    outsider = factories.company(name="无关第三方纸业有限公司")
    raw = key_for(outsider)
    assert api(raw).get("/api/v1/orders/PO-SCOPED-1/").status_code == 404
    assert api(raw).get("/api/v1/orders/").json()["count"] == 0
    buyer_key = apikeys.issue_api_key(company=buyer, created_by=factories.main_user_of(buyer), name="b",
                                      scopes=[])[0]
    assert api(raw).get(f"/api/v1/api-keys/{buyer_key.pk}/").status_code == 404
    assert api(raw).delete(f"/api/v1/api-keys/{buyer_key.pk}/").status_code == 404


def test_own_orders_are_listed_for_both_sides(buyer, seller):
    factories.order(buyer=buyer, seller=seller, number="PO-BOTH-1")
    assert api(key_for(buyer)).get("/api/v1/orders/").json()["results"][0]["number"] == "PO-BOTH-1"
    assert api(key_for(seller)).get("/api/v1/orders/").json()["results"][0]["number"] == "PO-BOTH-1"


def test_idempotency_key_replays_the_first_response(buyer):
    client = api(key_for(buyer))
    body = {"name": "订单同步", "scopes": ["purchasing"]}
    first = client.post("/api/v1/api-keys/", body, format="json", HTTP_IDEMPOTENCY_KEY="create-erp-key")
    second = client.post("/api/v1/api-keys/", body, format="json", HTTP_IDEMPOTENCY_KEY="create-erp-key")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert buyer.api_keys.filter(name="订单同步").count() == 1


def test_idempotency_key_with_another_body_is_422(buyer):
    client = api(key_for(buyer))
    client.post("/api/v1/api-keys/", {"name": "A", "scopes": []}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    response = client.post("/api/v1/api-keys/", {"name": "B", "scopes": []}, format="json",
                           HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not buyer.api_keys.filter(name="B").exists()


def test_validation_errors_use_the_error_format(buyer):
    response = api(key_for(buyer)).post("/api/v1/api-keys/", {"scopes": ["nonsense"]}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"name", "scopes"}


def test_throttling_is_per_key(buyer, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "3/day"})
    throttled, other = api(key_for(buyer)), api(key_for(buyer))
    statuses = [throttled.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert other.get("/api/v1/me/").status_code == 200


def test_schema_and_docs_load(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/orders/" in schema.content
    assert client.get("/api/v1/docs/").status_code == 200


def test_regions_api_lists_provinces_and_their_cities(buyer):
    client = api(key_for(buyer))
    provinces = client.get("/api/v1/regions/").json()
    assert len(provinces) == 34
    guangdong = next(p for p in provinces if p["name"] == "广东省")
    cities = [c["name"] for c in client.get("/api/v1/regions/", {"province": guangdong["id"]}).json()]
    assert "深圳" in cities and "广州" in cities
