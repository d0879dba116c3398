"""Chinese search on PostgreSQL's own full-text machinery (CJK bigrams), with filters and sorting."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import search
from catalog.models import CategoryAttribute
from catalog.selectors import filters_from_query, search_listings
from tests import factories

pytestmark = pytest.mark.django_db


def titles(params):
    return {p.title for p in search_listings(filters_from_query(params))}


@pytest.fixture
def catalogue():
    # A fixed name: the seller's name is searchable, and a default one carries the user's id digits.
    seller = factories.company(name="测试贸易有限公司")
    board = factories.category()
    CategoryAttribute.objects.create(category=board, name="克重", kind="number", unit="g/㎡")
    liner = factories.category(slug="linerboard", name="箱板纸")
    return {
        "ivory": factories.product(seller=seller, title="鲁丰 250g 白卡纸 FBB", price="4850.00", category=board,
                                   attributes={"克重": 250, "等级": "A级"}),
        "ivory2": factories.product(seller=seller, title="港湾 食品级卡纸", price="5150.00", category=board,
                                    attributes={"克重": 230, "品种": "白卡纸"}),
        "liner": factories.product(seller=seller, title="粤兴 170g 牛卡箱板纸", price="3680.00", category=liner,
                                   attributes={"克重": 170}),
        "split": factories.product(seller=seller, title="白色 卡通 纸箱", price="10.00",
                                   category=factories.category(slug="cartons", name="纸箱")),
        "draft": factories.product(seller=seller, title="草稿 白卡纸", status="draft"),
    }


def test_bigrams_split_cjk_runs_and_keep_latin_words():
    assert search.terms("鲁丰 250g 白卡纸") == [["鲁丰"], ["250g"], ["白卡", "卡纸"]]


def test_chinese_search_finds_title_or_attribute_matches_only(catalogue):
    assert titles({"q": "白卡纸"}) == {"鲁丰 250g 白卡纸 FBB", "港湾 食品级卡纸"}


def test_search_needs_every_term(catalogue):
    assert titles({"q": "白卡纸 鲁丰"}) == {"鲁丰 250g 白卡纸 FBB"}
    assert titles({"q": "箱板"}) == {"粤兴 170g 牛卡箱板纸"}


def test_one_character_and_prefix_searches(catalogue):
    assert "粤兴 170g 牛卡箱板纸" in titles({"q": "箱"})
    assert titles({"q": "17"}) == {"粤兴 170g 牛卡箱板纸"}


def test_punctuation_only_query_finds_nothing_rather_than_failing(catalogue):
    assert titles({"q": "'&|!:*()"}) == set()


def test_filters_by_price_and_number_attribute(catalogue):
    assert titles({"q": "卡纸", "price_max": "5000"}) == {"鲁丰 250g 白卡纸 FBB"}
    assert titles({"category": "ivory-board", "a.克重.min": "240"}) == {"鲁丰 250g 白卡纸 FBB"}
    assert titles({"a.等级": "A级"}) == {"鲁丰 250g 白卡纸 FBB"}


def test_malformed_filters_are_ignored(catalogue):
    assert len(titles({"price_min": "abc", "province": "x", "a.克重.min": "many", "sort": "drop"})) == 4


def test_sorting_by_price(catalogue):
    ordered = [p.price for p in search_listings(filters_from_query({"sort": "price_desc"}))]
    assert ordered == sorted(ordered, reverse=True) and ordered[0] == Decimal("5150.00")


def test_search_page_shows_results_in_chinese(client, catalogue):
    page = client.get("/search/", {"q": "白卡纸"}).content.decode()
    assert "鲁丰 250g 白卡纸 FBB" in page and "粤兴" not in page


def test_list_page_query_count_does_not_grow_with_page_length(client):
    seller = factories.company()
    factories.product(seller=seller, title="白卡纸 1")
    user = factories.main_user_of(factories.company())
    client.force_login(user)
    client.get("/search/", {"q": "白卡纸"})  # warm caches that are not per page
    with CaptureQueriesContext(connection) as one:
        client.get("/search/", {"q": "白卡纸", "sort": "newest"})
    for number in range(2, 15):
        factories.product(seller=factories.company() if number % 3 else seller, title=f"白卡纸 {number}")
    with CaptureQueriesContext(connection) as many:
        client.get("/search/", {"q": "白卡纸", "sort": "price_asc"})
    assert len(many) == len(one)


@pytest.mark.parametrize("params", [
    {"price_min": "1e999999"}, {"price_max": "9" * 200}, {"province": "9" * 30},
    {"category": "ivory-board", "a.克重.min": "1e99999"}, {"q": "白卡纸", "a.克重.max": "9" * 400},
])
def test_absurd_filter_values_are_ignored_not_a_server_error(client, catalogue, params):
    assert client.get("/search/", params).status_code == 200
    assert client.get("/c/ivory-board/", params).status_code == 200
