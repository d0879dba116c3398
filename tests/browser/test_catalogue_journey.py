"""Issue journey: a seller lists a product, a reviewer publishes it, a buyer finds it by a
Chinese search."""

import pytest

from catalog.models import CategoryAttribute
from tests import factories
from tests.browser.test_enterprise_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_seller_lists_reviewer_publishes_buyer_finds_by_chinese_search(live_server, page, screenshot):
    base = live_server.url
    board = factories.category(parent=factories.category(slug="packaging-board", name="包装纸板"))
    CategoryAttribute.objects.create(category=board, name="克重", kind="number", unit="g/㎡")
    seller = factories.company(name="日照港湾纸板有限公司")
    reviewer = factories.staff_user("reviewer", email="reviewer@example.cn")
    buyer = factories.main_user_of(factories.company(name="上海东方包装制品有限公司"))

    sign_in(page, base, factories.main_user_of(seller).email, factories.PASSWORD)
    page.goto(f"{base}/merchant/products/new/")
    page.fill("input[name=title]", "港湾 350g 高松厚白卡纸 食品级")
    page.select_option("select[name=category]", str(board.pk))
    page.wait_for_selector("#attribute-fields input[name^=attr_]")  # htmx brought the category's fields
    page.fill("#attribute-fields input[name^=attr_]", "350")
    page.fill("input[name=price]", "5180.00")
    page.fill("input[name=min_order_quantity]", "10")
    page.fill("input[name=tier_1_quantity]", "50")
    page.fill("input[name=tier_1_price]", "5080.00")
    with page.expect_navigation():
        page.click("button[name=submit]")
    assert page.locator(".badge.status-pending_review").count() == 1
    screenshot("catalogue-1-submitted")

    page.context.clear_cookies()
    sign_in(page, base, reviewer.email, factories.PASSWORD)
    page.goto(f"{base}/backoffice/catalog/reviews/")
    with page.expect_navigation():
        page.click("text=港湾 350g 高松厚白卡纸 食品级")
    with page.expect_navigation():
        page.click("button[value=approve]")
    assert "商品已通过审核并上架" in page.content()

    page.context.clear_cookies()
    sign_in(page, base, buyer.email, factories.PASSWORD)
    page.goto(f"{base}/")
    page.fill("input[name=q]", "白卡纸")
    with page.expect_navigation():
        page.click("form.search-box button[type=submit]")
    assert page.locator(".product-card__title", has_text="港湾 350g 高松厚白卡纸 食品级").count() == 1
    screenshot("catalogue-2-search")
    with page.expect_navigation():
        page.click("text=港湾 350g 高松厚白卡纸 食品级")
    assert "¥5,080.00" in page.content()
