import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Membership
from core import apikeys
from core.errors import BusinessRuleError
from tests import factories

pytestmark = pytest.mark.django_db


def create(buyer, **kwargs):
    kwargs.setdefault("permissions", ["messaging"])
    kwargs.setdefault("password", "Strong-Pass-2026")
    return services.create_sub_account(by=factories.main_user_of(buyer), full_name="王芳",
                                       email=kwargs.pop("email", "wangfang@example.cn"), **kwargs)


def login(client, email, password="Strong-Pass-2026"):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_main_account_creates_a_sub_account_through_the_member_centre(member_client, buyer):
    response = member_client.post("/member/sub-accounts/", {
        "full_name": "王芳", "email": "wangfang@example.cn", "job_title": "采购员", "permissions": ["purchasing"],
        "how": "password", "password": "Strong-Pass-2026",
    })
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="wangfang@example.cn")
    assert (membership.company, membership.is_main, membership.permissions) == (buyer, False, ["purchasing"])


def test_sub_account_without_purchasing_is_refused_the_purchase_pages(client, buyer):
    create(buyer, permissions=["messaging"])
    login(client, "wangfang@example.cn")
    response = client.get("/member/orders/")
    assert response.status_code == 403
    assert "采购与订单" in response.content.decode()


def test_sub_account_with_purchasing_sees_purchase_orders(client, buyer, seller):
    factories.order(buyer=buyer, seller=seller, number="PO-SUB-1")
    create(buyer, permissions=["purchasing"])
    login(client, "wangfang@example.cn")
    response = client.get("/member/orders/")
    assert response.status_code == 200
    assert "PO-SUB-1" in response.content.decode()


def test_invitation_email_lets_the_employee_set_a_password(client, buyer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        create(buyer, password=None, email="invitee@example.cn")
    invitation = next(message for message in mail.outbox if message.to == ["invitee@example.cn"])
    link = re.search(r"https?://[^\s]+", invitation.body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(form_url, {"password1": "Brand-New-Pass-77", "password2": "Brand-New-Pass-77"})
    assert response.status_code == 302
    client.logout()
    assert login(client, "invitee@example.cn", "Brand-New-Pass-77").status_code == 302
    assert client.get("/member/").status_code == 200


def test_sub_accounts_cannot_manage_sub_accounts(client, buyer):
    create(buyer, permissions=["purchasing", "reports"])
    login(client, "wangfang@example.cn")
    assert client.get("/member/sub-accounts/").status_code == 403
    with pytest.raises(BusinessRuleError):
        services.create_sub_account(by=Membership.objects.get(user__email="wangfang@example.cn").user,
                                    full_name="x", email="x@example.cn", permissions=[])


def test_disabled_sub_account_is_signed_out_cannot_log_in_and_its_keys_stop(client, buyer):
    membership = create(buyer, permissions=["purchasing"])
    _key, raw = apikeys.issue_api_key(company=buyer, created_by=membership.user, name="erp", scopes=["purchasing"])
    login(client, "wangfang@example.cn")
    assert client.get("/member/").status_code == 200
    services.set_sub_account_active(by=factories.main_user_of(buyer), membership_id=membership.pk, active=False)
    assert client.get("/member/").status_code == 302  # the session ended
    response = login(client, "wangfang@example.cn")
    assert response.status_code != 302 or "/accounts/inactive/" in response["Location"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert api.get("/api/v1/me/").status_code == 401


def test_another_companys_sub_accounts_are_invisible(client, buyer, seller):
    theirs = create(seller, email="theirs@example.cn")
    client.force_login(factories.main_user_of(buyer))
    assert client.get(f"/member/sub-accounts/{theirs.pk}/").status_code == 404
    response = client.post(f"/member/sub-accounts/{theirs.pk}/active/", {"active": "0"})
    assert Membership.objects.get(pk=theirs.pk).is_active
    assert response.status_code == 302


def test_permissions_change_is_logged_and_takes_effect(client, buyer):
    membership = create(buyer, permissions=["messaging"])
    main = factories.main_user_of(buyer)
    client.force_login(main)
    client.post(f"/member/sub-accounts/{membership.pk}/", {"permissions": ["purchasing"], "job_title": "采购"})
    membership.refresh_from_db()
    assert membership.permissions == ["purchasing"]
    assert buyer.audit_events.filter(action="member.permissions", before="messaging", after="purchasing").exists()


def test_operation_log_traces_a_sub_accounts_action_with_its_ip(client, buyer):
    membership = create(buyer, permissions=["purchasing"])
    other = factories.UserFactory()
    client.force_login(membership.user)
    client.post("/member/api-keys/", {"name": "ERP 同步", "scopes": ["purchasing"]}, REMOTE_ADDR="198.51.100.23")
    client.force_login(factories.main_user_of(buyer))
    response = client.get("/member/operation-log/", {"actor": membership.user_id, "action": "api_key."})
    events = list(response.context["page"])
    assert [(event.actor, event.ip_address) for event in events] == [(membership.user, "198.51.100.23")]
    csv = b"".join(client.get("/member/operation-log/", {"actor": membership.user_id, "format": "csv"})
                   .streaming_content).decode()
    assert "api_key.issue" in csv and "198.51.100.23" in csv
    assert other.email not in csv


def test_operation_log_is_for_the_main_account(client, buyer):
    create(buyer, permissions=["reports"])
    login(client, "wangfang@example.cn")
    assert client.get("/member/operation-log/").status_code == 403
