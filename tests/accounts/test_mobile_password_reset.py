"""A member who registered with a mobile number only resets the password with a texted code."""

import re
import uuid

import pytest

from core import sms
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

START = "/accounts/password/reset/mobile/"
CONFIRM = "/accounts/password/reset/mobile/confirm/"
NEW_PASSWORD = "Kraft-Liner-2026"


@pytest.fixture
def texts():
    sms.outbox.clear()
    return sms.outbox


def mobile_only_member():
    member = UserFactory(email=None, mobile=f"+86139{uuid.uuid4().int % 10**8:08d}")
    member.mobile_verified = True
    member.save(update_fields=["mobile_verified"])
    return member


def reset_code(texts, to):
    (message,) = [text for text in texts if text.to == to]
    return re.search(r"验证码 (\d{6})", message.text).group(1)


def test_mobile_member_resets_password_with_the_texted_code(client, texts):
    member = mobile_only_member()
    elsewhere = client.__class__()
    elsewhere.post("/accounts/login/", {"login": member.mobile, "password": PASSWORD})
    assert elsewhere.get("/member/").status_code == 200

    response = client.post(START, {"mobile": member.mobile[3:]})
    assert response["Location"] == CONFIRM
    response = client.post(CONFIRM, {"code": reset_code(texts, member.mobile),
                                     "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response["Location"] == "/accounts/login/"
    assert client.post("/accounts/login/", {"login": member.mobile, "password": PASSWORD}).status_code == 200
    assert client.post("/accounts/login/", {"login": member.mobile, "password": NEW_PASSWORD}).status_code == 302
    assert elsewhere.get("/member/")["Location"].startswith("/accounts/login/"), "old sessions end"


def test_unknown_number_gets_the_same_answer_and_no_text(client, texts):
    response = client.post(START, {"mobile": "13900000000"})

    assert response["Location"] == CONFIRM
    assert texts == []
    response = client.post(CONFIRM, {"code": "123456", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert "验证码错误或已过期，请重新获取。" in response.content.decode()


def test_five_wrong_codes_spend_the_code(client, texts):
    member = mobile_only_member()
    client.post(START, {"mobile": member.mobile})
    code = reset_code(texts, member.mobile)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    for _ in range(5):
        client.post(CONFIRM, {"code": wrong, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    response = client.post(CONFIRM, {"code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert "验证码错误或已过期，请重新获取。" in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_a_second_code_within_a_minute_is_refused(client, texts):
    member = mobile_only_member()
    client.post(START, {"mobile": member.mobile})

    response = client.post(START, {"mobile": member.mobile})

    assert response.status_code == 200
    assert "验证码发送过于频繁，请 60 秒后再试。" in response.content.decode()
    assert len(texts) == 1


def test_weak_new_password_is_refused_and_the_code_still_works(client, texts):
    member = mobile_only_member()
    client.post(START, {"mobile": member.mobile})
    code = reset_code(texts, member.mobile)

    weak = client.post(CONFIRM, {"code": code, "password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 200
    strong = client.post(CONFIRM, {"code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert strong["Location"] == "/accounts/login/"


def test_email_reset_page_offers_the_mobile_way(client):
    page = client.get("/accounts/password/reset/").content.decode()

    assert START in page
