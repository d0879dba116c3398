import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Membership
from core import apikeys
from tests import factories

pytestmark = pytest.mark.django_db


def api_for(user, company, scopes=()):
    _key, raw = apikeys.issue_api_key(company=company, created_by=user, name="erp", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_company_profile_with_status_and_trading_notice(buyer):
    api = api_for(factories.main_user_of(buyer), buyer)
    body = api.get("/api/v1/company/").json()
    assert (body["name"], body["status"], body["can_trade"], body["trading_notice"]) == (
        buyer.name, "verified", True, None)
    services.request_company_change(user=factories.main_user_of(buyer), changes={"name": "新名纸业有限公司"},
                                    documents={"business_licence": [factories.upload()]})
    body = api.get("/api/v1/company/").json()
    assert body["status"] == "change_pending" and not body["can_trade"] and "变更" in body["trading_notice"]


def test_main_account_manages_sub_accounts_over_the_api(buyer):
    api = api_for(factories.main_user_of(buyer), buyer)
    created = api.post("/api/v1/sub-accounts/", {"name": "赵六", "email": "zhaoliu@example.cn",
                                                 "permissions": ["fulfilment"], "password": "Strong-Pass-2026"},
                       format="json")
    assert created.status_code == 201, created.json()
    member_id = created.json()["id"]
    assert [m["email"] for m in api.get("/api/v1/sub-accounts/").json()][-1] == "zhaoliu@example.cn"
    changed = api.patch(f"/api/v1/sub-accounts/{member_id}/", {"permissions": ["fulfilment", "messaging"]},
                        format="json")
    assert changed.json()["permissions"] == ["fulfilment", "messaging"]
    disabled = api.post(f"/api/v1/sub-accounts/{member_id}/disable/")
    assert disabled.json()["is_active"] is False
    assert not Membership.objects.get(pk=member_id).user.is_active


def test_sub_accounts_keys_cannot_manage_logins(buyer):
    employee = factories.sub_account(buyer, ["purchasing"])
    api = api_for(employee, buyer, ["purchasing"])
    response = api.get("/api/v1/sub-accounts/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "main_account_only"


def test_other_companies_sub_accounts_are_404(buyer, seller):
    theirs = factories.sub_account(seller, ["products"])
    api = api_for(factories.main_user_of(buyer), buyer)
    membership_id = theirs.membership.pk
    assert api.get(f"/api/v1/sub-accounts/{membership_id}/").status_code == 404
    assert api.post(f"/api/v1/sub-accounts/{membership_id}/disable/").status_code == 404
    assert Membership.objects.get(pk=membership_id).is_active


def test_operation_log_over_the_api_is_filtered_and_scoped(buyer, seller):
    employee = factories.sub_account(buyer, ["purchasing"])
    factories.sub_account(seller, ["products"])
    api = api_for(factories.main_user_of(buyer), buyer)
    rows = api.get("/api/v1/operation-log/", {"action": "member."}).json()["results"]
    assert [row["subject_id"] for row in rows] == [str(employee.membership.pk)]
    assert api.get("/api/v1/operation-log/", {"since": "not-a-date"}).status_code == 400


def test_schema_documents_the_accounts_endpoints(client):
    schema = client.get("/api/v1/schema/").content.decode()
    for path in ("/api/v1/company/", "/api/v1/sub-accounts/", "/api/v1/operation-log/"):
        assert path in schema
