"""One user journey: a visitor opens the storefront, switches to English, and a staff member
logs in to the back office."""

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_storefront_language_switch_and_staff_login(live_server, page, screenshot):
    staff = factories.staff_user("reviewer", email="reviewer@example.cn", full_name="审核员 李娜")
    seller = factories.company(name="山东鲁丰纸业有限公司")
    factories.product(seller=seller, title="鲁丰 250g 白卡纸", is_featured=True)

    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("鲁丰 250g 白卡纸").first.is_visible()
    screenshot("storefront-zh")

    with page.expect_navigation():
        page.select_option("#language-switcher", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot("storefront-en")

    page.goto(f"{live_server.url}/backoffice/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=login]", staff.email)
    page.fill("input[name=password]", factories.PASSWORD)
    with page.expect_navigation():
        page.locator("form[action*='login'] button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/backoffice/")
    assert page.get_by_text("审核员 李娜").first.is_visible()
    screenshot("backoffice-dashboard")
