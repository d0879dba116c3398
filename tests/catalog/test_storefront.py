import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Category
from core.cache import bump
from tests import factories

pytestmark = pytest.mark.django_db


def listing(seller, count):
    parent = factories.category(slug="packaging-board", name="包装纸板")
    child = factories.category(slug="ivory-board", name="白卡纸", parent=parent)
    for index in range(count):
        product = factories.product(seller=seller, title=f"白卡纸 {index}", category=child)
        product.price_tiers.create(min_quantity=10, unit_price="4700.00")
    return parent


def queries_for(client, url):
    bump("catalog")  # measure rendering, not the page cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_home_shows_categories_and_featured_listings(client, seller):
    listing(seller, 3)
    body = client.get("/").content.decode()
    assert "包装纸板" in body and "白卡纸 0" in body


def test_category_page_lists_products_of_sub_categories(client, seller):
    parent = listing(seller, 2)
    response = client.get(f"/c/{parent.slug}/")
    assert {p.title for p in response.context["page"]} == {"白卡纸 0", "白卡纸 1"}


def test_product_page_shows_tier_prices(client, seller):
    listing(seller, 1)
    product = seller.products.get()
    body = client.get(f"/p/{product.pk}/").content.decode()
    assert "4,700.00" in body and seller.name in body


def test_unpublished_product_is_not_shown(client, seller):
    draft = factories.product(seller=seller, status="draft")
    assert client.get(f"/p/{draft.pk}/").status_code == 404


def test_list_pages_use_the_same_number_of_queries_for_2_and_20_products(client, seller):
    listing(seller, 2)
    small_home, small_category = queries_for(client, "/"), queries_for(client, "/c/packaging-board/")
    other_seller = factories.company(name="另一家纸业有限公司")
    parent = Category.objects.get(slug="ivory-board")
    for index in range(18):
        product = factories.product(seller=other_seller, title=f"更多白卡纸 {index}", category=parent)
        product.price_tiers.create(min_quantity=5, unit_price="4750.00")
    assert queries_for(client, "/") == small_home
    assert queries_for(client, "/c/packaging-board/") == small_category


def test_api_product_list_queries_do_not_grow(seller):
    from rest_framework.test import APIClient

    listing(seller, 2)
    client = APIClient()
    client.force_authenticate(factories.main_user_of(seller))
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/products/")
    listing(seller, 15)
    bump("catalog")
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/products/")
    assert len(many) == len(few)
