"""Issue journey (major clients): a buyer sees its tier, credit and a reorder reminder and reorders
from it. The buyer has bought the same board every 30 days (¥72,000 each, Gold over 12 months);
the tier review, a credit line approved by an administrator, the daily score and the reminder job
have run. Its main account opens 会员权益 and 账期与信用 from the side menu, then 补货提醒, clicks
立即补货, finds the last purchased quantity in the cart, checks out on account (账期) and sees the
order paid; the next reminder run closes the reminder and starts the next cycle."""

from datetime import timedelta
from decimal import Decimal

import pytest

from crm import credit, reminders, tiers
from crm.models import ClientProfile, CreditLine, ReorderReminder, Tier
from orders.models import Order
from tests import factories
from tests.browser.test_enterprise_journey import sign_in
from tests.crm.reminder_helpers import days_ago, history, today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRODUCT = "晨鸣 300g 灰底白板纸"


def side_nav(page, label):
    return page.locator(".side-nav a.side-nav__link", has_text=label)


def stat(page, label):
    return page.locator(".stat-card", has=page.locator(".stat-card__label", has_text=label))


def test_major_client_sees_tier_credit_and_reorders_from_a_reminder(live_server, page, screenshot):
    base = live_server.url
    seller = factories.company(name="山东晨鸣纸业销售有限公司")
    buyer = factories.company(name="苏州华东彩印包装有限公司")
    product = factories.stock(factories.product(seller=seller, title=PRODUCT, price="4800.00"), 200)
    administrator = factories.staff_user("administrator", email="admin@example.cn")
    buyer_user = factories.main_user_of(buyer)

    # Three purchases of 15 tons, 30 days apart, the last 10 days ago: ¥216,000 over 12 months.
    history(buyer, seller, product, [30, 30], last=days_ago(10), quantity="15", total="72000.00",
            amount_paid=Decimal("72000.00"))
    tiers.review_tiers()
    assert ClientProfile.objects.get(company=buyer).tier == Tier.GOLD
    application = credit.submit_credit_application(by=buyer_user, requested_limit="300000.00", term_days=60,
                                                   purpose="年度框架采购")
    credit.approve_credit_application(by=administrator, application_id=application.pk, limit="300000.00",
                                      term_days=60, note="年度框架采购合同，管理员核定额度")
    credit.score_companies()
    assert reminders.compute_reminders() == 1
    reminder = ReorderReminder.objects.get(company=buyer, product=product)
    assert reminder.predicted_need_on == today() + timedelta(days=20)  # the last purchase + 30 days

    # 1. benefits: the tier, its benefits and the rebate ladder
    sign_in(page, base, buyer_user.email, factories.PASSWORD)
    page.goto(f"{base}/member/")
    with page.expect_navigation():
        side_nav(page, "会员权益").click()
    assert page.url.endswith("/member/crm/benefits/")
    assert side_nav(page, "会员权益").get_attribute("class").endswith("is-active")
    assert stat(page, "客户等级").locator(".stat-card__value").inner_text() == "金牌客户"
    assert stat(page, "近 12 个月采购额").locator(".stat-card__value").inner_text() == "¥216,000.00"
    upgrade = page.locator("section[aria-labelledby=next-title]").inner_text()
    assert "铂金客户" in upgrade and "¥1,784,000.00" in upgrade
    benefits = page.locator("section[aria-labelledby=benefits-title]")
    assert benefits.locator("h2").inner_text() == "金牌客户权益"
    for granted in ("优先服务", "库存预留", "可申请账期", "专属客户经理", "客户经理季度回顾"):
        assert benefits.locator("tr", has_text=granted).locator(".badge").inner_text() == "已享有"
    assert benefits.locator("tr", has_text="首席客户经理").locator(".badge").inner_text() == "未享有"
    assert "年采购额 ≥ ¥100,000.00 返 5.00%" in benefits.locator("tr", has_text="年度采购返利").inner_text()
    history_card = page.locator("section[aria-labelledby=history-title]").inner_text()
    assert "普通客户 → 金牌客户" in history_card
    screenshot("major-1-benefits")

    # …and credit: the limit, the term and what is available
    with page.expect_navigation():
        side_nav(page, "账期与信用").click()
    assert page.url.endswith("/member/crm/credit/")
    assert stat(page, "信用额度").locator(".stat-card__value").inner_text() == "¥300,000.00"
    assert "账期 60 天" in stat(page, "信用额度").inner_text()
    assert stat(page, "可用额度").locator(".stat-card__value").inner_text() == "¥300,000.00"
    assert stat(page, "未结清金额").locator(".stat-card__value").inner_text() == "¥0.00"
    assert "没有未结清的账期订单" in page.content()
    screenshot("major-2-credit")

    # 2. the reminder: the product, its interval, the last purchase and the predicted date
    with page.expect_navigation():
        side_nav(page, "补货提醒").click()
    assert page.url.endswith("/member/crm/reminders/")
    row = page.locator(f"tr#reminder-{reminder.pk}")
    assert row.locator("a.cell-main").inner_text() == PRODUCT
    assert "已采购 3 次" in row.inner_text()
    assert row.locator("td[data-label=通常间隔]").inner_text() == "30 天"
    assert row.locator("td[data-label=最近采购]").inner_text() == days_ago(10).isoformat()
    assert row.locator("td[data-label=预计需补货]").inner_text() == reminder.predicted_need_on.isoformat()
    assert row.locator("td[data-label=剩余天数]").inner_text() == "20 天"
    screenshot("major-3-reminders")
    with page.expect_navigation():
        row.locator("button", has_text="立即补货").click()

    # …lands in the cart with the quantity last bought
    assert page.url.endswith("/cart/")
    assert f"已按上次采购数量加入购物车：{PRODUCT}" in page.locator("ul.messages").inner_text()
    line = page.locator("tbody tr", has_text=PRODUCT)
    assert line.locator("input[name=quantity]").input_value() == "15"
    assert line.locator("td[data-label=金额]").inner_text() == "¥72,000.00"
    on_account = page.locator("input[name=payment_method][value=on_account]")
    assert on_account.is_enabled()
    assert "可用额度 ¥300,000.00，60 天账期" in page.locator("label", has=on_account).inner_text()
    on_account.check()
    screenshot("major-4-cart")
    with page.expect_navigation():
        page.locator("form[action$='/cart/checkout/'] button[type=submit]").click()

    # …and the order is placed and paid on account
    order = Order.objects.get(buyer=buyer, placed_by=buyer_user)
    assert page.url.endswith(f"/member/orders/{order.number}/")
    assert order.payment_method == Order.PaymentMethod.ON_ACCOUNT
    assert order.status == Order.Status.PAID
    assert order.number in page.locator("ul.messages").inner_text()
    badge = page.locator(".page-header h1 .badge")
    assert badge.get_attribute("class") == "badge status-paid"
    assert badge.inner_text() == "已付款"
    details = page.locator("dl", has_text="付款方式")
    assert details.locator("dt:has-text('付款方式') + dd").inner_text() == "账期"
    assert details.locator("dt:has-text('账期支付') + dd").inner_text() == "¥72,000.00"
    assert page.locator("tr, li", has_text=PRODUCT).count() >= 1
    screenshot("major-5-order")

    # the credit page now shows the receivable and less available credit
    page.goto(f"{base}/member/crm/credit/")
    assert stat(page, "可用额度").locator(".stat-card__value").inner_text() == "¥228,000.00"
    assert stat(page, "未结清金额").locator(".stat-card__value").inner_text() == "¥72,000.00"
    receivable = page.locator("section[aria-labelledby=receivables-title] tbody tr", has_text=order.number)
    assert receivable.locator("td[data-label=余额]").inner_text() == "¥72,000.00"
    assert CreditLine.objects.get(company=buyer).outstanding == Decimal("72000.00")
    screenshot("major-6-credit-after")

    # the next daily run sees the purchase: this reminder is closed; the order starts the next cycle,
    # reminded once more 30 days before its predicted need (today + the typical 30 days)
    reminders.compute_reminders()
    reminder.refresh_from_db()
    assert reminder.status == ReorderReminder.Status.REORDERED
    page.goto(f"{base}/member/crm/reminders/")
    assert page.locator(f"tr#reminder-{reminder.pk}").count() == 0
    rows = page.locator("section[aria-labelledby=reminders-title] tbody tr")
    assert rows.count() == 1
    assert "已采购 4 次" in rows.first.inner_text()
    assert rows.first.locator("td[data-label=最近采购]").inner_text() == today().isoformat()
    assert rows.first.locator("td[data-label=预计需补货]").inner_text() == (today() + timedelta(days=30)).isoformat()
    screenshot("major-7-next-cycle")
