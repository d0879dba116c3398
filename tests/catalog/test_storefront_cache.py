import pytest

from catalog.models import Product
from tests import factories

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_get_the_cached_page_until_the_catalogue_changes(
        client, seller, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        listed = factories.product(seller=seller, title="鲁丰 250g 白卡纸")
    assert "鲁丰 250g 白卡纸" in client.get("/").content.decode()

    Product.objects.filter(pk=listed.pk).update(title="改名但未发信号")  # bypasses the model: no bump
    assert "鲁丰 250g 白卡纸" in client.get("/").content.decode()  # served from the cache

    with django_capture_on_commit_callbacks(execute=True):
        listed.refresh_from_db()
        listed.title = "鲁丰 300g 白卡纸"
        listed.save(update_fields=["title"])
    body = client.get("/").content.decode()
    assert "鲁丰 300g 白卡纸" in body and "鲁丰 250g 白卡纸" not in body


def test_signed_in_members_never_get_the_anonymous_page(client, seller, buyer):
    factories.product(seller=seller, title="鲁丰 250g 白卡纸")
    client.get("/")  # caches the anonymous page
    client.force_login(factories.main_user_of(buyer))
    body = client.get("/").content.decode()
    assert "/accounts/logout/" in body


def test_each_language_is_cached_separately(client, seller):
    factories.product(seller=seller)
    assert 'lang="zh-hans"' in client.get("/").content.decode()
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get("/").content.decode()


def test_anonymous_pages_carry_no_csrf_token(client, seller):
    factories.product(seller=seller)
    response = client.get("/")
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert "csrftoken" not in response.cookies


def test_product_api_reflects_catalogue_changes(seller, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(factories.main_user_of(seller))
    with django_capture_on_commit_callbacks(execute=True):
        listed = factories.product(seller=seller, title="第一版标题")
    assert api.get("/api/v1/products/").json()["results"][0]["title"] == "第一版标题"
    with django_capture_on_commit_callbacks(execute=True):
        listed.title = "第二版标题"
        listed.save(update_fields=["title"])
    assert api.get("/api/v1/products/").json()["results"][0]["title"] == "第二版标题"
