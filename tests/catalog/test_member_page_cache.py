"""Signed-in members share cached storefront pages per audience, each seeing its own header,
company notice, messages and a CSRF token that works."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Company
from core.notifications import notify
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(seller):
    return factories.stock(factories.product(seller=seller, title="鲁丰 250g 白卡纸"), 100)


def signed_in(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


def served_from_the_shared_copy(client, url):
    """The page, and whether it came without reading the catalogue (a cache hit)."""
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content.decode()
    return body, not any("catalog_product" in query["sql"] for query in queries.captured_queries)


def test_members_of_one_company_share_the_page_but_each_sees_their_own_menu(buyer, listing):
    first = factories.main_user_of(buyer)
    second = factories.sub_account(buyer, ["purchasing"], full_name="采购员小李")
    notify(recipient=second, kind="order.paid", key="n1", title="订单已付款", link="/member/orders/", email=False)
    url = f"/p/{listing.pk}/"

    assert first.display_name in signed_in(first).get(url).content.decode()
    body, hit = served_from_the_shared_copy(signed_in(second), url)

    assert hit
    assert "采购员小李" in body and first.display_name not in body
    assert '<span class="count-badge">1</span>' in body
    assert "鲁丰 250g 白卡纸" in body


def test_the_csrf_token_on_a_shared_page_is_the_viewers_own_and_works(buyer, listing):
    user = factories.main_user_of(buyer)
    signed_in(factories.sub_account(buyer, ["purchasing"])).get(f"/p/{listing.pk}/")  # fills the cache
    client = signed_in(user, enforce_csrf_checks=True)

    body, hit = served_from_the_shared_copy(client, f"/p/{listing.pk}/")
    add_to_cart = re.search(rf'action="/cart/add/{listing.pk}/".*?</form>', body, re.S).group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', add_to_cart).group(1)
    response = client.post(f"/cart/add/{listing.pk}/", {"quantity": "1", "csrfmiddlewaretoken": token})

    assert hit and "__csrf" not in body
    assert response.status_code == 302 and response.url == "/cart/"


def test_a_seller_sees_its_own_listing_as_its_own_and_a_buyer_can_buy_it(seller, buyer, listing):
    url = f"/p/{listing.pk}/"
    own = signed_in(factories.main_user_of(seller)).get(url).content.decode()
    other = signed_in(factories.main_user_of(buyer)).get(url).content.decode()

    assert "这是本企业的商品" in own and "加入购物车" not in own
    assert "加入购物车" in other and "这是本企业的商品" not in other


def test_an_unverified_company_sees_its_notice_and_no_prices_where_a_verified_one_sees_them(buyer, listing):
    from catalog.models import CatalogSettings

    CatalogSettings.objects.update_or_create(pk=1, defaults={"price_visibility": "verified"})
    applying = factories.company(name="杭州待认证纸业有限公司", verified=False)
    url = f"/c/{listing.category.slug}/"

    verified_page = signed_in(factories.main_user_of(buyer)).get(url).content.decode()
    applying_page = signed_in(factories.main_user_of(applying)).get(url).content.decode()

    assert "company-notice-bar" not in verified_page and "¥" in verified_page
    assert "company-notice-bar" in applying_page and "¥" not in applying_page


def test_a_waiting_message_is_shown_rather_than_the_shared_copy(buyer, listing):
    client = signed_in(factories.main_user_of(buyer))
    client.get(f"/p/{listing.pk}/")  # cached
    response = client.post(f"/cart/add/{listing.pk}/", {"quantity": "abc"}, follow=True)
    assert "请填写有效的数量" in response.content.decode()


def test_a_changed_listing_is_shown_to_members_at_once(buyer, listing, django_capture_on_commit_callbacks):
    client = signed_in(factories.main_user_of(buyer))
    assert "鲁丰 250g 白卡纸" in client.get(f"/p/{listing.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        listing.refresh_from_db()
        listing.title = "鲁丰 300g 白卡纸"
        listing.save(update_fields=["title"])
    assert "鲁丰 300g 白卡纸" in client.get(f"/p/{listing.pk}/").content.decode()


def test_a_frozen_company_is_still_sent_to_its_notice(buyer, listing):
    client = signed_in(factories.main_user_of(buyer))
    client.get(f"/p/{listing.pk}/")
    Company.objects.filter(pk=buyer.pk).update(status=Company.Status.FROZEN)
    assert client.get(f"/p/{listing.pk}/").url == "/member/frozen/"


def test_the_viewers_own_parts_follow_the_page_and_new_notifications(buyer, listing):
    user = factories.main_user_of(buyer)
    client = signed_in(user)
    product_page = client.get(f"/p/{listing.pk}/").content.decode()
    notify(recipient=user, kind="order.paid", key="n2", title="订单已付款", link="/member/orders/", email=False)
    category_page = client.get(f"/c/{listing.category.slug}/?sort=newest").content.decode()

    assert f'name="next" value="/p/{listing.pk}/"' in product_page and "count-badge" not in product_page
    assert f'name="next" value="/c/{listing.category.slug}/?sort=newest"' in category_page
    assert '<span class="count-badge">1</span>' in category_page
