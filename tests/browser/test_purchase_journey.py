"""Issue journey (orders): the whole purchase through the real pages. A buyer checks out, records
an offline transfer with its slip; finance confirms it; the seller ships with SF (the simulator
books the waybill); the buyer signs for the goods, opens the purchase contract PDF and requests a
VAT special invoice; finance issues it and the buyer sees the invoice number."""

import re

import pytest
from django.utils import timezone

from orders.models import Order
from tests import factories
from tests.browser.test_enterprise_journey import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUYER_TAX = {
    "taxpayer_type": "general", "invoice_title": "上海东方包装制品有限公司", "tax_number": "91310000MA1FL0AB3X",
    "invoice_address": "上海市浦东新区张江路 88 号", "invoice_phone": "021-58886666",
    "bank_name": "中国工商银行上海张江支行", "bank_account": "1001234509000012345",
}
INVOICE_NUMBER = "04417362"


def pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": factories.PDF_BYTES}


def status_badge(page):
    return page.locator(".page-header h1 .badge")


def test_checkout_pay_confirm_ship_sign_and_invoice(live_server, page, screenshot):
    base = live_server.url
    seller = factories.company(name="日照港湾纸板有限公司")
    buyer = factories.company(name="上海东方包装制品有限公司", **BUYER_TAX)
    product = factories.stock(factories.product(seller=seller, title="港湾 250g 白卡纸", price="4800.00"), 100)
    finance = factories.staff_user("finance", email="finance@example.cn")
    buyer_login = factories.main_user_of(buyer).email
    seller_login = factories.main_user_of(seller).email
    page.on("dialog", lambda dialog: dialog.accept())  # forms with data-confirm ask before submitting

    # 1. the buyer puts 12 tons in the cart and submits the order
    sign_in(page, base, buyer_login, factories.PASSWORD)
    page.goto(f"{base}/p/{product.pk}/")
    page.fill("#cart-quantity", "12")
    with page.expect_navigation():
        page.locator("form.add-to-cart button[type=submit]").click()
    assert page.url.endswith("/cart/")
    assert "港湾 250g 白卡纸" in page.content()
    assert "¥57,600.00" in page.content()
    screenshot("purchase-0-cart")
    with page.expect_navigation():
        page.locator("form[action$='/cart/checkout/'] button[type=submit]").click()

    order = Order.objects.get(buyer=buyer)
    assert order.status == Order.Status.PENDING_PAYMENT
    assert page.url.endswith(f"/member/orders/{order.number}/")
    assert status_badge(page).get_attribute("class") == "badge status-pending_payment"
    assert status_badge(page).inner_text() == "待付款"
    payment = page.locator("#payment")
    assert order.remittance_reference and order.remittance_reference in payment.inner_text()
    assert "中国工商银行上海市分行营业部" in payment.inner_text()
    assert "1202 0210 0910 0123 456" in payment.inner_text()
    screenshot("purchase-1-order")

    # 2. …transfers the total and records it with the bank slip
    assert page.input_value("#transfer_amount") == "57600.00"
    assert page.input_value("#transfer_payer_name") == "上海东方包装制品有限公司"
    assert page.input_value("#transfer_transferred_on") == timezone.localdate().isoformat()  # today, prefilled
    page.fill("#transfer_bank_reference", "ICBC20260301889912")
    page.set_input_files("#transfer_slip", pdf("转账回单.pdf"))
    with page.expect_navigation():
        payment.locator("form[action$='/payments/record/'] button[type=submit]").click()
    assert "转账已登记" in page.locator("ul.messages").inner_text()
    row = page.locator("#payment tbody tr", has_text="ICBC20260301889912")
    assert row.locator(".badge").inner_text() == "待财务确认"
    assert "户名不一致" not in row.inner_text()
    assert row.locator("a", has_text="转账回单").count() == 1
    screenshot("purchase-2-transfer-recorded")

    # 3. finance finds the transfer in the queue and confirms it
    sign_out(page, base)
    sign_in(page, base, finance.email, factories.PASSWORD)
    page.goto(f"{base}/backoffice/orders/finance/transfers/")
    queued = page.locator("tbody tr", has_text=order.number)
    assert "¥57,600.00" in queued.inner_text()
    assert "ICBC20260301889912" in queued.inner_text()
    screenshot("purchase-3-payments-queue")
    with page.expect_navigation():
        queued.locator("a", has_text=order.number).click()
    slip = page.request.get(base + page.locator("a[href$='/slip/']").get_attribute("href"))
    assert slip.ok and slip.body().startswith(b"%PDF")
    with page.expect_navigation():
        page.locator("form:has(input[name=action][value=confirm]) button[type=submit]").click()
    assert "已确认到账" in page.locator("ul.messages").inner_text()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    page.goto(f"{base}/backoffice/orders/finance/transfers/?status=confirmed")
    assert page.locator("tbody tr", has_text=order.number).locator(".badge").inner_text() == "已确认到账"

    # 4. the seller ships it with SF; the simulator books the waybill; tracking starts
    sign_out(page, base)
    sign_in(page, base, seller_login, factories.PASSWORD)
    page.goto(f"{base}/merchant/orders/{order.number}/")
    assert status_badge(page).get_attribute("class") == "badge status-paid"
    page.select_option("#ship-carrier", "sf")
    with page.expect_navigation():
        page.locator("form[action$='/ship/'] button[type=submit]").click()
    assert status_badge(page).get_attribute("class") == "badge status-shipped"
    assert status_badge(page).inner_text() == "已发货"
    shipment = order.shipments.get()
    assert re.fullmatch(r"SF\d{12}", shipment.waybill_number)
    shipping = page.locator("#shipping")
    assert shipment.waybill_number in shipping.inner_text()
    assert "顺丰" in shipping.inner_text()
    with page.expect_navigation():
        shipping.locator("button", has_text="刷新物流").click()
    timeline = shipping.locator("ol.timeline li")
    assert timeline.first.locator(".badge").inner_text() == "已下单"
    assert "顺丰速运已接单" in timeline.first.inner_text()
    screenshot("purchase-4-shipped")

    # 5. the buyer sees the tracking, signs for the goods, opens the contract, asks for the invoice
    sign_out(page, base)
    sign_in(page, base, buyer_login, factories.PASSWORD)
    page.goto(f"{base}/member/orders/{order.number}/")
    assert status_badge(page).inner_text() == "已发货"
    assert shipment.waybill_number in page.locator("#shipping").inner_text()
    assert "顺丰速运已接单" in page.locator("#shipping ol.timeline").inner_text()
    with page.expect_navigation():
        page.locator("#shipping button", has_text="确认收货").click()
    assert status_badge(page).get_attribute("class") == "badge status-received"
    assert status_badge(page).inner_text() == "已签收"
    assert page.locator("#shipping button", has_text="确认收货").count() == 0

    documents = page.locator("#documents")
    assert documents.locator("a", has_text="购销合同").count() == 1
    contract = page.request.get(base + documents.locator("a", has_text="购销合同").get_attribute("href"))
    assert contract.status == 200
    assert contract.headers["content-type"] == "application/pdf"
    assert contract.body().startswith(b"%PDF")

    invoice = page.locator("#invoice")
    assert invoice.locator("#invoice_title").input_value() == "上海东方包装制品有限公司"
    assert invoice.locator("#invoice_tax_number").input_value() == "91310000MA1FL0AB3X"
    assert invoice.locator("#invoice_bank_account").input_value() == "1001234509000012345"
    assert invoice.locator("#invoice_amount").input_value() == "57600.00"
    screenshot("purchase-5-received")
    with page.expect_navigation():
        invoice.locator("button[type=submit]", has_text="提交发票申请").click()
    assert page.url.endswith(f"/member/orders/{order.number}/")
    assert page.locator("#invoice .card__header .badge").inner_text() == "待开票"

    # 6. finance issues the invoice from the queue; the buyer sees its number
    sign_out(page, base)
    sign_in(page, base, finance.email, factories.PASSWORD)
    page.goto(f"{base}/backoffice/orders/invoices/queue/")
    requested = page.locator("tbody tr", has_text=order.number)
    assert "上海东方包装制品有限公司" in requested.inner_text()
    assert "¥57,600.00" in requested.inner_text()
    screenshot("purchase-6-invoice-queue")
    with page.expect_navigation():
        requested.locator("a", has_text=order.number).click()
    page.fill("#issue_invoice_number", INVOICE_NUMBER)
    page.set_input_files("#issue_invoice_file", pdf("增值税专用发票.pdf"))
    screenshot("purchase-7-issue-invoice")
    with page.expect_navigation():
        page.locator("form[action$='/issue/'] button[type=submit]").click()
    assert "发票已登记" in page.locator("ul.messages").inner_text()

    sign_out(page, base)
    sign_in(page, base, buyer_login, factories.PASSWORD)
    page.goto(f"{base}/member/orders/{order.number}/")
    invoice = page.locator("#invoice")
    assert invoice.locator(".card__header .badge").inner_text() == "已开票"
    assert invoice.locator("tbody tr").first.locator("td.mono").inner_text() == INVOICE_NUMBER
    issued = page.request.get(base + invoice.locator("a", has_text="下载").get_attribute("href"))
    assert issued.ok and issued.body().startswith(b"%PDF")
    screenshot("purchase-8-invoice-issued")
