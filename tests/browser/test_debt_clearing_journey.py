"""Issue journey (debt): three companies with circular debts (乙 owes 甲, 丙 owes 乙, 甲 owes 丙) go
through the member centre and the back office. 甲 registers what 乙 owes it on the obligations page,
乙 confirms it there, 甲 confirms what it owes 丙 (registered by 丙 through the service); legal staff
start a clearing run whose planning task runs on commit in the server thread (eager Celery); each
company confirms its part; the run is applied; 甲 downloads its clearing statement and sees the
outstanding amounts shrink on its obligations page."""

import pytest

from debt.models import ClearingRun, Obligation
from debt.obligations import confirm_obligation, register_obligation
from tests import factories
from tests.browser.test_enterprise_journey import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DUE_ON = "2026-06-30"


def messages_text(page):
    return page.locator("ul.messages").inner_text()


def obligation_row(page, reference):
    return page.locator("tbody tr", has_text=reference)


def test_circular_debts_are_registered_confirmed_cleared_and_stated(live_server, page, screenshot):
    base = live_server.url
    jia = factories.company(name="杭州甲纸业有限公司")
    yi = factories.company(name="宁波乙包装有限公司")
    bing = factories.company(name="温州丙印务有限公司")
    legal = factories.staff_user("legal_compliance", email="legal@example.cn")
    jia_login, yi_login, bing_login = (factories.main_user_of(c).email for c in (jia, yi, bing))

    # 丙 owes 乙 ¥80,000 (registered and confirmed through the services); 丙 registers that 甲 owes
    # it ¥60,000, which 甲 confirms on the page below
    owed_to_yi = register_obligation(by=factories.main_user_of(yi), debtor_credit_code=bing.unified_social_credit_code,
                                     amount="80000.00", due_on=DUE_ON, reference="HT-BING-YI-01")
    confirm_obligation(by=factories.main_user_of(bing), obligation_id=owed_to_yi.pk)
    owed_to_bing = register_obligation(by=factories.main_user_of(bing),
                                       debtor_credit_code=jia.unified_social_credit_code,
                                       amount="60000.00", due_on=DUE_ON, reference="HT-JIA-BING-01")

    # 1. 甲 registers on the obligations page that 乙 owes it ¥100,000, with the contract attached
    sign_in(page, base, jia_login, factories.PASSWORD)
    page.goto(f"{base}/member/")
    with page.expect_navigation():
        page.locator(".side-nav__link", has_text="债务与清算").click()
    assert page.url.endswith("/member/debt/obligations/")
    page.fill("#debtor_code", yi.unified_social_credit_code)
    page.fill("#amount", "100000.00")
    page.fill("#due_on", DUE_ON)
    page.fill("#reference", "HT-YI-JIA-01")
    page.fill("#description", "2025 年第四季度白卡纸货款")
    page.set_input_files("#evidence", {"name": "购销合同.pdf", "mimeType": "application/pdf",
                                       "buffer": factories.PDF_BYTES})
    screenshot("debt-0-register")
    with page.expect_navigation():
        page.locator("form[action$='/obligations/register/'] button[type=submit]").click()
    assert "债务已登记" in messages_text(page)
    owed_to_jia = Obligation.objects.get(reference="HT-YI-JIA-01")
    assert (owed_to_jia.debtor, owed_to_jia.creditor) == (yi, jia)
    assert page.url.endswith(f"/member/debt/obligations/{owed_to_jia.pk}/")
    assert "待债务人确认" in page.locator(".page-header").inner_text()
    assert page.locator("a", has_text="购销合同.pdf").count() == 1

    # …and confirms on its obligation page what it owes 丙
    page.goto(f"{base}/member/debt/obligations/?role=debtor")
    with page.expect_navigation():
        obligation_row(page, "HT-JIA-BING-01").locator("a").click()
    with page.expect_navigation():
        page.locator("form[action$='/confirm/'] button[type=submit]").click()
    assert "已确认该债务" in messages_text(page)
    assert "已确认" in page.locator(".page-header .badge").inner_text()

    # 2. 乙 finds the obligation 甲 registered, opens the evidence and confirms it
    sign_out(page, base)
    sign_in(page, base, yi_login, factories.PASSWORD)
    page.goto(f"{base}/member/debt/obligations/")
    row = obligation_row(page, "HT-YI-JIA-01")
    assert "应付" in row.inner_text() and "杭州甲纸业有限公司" in row.inner_text()
    assert "¥100,000.00" in row.inner_text()
    assert row.locator(".badge").inner_text() == "待债务人确认"
    with page.expect_navigation():
        row.locator("a").click()
    evidence = page.request.get(base + page.locator("a", has_text="购销合同.pdf").get_attribute("href"))
    assert evidence.ok and evidence.body().startswith(b"%PDF")
    history = page.locator("section:has(h2:text-is('记录'))").inner_text()
    assert "登记债务" in history and "→ 待债务人确认" in history and "pending_confirmation" not in history
    screenshot("debt-1-debtor-confirms")
    with page.expect_navigation():
        page.locator("form[action$='/confirm/'] button[type=submit]").click()
    assert "已确认该债务" in messages_text(page)
    assert all(o.status == Obligation.Status.CONFIRMED for o in Obligation.objects.all())

    # 3. legal staff start a clearing run; planning runs on commit in the server thread
    sign_out(page, base)
    sign_in(page, base, legal.email, factories.PASSWORD)
    page.goto(f"{base}/backoffice/debt/runs/")
    assert "还没有清算批次" in page.content()
    with page.expect_navigation():
        page.locator("form[action$='/runs/start/'] button[type=submit]").click()
    assert "清算批次已发起" in messages_text(page)
    run = ClearingRun.objects.get()
    assert page.url.endswith(f"/backoffice/debt/runs/{run.pk}/")
    assert run.status == ClearingRun.Status.AWAITING
    progress = page.locator("#run-progress")
    assert "待各方确认" in progress.inner_text() and "100%" in progress.inner_text()
    assert progress.get_attribute("hx-get") is None  # no polling once the plan is there
    assert "¥180,000.00" in page.locator(".detail-list").inner_text()  # 3 × ¥60,000 set off
    participants = page.locator("table tbody tr", has=page.locator(".badge"))
    assert participants.count() == 3
    assert "（0 / 3 已确认）" in page.locator("h2", has_text="参与企业").inner_text()
    screenshot("debt-2-run-planned")

    # 4. each company opens its part from the clearing list and confirms it
    for login, name, owed_by_after, owed_to_after in (
            (jia_login, "甲", "¥0.00", "¥40,000.00"),
            (yi_login, "乙", "¥40,000.00", "¥20,000.00"),
            (bing_login, "丙", "¥20,000.00", "¥0.00")):
        sign_out(page, base)
        sign_in(page, base, login, factories.PASSWORD)
        page.goto(f"{base}/member/debt/clearing/")
        listed = page.locator("tbody tr", has_text=f"#{run.pk}")
        assert "待各方确认" in listed.inner_text() and "待确认" in listed.locator(".badge").inner_text()
        with page.expect_navigation():
            listed.locator("a", has_text=f"#{run.pk}").click()
        assert page.url.endswith(f"/member/debt/clearing/{run.pk}/")
        summary = page.locator("table", has_text="净头寸").locator("tbody tr")
        assert owed_by_after in summary.nth(0).locator("td").nth(2).inner_text(), name
        assert owed_to_after in summary.nth(1).locator("td").nth(2).inner_text(), name
        assert summary.nth(2).locator("td").nth(0).inner_text() == summary.nth(2).locator("td").nth(2).inner_text()
        if name == "甲":
            screenshot("debt-3-part")
        with page.expect_navigation():
            page.locator("form:has(input[name=decision][value=confirm]) button[type=submit]").click()
        assert "已确认贵司的部分" in messages_text(page)
        assert page.locator("h2 .badge").inner_text() == "已确认"
    run.refresh_from_db()
    assert run.status == ClearingRun.Status.APPLIED
    assert "已执行" in page.locator(".page-header__sub").inner_text()
    screenshot("debt-4-applied")

    # 5. 甲 downloads its statement and sees what is left outstanding
    sign_out(page, base)
    sign_in(page, base, jia_login, factories.PASSWORD)
    page.goto(f"{base}/member/debt/clearing/{run.pk}/")
    link = page.locator(".page-header__actions a", has_text="下载清算对账单")
    statement = page.request.get(base + link.get_attribute("href"))
    assert statement.status == 200
    assert statement.headers["content-type"] == "application/pdf"
    assert statement.body().startswith(b"%PDF")

    page.goto(f"{base}/member/debt/obligations/")
    receivable = obligation_row(page, "HT-YI-JIA-01")
    assert receivable.locator("td").nth(3).inner_text() == "¥100,000.00"
    assert receivable.locator("td").nth(4).inner_text() == "¥40,000.00"
    assert receivable.locator(".badge").inner_text() == "已确认"
    payable = obligation_row(page, "HT-JIA-BING-01")
    assert payable.locator("td").nth(4).inner_text() == "¥0.00"
    assert payable.locator(".badge").inner_text() == "已结清"
    screenshot("debt-5-obligations-after")
    with page.expect_navigation():
        receivable.locator("a").click()
    setoff = page.locator("section:has(h2:text-is('清算抵销'))")
    assert f"清算批次 #{run.pk}" in setoff.inner_text()
    assert "¥100,000.00 − ¥60,000.00 = ¥40,000.00" in setoff.inner_text()
    owed_to_yi.refresh_from_db()
    owed_to_bing.refresh_from_db()
    assert (owed_to_yi.outstanding, owed_to_bing.status) == (20000, Obligation.Status.SETTLED)
