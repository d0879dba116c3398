"""Five wrong passwords lock the account for a while, however the member names it."""

import re
import time
import uuid
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from allauth.core.internal import ratelimit
from django.core import mail

from accounts.adapters import normalize_mobile
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "登录失败次数过多，账户已被暂时锁定。请 5 分钟后再试，或通过“忘记密码”重设密码。"


def member():
    user = UserFactory(mobile=normalize_mobile(f"139{uuid.uuid4().int % 10**8:08d}"))
    user.mobile_verified = True
    user.save(update_fields=["mobile_verified"])
    return user


def log_in(client, login, password=PASSWORD):
    return client.post("/accounts/login/", {"login": login, "password": password})


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client):
    user = member()
    for _ in range(5):
        wrong = log_in(client, user.email, "wrong-password")
        assert wrong.status_code == 200
        assert LOCKED not in wrong.content.decode()

    response = log_in(client, user.email)

    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert client.get("/member/").status_code == 302


def test_wrong_passwords_by_email_and_by_mobile_count_against_one_account(client):
    user = member()
    for login in [user.email, user.email, user.mobile, user.mobile.removeprefix("+86"), user.email]:
        log_in(client, login, "wrong-password")

    assert LOCKED in log_in(client, user.mobile).content.decode()
    assert LOCKED in log_in(client, user.email).content.decode()


def test_a_locked_account_does_not_lock_other_members(client):
    locked, other = member(), member()
    for _ in range(5):
        log_in(client, locked.mobile, "wrong-password")

    assert log_in(client, other.mobile)["Location"] == "/after-login/"


def test_the_lock_lifts_after_five_minutes(client, monkeypatch):
    user = member()
    for _ in range(5):
        log_in(client, user.email, "wrong-password")
    assert LOCKED in log_in(client, user.email).content.decode()

    later = time.time() + 5 * 60 + 1
    clock = SimpleNamespace(time=lambda: later, monotonic=time.monotonic, sleep=time.sleep)
    monkeypatch.setattr(ratelimit, "time", clock)  # allauth's rate-limit clock only

    assert log_in(client, user.email)["Location"] == "/after-login/"


def test_resetting_the_password_lifts_the_lock(client):
    user = member()
    for _ in range(5):
        log_in(client, user.mobile, "wrong-password")

    client.post("/accounts/password/reset/", {"email": user.email})
    reset_link = urlparse(re.search(r"https?://\S+", mail.outbox[-1].body).group(0)).path
    set_password_url = client.get(reset_link)["Location"]
    client.post(set_password_url, {"password1": "New-Paper-2026", "password2": "New-Paper-2026"})

    assert log_in(client, user.mobile, "New-Paper-2026")["Location"] == "/after-login/"
