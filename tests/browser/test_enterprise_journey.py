"""Issue journey: a visitor registers, verifies the e-mail, applies for enterprise verification
with a licence upload; a reviewer approves; the main account creates a sub-account without
purchasing rights; the sub-account signs in and is refused the purchase orders page."""

import re

import pytest
from django.core import mail

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Paper-Trade-2026!"


def sign_in(page, base, login, password):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form[action*='login'] button[type=submit]").first.click()


def sign_out(page, base):
    page.context.clear_cookies()


def test_register_apply_approve_and_sub_account_is_refused(live_server, page, screenshot, tmp_path):
    base = live_server.url
    reviewer = factories.staff_user("reviewer", email="reviewer@example.cn")

    # register and confirm the e-mail address
    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=email]", "founder@paper-startup.cn")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    with page.expect_navigation():
        page.locator("form[action*='signup'] button[type=submit]").first.click()
    message = next(m for m in mail.outbox if m.to == ["founder@paper-startup.cn"])
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body).group(0)
    page.goto(re.sub(r"^https?://[^/]+", base, link))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()

    # apply for enterprise verification with a licence scan
    sign_in(page, base, "founder@paper-startup.cn", PASSWORD)
    page.goto(f"{base}/member/verification/")
    details = factories.application_details(name="杭州新纸业科技有限公司")
    for field in ("name", "unified_social_credit_code", "legal_representative", "legal_representative_id_number",
                  "contact_name", "contact_phone", "invoice_title", "tax_number", "invoice_address",
                  "invoice_phone", "bank_name", "bank_account"):
        page.fill(f"[name={field}]", details[field])
    # Choosing the province makes htmx replace the city options; select the city after the swap.
    with page.expect_response(lambda response: "/regions/cities/" in response.url):
        page.select_option("select[name=province]", str(details["province"]))
    page.wait_for_function("document.querySelectorAll('select[name=city] optgroup').length === 0")
    page.select_option("select[name=city]", str(details["city"]))
    page.select_option("select[name=taxpayer_type]", "general")
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(factories.PDF_BYTES)
    page.set_input_files("input[name=business_licence]", str(licence))
    screenshot("verification-form")
    with page.expect_navigation():
        page.locator("form[enctype='multipart/form-data'] button[type=submit]").first.click()
    assert "1–3 个工作日" in page.content()

    # a reviewer approves it from the queue
    sign_out(page, base)
    sign_in(page, base, reviewer.email, factories.PASSWORD)
    page.goto(f"{base}/backoffice/accounts/reviews/")
    page.get_by_text("杭州新纸业科技有限公司").first.wait_for()
    page.locator("a[href*='/backoffice/accounts/applications/']").first.click()
    page.wait_for_load_state()
    page.check("input[name=decision][value=approve]")
    with page.expect_navigation():
        page.locator("form button[type=submit]").filter(has_text="提交审核结论").click()
    screenshot("review-approved")

    # the main account adds a sub-account without purchasing rights
    sign_out(page, base)
    sign_in(page, base, "founder@paper-startup.cn", PASSWORD)
    page.goto(f"{base}/member/sub-accounts/")
    page.fill("input[name=full_name]", "销售 小王")
    page.fill("input[name=email]", "xiaowang@paper-startup.cn")
    page.check("input[name=permissions][value=messaging]")
    page.check("input[name=how][value=password]")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").filter(has_text=re.compile("创建|添加")).first.click()
    assert "xiaowang@paper-startup.cn" in page.content()

    # the sub-account signs in and is refused the purchase orders page
    sign_out(page, base)
    sign_in(page, base, "xiaowang@paper-startup.cn", PASSWORD)
    response = page.goto(f"{base}/member/orders/")
    assert response.status == 403
    assert "采购与订单" in page.content()
    screenshot("sub-account-refused")
