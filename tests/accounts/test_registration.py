"""Signing up with an e-mail address or a mobile number, verifying it, and logging in with either."""

import re
import uuid
from urllib.parse import urlparse

import pytest
from django.core import mail

from accounts.adapters import normalize_mobile
from accounts.models import User
from core import sms
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Paper-Trade-2026"


@pytest.fixture
def texts():
    sms.outbox.clear()
    return sms.outbox


def new_mobile():
    return f"139{uuid.uuid4().int % 10**8:08d}"


def sms_code(texts, to):
    (message,) = [text for text in texts if text.to == to]
    return re.fullmatch(r"【纸业通】您的验证码是 (\d{6})，10 分钟内有效。请勿泄露。", message.text).group(1)


def signup(client, **fields):
    return client.post("/accounts/signup/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **fields})


def link_in(message):
    return urlparse(re.search(r"https?://\S+", message.body).group(0)).path


def member_with_mobile(*, verified=True):
    user = UserFactory(mobile=normalize_mobile(new_mobile()))
    user.mobile_verified = verified
    user.save(update_fields=["mobile_verified"])
    return user


@pytest.mark.parametrize("typed", ["13800138000", "+8613800138000", "+86 138 0013 8000", "138-0013-8000"])
def test_mainland_mobile_numbers_are_stored_with_the_86_prefix(typed):
    assert normalize_mobile(typed) == "+8613800138000"


@pytest.mark.parametrize("typed", ["1380013800", "138001380001", "23800138000", "+14155550100", "+85261234567", ""])
def test_other_numbers_are_not_mainland_mobiles(typed):
    assert normalize_mobile(typed) is None


def test_email_signup_logs_in_only_after_the_emailed_link_is_followed(client):
    email = f"new-{uuid.uuid4().hex[:8]}@example.cn"

    response = signup(client, email=email)

    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/member/")["Location"].startswith("/accounts/login/")
    refused = client.post("/accounts/login/", {"login": email, "password": NEW_PASSWORD})
    assert refused["Location"] == "/accounts/confirm-email/"

    confirm_url = link_in(mail.outbox[0])
    assert client.post(confirm_url).status_code == 302
    response = client.post("/accounts/login/", {"login": email, "password": NEW_PASSWORD})
    assert response["Location"] == "/after-login/"
    user = User.objects.get(email=email)
    assert user.emailaddress_set.get().verified
    assert not hasattr(user, "membership")  # a new user is an individual member


def test_signup_needs_an_email_or_a_mobile_number(client):
    response = signup(client, email="", phone="")

    assert response.status_code == 200
    assert "请填写邮箱或手机号。" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize("phone", ["1380013800", "+14155550100", "mobile"])
def test_signup_refuses_a_number_that_is_not_a_mainland_mobile(client, phone):
    response = signup(client, phone=phone)

    assert response.status_code == 200
    assert "请输入 11 位中国大陆手机号" in response.content.decode()


def test_mobile_signup_requires_the_sms_code(client, texts):
    mobile = new_mobile()

    response = signup(client, email="", phone=mobile)

    assert response["Location"] == "/accounts/phone/verify/"
    user = User.objects.get(mobile=f"+86{mobile}")
    assert (user.email, user.mobile_verified) == (None, False)
    wrong = client.post("/accounts/phone/verify/", {"code": "000000"})
    assert wrong.status_code == 200
    assert client.get("/member/").status_code == 302

    response = client.post("/accounts/phone/verify/", {"code": sms_code(texts, f"+86{mobile}")})

    assert response["Location"] == "/after-login/"
    assert client.get("/member/").status_code == 200
    user.refresh_from_db()
    assert user.mobile_verified


def test_signup_with_email_and_mobile_verifies_the_mobile_by_sms_then_the_email(client, texts):
    email, mobile = f"both-{uuid.uuid4().hex[:8]}@example.cn", new_mobile()

    response = signup(client, email=email, phone=f"+86 {mobile}")

    assert response["Location"] == "/accounts/phone/verify/"
    assert "验证码" in texts[0].text and texts[0].to == f"+86{mobile}"
    response = client.post("/accounts/phone/verify/", {"code": sms_code(texts, f"+86{mobile}")})
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email=email)
    assert (user.mobile, user.mobile_verified) == (f"+86{mobile}", True)

    client.post(link_in(mail.outbox[0]))
    client.logout()
    response = client.post("/accounts/login/", {"login": mobile, "password": NEW_PASSWORD})
    assert response["Location"] == "/after-login/"


def test_a_registered_mobile_cannot_sign_up_again_and_its_owner_is_told_by_sms(client, texts):
    owner = member_with_mobile()

    response = signup(client, email="", phone=owner.mobile.removeprefix("+86"))

    assert response["Location"] == "/accounts/phone/verify/"  # the same screen as a new number
    assert User.objects.filter(mobile=owner.mobile).count() == 1
    (message,) = texts
    assert message.to == owner.mobile
    assert "该号码已注册" in message.text


@pytest.mark.parametrize("login", ["mobile", "mobile with +86", "email"])
def test_member_logs_in_with_mobile_or_email_and_password(client, login):
    user = member_with_mobile()
    typed = {
        "mobile": user.mobile.removeprefix("+86"), "mobile with +86": user.mobile, "email": user.email,
    }[login]

    response = client.post("/accounts/login/", {"login": typed, "password": PASSWORD})

    assert response["Location"] == "/after-login/"
    assert client.get("/member/").wsgi_request.user == user


def test_mobile_login_with_a_wrong_password_is_refused(client):
    user = member_with_mobile()

    response = client.post("/accounts/login/", {"login": user.mobile, "password": "not-the-password"})

    assert response.status_code == 200
    assert client.get("/member/").status_code == 302


def test_an_unverified_mobile_must_confirm_an_sms_code_before_logging_in(client, texts):
    user = member_with_mobile(verified=False)

    response = client.post("/accounts/login/", {"login": user.mobile, "password": PASSWORD})

    assert response["Location"] == "/accounts/phone/verify/"
    assert client.get("/member/").status_code == 302
    response = client.post("/accounts/phone/verify/", {"code": sms_code(texts, user.mobile)})
    assert response["Location"] == "/after-login/"
    user.refresh_from_db()
    assert user.mobile_verified


def test_a_second_code_within_30_seconds_is_refused_with_a_message_not_an_error(client, texts):
    user = member_with_mobile(verified=False)
    client.post("/accounts/login/", {"login": user.mobile, "password": PASSWORD})

    client.logout()
    response = client.post("/accounts/login/", {"login": user.mobile, "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "验证码发送过于频繁" in response.content.decode()
    assert len(texts) == 1
