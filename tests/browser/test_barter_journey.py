"""Issue journey (barter): a three-party cycle. 甲 offers 12 t of culture paper (posted on the
merchant barter page) and wants pulp (posted on the member barter page, with its cash limit); 乙
offers container board and wants culture paper; 丙 offers pulp and wants container board (both
through the services). An administrator runs matching in the back office (the task runs on commit
in the server thread, eager Celery): the match splits into the three-party cycle and a two-party
deal where 乙 pays 甲 cash for the remaining 2 t. Each company opens its proposals and confirms;
both deals execute as barter-settled orders and cash settlements; 甲 sees how its lot was split,
follows the deal's order link to its purchase and finds it in its orders; staff do the same from
the back office."""

from datetime import timedelta

import pytest
from django.utils import timezone

from barter.models import Listing, MatchingRun, Proposal, Settlement
from orders.models import Order
from tests import factories
from tests.barter.barter_helpers import barter_company, category, have, want
from tests.browser.test_enterprise_journey import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def messages_text(page):
    return page.locator("ul.messages").inner_text()


def fill_window(form):
    today = timezone.localdate()
    form.locator("input[name=available_from]").fill(today.isoformat())
    form.locator("input[name=available_until]").fill((today + timedelta(days=30)).isoformat())


def test_three_companies_post_listings_confirm_a_cycle_and_get_orders(live_server, page, screenshot):
    base = live_server.url
    paper, board, pulp = category("bt-paper", "文化纸"), category("bt-board", "箱板纸"), category("bt-pulp", "木浆")
    jia, jia_user = barter_company("嘉兴甲纸业有限公司")
    yi, yi_user = barter_company("东莞乙纸品有限公司", cash_limit="5000.00")
    bing, bing_user = barter_company("南宁丙浆业有限公司", cash_limit="5000.00")
    have(yi_user, board, "10", "1000.00", title="AA 级牛卡箱板纸")
    want(yi_user, paper, "12000.00", "1200.00")
    have(bing_user, pulp, "10", "1000.00", title="漂白桉木浆")
    want(bing_user, board, "10000.00", "1200.00")
    admin = factories.staff_user("administrator", email="admin@example.cn")

    # 1. 甲 offers 12 t of culture paper on the merchant barter page (free-form)…
    sign_in(page, base, jia_user.email, factories.PASSWORD)
    page.goto(f"{base}/merchant/barter/")
    form = page.locator("form", has=page.locator("input[name=unit_value]"))
    form.locator("input[name=title]").fill("70g 双胶纸")
    form.locator("select[name=category]").select_option(label="文化纸")
    form.locator("input[name=unit]").fill("吨")
    form.locator("input[name=quantity]").fill("12")
    form.locator("input[name=unit_value]").fill("1000.00")
    fill_window(form)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "供货已发布" in messages_text(page)
    offered = page.locator("tbody tr", has_text="70g 双胶纸")
    assert "文化纸" in offered.inner_text() and "¥1,000.00" in offered.inner_text()
    assert offered.locator(".badge").inner_text() == "挂牌中"
    screenshot("barter-0-have")

    # …and on the member barter page sets its cash limit and wants up to ¥10,000 of pulp
    page.goto(f"{base}/member/barter/")
    profile = page.locator("form:has(input[name=action][value=profile])")
    profile.locator("input[name=cash_limit]").fill("5000.00")
    with page.expect_navigation():
        profile.locator("button[type=submit]").click()
    assert "现金差额上限已保存" in messages_text(page)
    form = page.locator("form:has(input[name=action][value=want])")
    form.locator("select[name=category]").select_option(label="木浆")
    form.locator("input[name=budget]").fill("10000.00")
    form.locator("input[name=max_unit_value]").fill("1200.00")
    fill_window(form)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "求购已发布" in messages_text(page)
    assert page.locator("input[name=cash_limit]").input_value() == "5000.00"
    wanted = page.locator("tbody tr", has_text="木浆")
    assert "¥10,000.00" in wanted.inner_text() and wanted.locator(".badge").inner_text() == "挂牌中"
    assert "暂无易货方案" in page.content()
    screenshot("barter-1-want")
    assert Listing.objects.filter(company=jia, status=Listing.Status.ACTIVE).count() == 2

    # 2. an administrator runs matching; the run finishes on commit and leaves one proposal
    sign_out(page, base)
    sign_in(page, base, admin.email, factories.PASSWORD)
    page.goto(f"{base}/backoffice/barter/")
    assert "尚无撮合运行" in page.content()
    with page.expect_navigation():
        page.locator("form button[type=submit]", has_text="立即运行撮合").click()
    assert "撮合运行已排队" in messages_text(page)
    run = MatchingRun.objects.get()
    assert run.status == MatchingRun.Status.DONE
    row = page.locator("tbody tr", has=page.locator(f"#run-{run.pk}"))
    assert "已完成" in row.inner_text() and "100%" in row.inner_text()
    assert page.locator(f"#run-{run.pk}").get_attribute("hx-get") is None  # no polling once done
    assert "3 / 3 / 3" in row.inner_text() and "¥32,000.00" in row.inner_text()
    screenshot("barter-2-run")
    # the ¥32,000 splits into the three-party cycle (¥10,000 each way) and 甲's remaining ¥2,000 of
    # paper to 乙, balanced by cash within both cash limits
    cycle = Proposal.objects.get(participants__company=bing)
    cash_deal = Proposal.objects.exclude(pk=cycle.pk).get()
    assert (cycle.total_value, cash_deal.total_value) == (30000, 2000)
    with page.expect_navigation():
        page.locator(".page-header__sub a", has_text="易货方案").click()
    for proposal in (cycle, cash_deal):
        assert "待确认" in page.locator("tbody tr", has_text=proposal.number).inner_text()

    # 3. each participant opens its proposals from its barter page and confirms them
    expected = {  # company → proposal → (gives, gets, cash received)
        jia: {cycle: ("¥10,000.00", "¥10,000.00", "¥0.00"), cash_deal: ("¥2,000.00", "¥0.00", "¥2,000.00")},
        yi: {cycle: ("¥10,000.00", "¥10,000.00", "¥0.00"), cash_deal: ("¥0.00", "¥2,000.00", "-¥2,000.00")},
        bing: {cycle: ("¥10,000.00", "¥10,000.00", "¥0.00")},
    }
    for company, user in ((jia, jia_user), (yi, yi_user), (bing, bing_user)):
        sign_out(page, base)
        sign_in(page, base, user.email, factories.PASSWORD)
        page.goto(f"{base}/member/")
        with page.expect_navigation():
            page.locator(".side-nav__link", has_text="易货交易").click()
        assert set(page.locator("tbody a.mono").all_inner_texts()) == {p.number for p in expected[company]}
        for proposal, values in expected[company].items():
            page.goto(f"{base}/member/barter/")
            with page.expect_navigation():
                page.locator("tbody a", has_text=proposal.number).click()
            assert page.url.endswith(f"/member/barter/proposals/{proposal.number}/")
            cells = page.locator("tbody tr", has_text=company.name).first.locator("td")
            assert tuple(cells.nth(i).inner_text() for i in (1, 2, 3)) == values, (company.name, proposal.number)
            if company == jia and proposal == cycle:
                flows = " | ".join(page.locator("section:has(h2:text-is('货物转移')) tbody tr").all_inner_texts())
                for giver, taker in ((jia, yi), (yi, bing), (bing, jia)):
                    assert f"{giver.name} → {taker.name}" in flows
                screenshot("barter-3-proposal")
            with page.expect_navigation():
                page.locator("form[action$='/confirm/'] button[type=submit]").click()
            assert "已确认该易货方案" in messages_text(page)
    for proposal in (cycle, cash_deal):
        proposal.refresh_from_db()
        assert proposal.status == Proposal.Status.EXECUTING
    assert page.locator(".page-header h1 .badge").inner_text() == "执行中"
    assert page.locator("form[action$='/confirm/']").count() == 0
    orders = Order.objects.filter(payment_method=Order.PaymentMethod.BARTER)
    assert orders.count() == 4
    screenshot("barter-4-executing")

    # 甲's culture paper lot went to 乙 in both deals; the cash deal shows 乙's cash balance
    sign_out(page, base)
    sign_in(page, base, jia_user.email, factories.PASSWORD)
    page.goto(f"{base}/merchant/barter/")
    with page.expect_navigation():
        page.locator("tbody tr", has_text="70g 双胶纸").locator("a", has_text="拆分去向").click()
    split = page.locator("tbody tr")
    assert split.count() == 2
    assert "以现金差额结算" in split.filter(has_text=cash_deal.number).inner_text()
    assert "漂白桉木浆" not in split.filter(has_text=cycle.number).inner_text()  # 乙 gives its board to 丙
    screenshot("barter-5-lot")
    page.goto(f"{base}/member/barter/proposals/{cash_deal.number}/")
    settlements = page.locator("section:has(h2:text-is('差额结算'))").inner_text()
    assert f"{yi.name}：支付 ¥2,000.00" in settlements and f"{jia.name}：收取 ¥2,000.00" in settlements
    assert Settlement.objects.count() == 2

    # 4. 甲 follows the cycle's order link to the pulp it bought from 丙, and finds it in its orders
    bought = orders.get(buyer=jia)
    page.goto(f"{base}/member/barter/proposals/{cycle.number}/")
    with page.expect_navigation():
        page.locator("a", has_text=bought.number).click()
    assert page.url.endswith(f"/member/orders/{bought.number}/")
    assert "漂白桉木浆" in page.content()
    screenshot("barter-6-order")
    page.goto(f"{base}/member/orders/")
    row = page.locator("tbody tr", has_text=bought.number)
    assert "南宁丙浆业有限公司" in row.inner_text() and "¥10,000.00" in row.inner_text()
    assert row.locator(".badge").inner_text() == bought.get_status_display()
    screenshot("barter-7-orders")
    page.goto(f"{base}/merchant/orders/")
    for sold in orders.filter(seller=jia):
        assert yi.name in page.locator("tbody tr", has_text=sold.number).inner_text()

    # 5. staff follow the executing deal in the back office, down to its orders
    sign_out(page, base)
    sign_in(page, base, admin.email, factories.PASSWORD)
    page.goto(f"{base}/backoffice/barter/deals/{cycle.number}/")
    assert page.locator(".page-header h1 .badge").inner_text() == "执行中"
    with page.expect_navigation():
        page.locator("a", has_text=bought.number).click()
    assert page.url.endswith(f"/backoffice/orders/{bought.number}/")
    assert "漂白桉木浆" in page.content()
