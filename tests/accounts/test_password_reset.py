"""A member who forgot the password resets it through the link e-mailed to them."""

import re
from urllib.parse import urlparse

import pytest
from django.core import mail

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Pulp-And-Board-77"


def test_password_reset_by_email_link_sets_a_new_password(client):
    user = UserFactory()

    response = client.post("/accounts/password/reset/", {"email": user.email.upper()})
    assert response["Location"] == "/accounts/password/reset/done/"
    (message,) = mail.outbox
    assert message.to == [user.email]
    link = urlparse(re.search(r"https?://\S+", message.body).group(0)).path

    set_password_url = client.get(link)["Location"]  # allauth moves the key out of the address
    assert client.get(set_password_url).status_code == 200
    response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == "/accounts/password/reset/key/done/"

    refused = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert refused.status_code == 200
    response = client.post("/accounts/login/", {"login": user.email, "password": NEW_PASSWORD})
    assert response["Location"] == "/after-login/"


def test_a_reset_link_works_only_once(client):
    user = UserFactory()
    client.post("/accounts/password/reset/", {"email": user.email})
    link = urlparse(re.search(r"https?://\S+", mail.outbox[0].body).group(0)).path
    set_password_url = client.get(link)["Location"]
    client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert again.context["token_fail"]
