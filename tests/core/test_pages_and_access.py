import re

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def html_lang(response):
    return re.search(r'<html[^>]*\blang="([^"]+)"', response.content.decode()).group(1)


def test_storefront_home_is_chinese_by_default_even_for_english_browsers(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert html_lang(response) == "zh-hans"
    assert response["Content-Language"] == "zh-hans"


def test_language_switcher_turns_pages_english(client):
    response = client.get("/language/", {"language": "en", "next": "/c/pulp/"})
    assert (response.status_code, response["Location"]) == (302, "/c/pulp/")
    response = client.get("/")
    assert html_lang(response) == "en"
    assert "Sign in" in response.content.decode() or "Log in" in response.content.decode()


def test_language_switcher_refuses_foreign_redirects_and_unknown_languages(client):
    response = client.get("/language/", {"language": "fr", "next": "https://evil.example.com/"})
    assert response["Location"] == "/"
    assert html_lang(client.get("/")) == "zh-hans"


@pytest.mark.parametrize("url", ["/member/", "/member/orders/", "/member/api-keys/", "/merchant/", "/inbox/"])
def test_member_pages_send_anonymous_visitors_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", ["/backoffice/", "/backoffice/audit/", "/backoffice/accounts/companies/"])
def test_backoffice_sends_anonymous_visitors_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", ["/backoffice/", "/backoffice/audit/", "/backoffice/accounts/companies/"])
def test_backoffice_refuses_members(member_client, url):
    assert member_client.get(url).status_code == 403


def test_backoffice_refuses_staff_flag_without_a_role(client):
    client.force_login(factories.UserFactory(is_staff=True))
    assert client.get("/backoffice/").status_code == 403


@pytest.mark.parametrize("role", ["reviewer", "customer_service", "finance", "account_manager",
                                  "legal_compliance", "administrator"])
def test_every_staff_role_opens_the_dashboard(client, role):
    client.force_login(factories.staff_user(role))
    response = client.get("/backoffice/")
    assert response.status_code == 200


def test_login_lands_staff_in_backoffice_and_members_in_member_centre(client, buyer):
    staff = factories.staff_user("finance")
    response = client.post("/accounts/login/", {"login": staff.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == "/backoffice/"
    client.post("/accounts/logout/")
    member = factories.main_user_of(buyer)
    response = client.post("/accounts/login/", {"login": member.email, "password": factories.PASSWORD})
    assert client.get(response["Location"])["Location"] == "/member/"


def test_member_centre_shows_the_company(member_client, buyer):
    response = member_client.get("/member/")
    assert response.status_code == 200
    assert buyer.name in response.content.decode()


def test_individual_member_is_told_to_verify(client):
    client.force_login(factories.UserFactory())
    response = client.get("/member/")
    assert response.status_code == 200
    assert "个人会员" in response.content.decode()


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404


def test_admin_requires_login(client):
    assert client.get("/admin/").status_code == 302
