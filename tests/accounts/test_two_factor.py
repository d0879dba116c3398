"""Optional TOTP two-factor: individuals, main accounts and staff may turn it on; sub-accounts may not."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value

from tests import factories
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"
REFUSED = "企业子账号不能开启两步验证，登录安全由企业主账号统一管理。"


def log_in(client, user):
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/after-login/"
    # allauth asks for the password again before any change to two-factor settings.
    client.get(ACTIVATE)
    assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302


def current_code(secret):
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def activate_totp(client):
    page = client.get(ACTIVATE)
    secret = client.session.get(SECRET_SESSION_KEY)
    response = client.post(ACTIVATE, {"code": current_code(secret) if secret else "000000"})
    return page, response


def has_totp(user):
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@pytest.mark.parametrize("who", ["main account", "individual", "staff"])
def test_main_accounts_individuals_and_staff_can_turn_on_totp(client, who):
    user = {
        "main account": lambda: factories.main_user_of(factories.company()),
        "individual": UserFactory,
        "staff": lambda: factories.staff_user("reviewer"),
    }[who]()
    log_in(client, user)

    page, response = activate_totp(client)

    assert page.status_code == 200
    assert response.status_code == 302
    assert has_totp(user)


def test_once_on_totp_is_asked_for_at_login(client):
    user = factories.main_user_of(factories.company())
    log_in(client, user)
    activate_totp(client)
    client.logout()

    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/member/").status_code == 302


def test_sub_account_is_refused_totp(client):
    sub = factories.sub_account(factories.company(), permissions=[])
    log_in(client, sub)

    page, response = activate_totp(client)

    assert page["Location"] == "/accounts/2fa/"  # no QR code is shown
    assert SECRET_SESSION_KEY not in client.session
    assert response["Location"] == "/accounts/2fa/"
    assert not has_totp(sub)
    assert REFUSED in client.get("/accounts/2fa/").content.decode()


def test_sub_account_security_pages_offer_no_two_factor(client):
    sub = factories.sub_account(factories.company(), permissions=[])
    client.post("/accounts/login/", {"login": sub.email, "password": PASSWORD})

    security = client.get("/accounts/password/change/").content.decode()
    two_factor = client.get("/accounts/2fa/").content.decode()

    assert 'href="/accounts/2fa/"' not in security
    assert ACTIVATE not in two_factor
    assert REFUSED in two_factor


def test_main_account_security_pages_link_two_factor(client):
    main = factories.main_user_of(factories.company())
    client.post("/accounts/login/", {"login": main.email, "password": PASSWORD})

    assert 'href="/accounts/2fa/"' in client.get("/accounts/password/change/").content.decode()
