"""Payments through the pages: the buyer's payment panel and transfer form, the slip behind its
access check, finance's queue (待确认的转账) and its confirm / reject page."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from orders import payments
from orders.models import Order, Payment
from tests import factories
from tests.orders.paying_helpers import finance_user, placed_order, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer, seller):
    return placed_order(buyer, seller, lines=[("2", "5000.00")])


@pytest.fixture
def finance_client(client):
    client.force_login(finance_user())
    return client


def panel(order, side, user):
    membership = getattr(user, "membership", None)
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("orders/includes/payment_panel.html", {
        "order": order, "side": side, "membership": membership, "user": user}, request=request)


def transfer_form(**changes):
    data = {"amount": "10000.00", "payer_name": "上海测试包装有限公司", "payer_account": "6222020200001234",
            "bank_reference": "ICBC0001", "transferred_on": timezone.localdate().isoformat()}
    data.update(changes)
    return data


def test_buyer_panel_shows_the_platform_account_reference_and_outstanding(order, settings):
    html = panel(order, "buyer", factories.main_user_of(order.buyer))
    assert settings.PLATFORM_BANK_ACCOUNT["number"] in html
    assert settings.PLATFORM_BANK_ACCOUNT["name"] in html
    assert order.remittance_reference in html
    assert "¥10,000.00" in html
    assert reverse("member-orders:payment-record", args=[order.number]) in html


def test_seller_panel_has_no_transfer_form_or_account(order, settings):
    record(order, amount="4000.00")
    html = panel(order, "seller", factories.main_user_of(order.seller))
    assert settings.PLATFORM_BANK_ACCOUNT["number"] not in html
    assert "payments/record" not in html
    assert "ICBC" not in html  # the buyer's transfers are not the seller's business


def test_staff_panel_links_each_transfer_to_finance(order):
    payment = record(order, amount="4000.00")
    html = panel(order, "staff", finance_user())
    assert reverse("backoffice-orders:payment", args=[payment.pk]) in html


def test_buyer_records_a_transfer_with_its_slip(client, order):
    client.force_login(factories.main_user_of(order.buyer))
    response = client.post(reverse("member-orders:payment-record", args=[order.number]),
                           {**transfer_form(), "slip": factories.upload(name="回单.png", content=factories.PNG_BYTES,
                                                                        content_type="image/png")})
    assert response.status_code == 302
    assert response.url == reverse("member-orders:detail", args=[order.number])
    payment = order.payments.get()
    assert (payment.amount, payment.slip_name, payment.payer_name_matches) == (Decimal("10000.00"), "回单.png", True)

    slip = client.get(reverse("member-orders:payment-slip", args=[payment.pk]))
    assert slip.status_code == 200
    assert b"".join(slip.streaming_content).startswith(b"\x89PNG")


def test_refused_transfer_shows_the_reason_and_records_nothing(client, order):
    client.force_login(factories.main_user_of(order.buyer))
    future = (timezone.localdate() + timezone.timedelta(days=3)).isoformat()
    response = client.post(reverse("member-orders:payment-record", args=[order.number]),
                           transfer_form(transferred_on=future))
    assert response.status_code == 302
    assert "转账日期不能晚于今天" in [str(message) for message in get_messages(response.wsgi_request)][0]
    bad_slip = factories.upload(name="回单.pdf", content=b"<html>not a slip</html>")
    response = client.post(reverse("member-orders:payment-record", args=[order.number]),
                           {**transfer_form(), "slip": bad_slip})
    assert "不是 PDF、JPEG 或 PNG" in [str(message) for message in get_messages(response.wsgi_request)][-1]
    assert not order.payments.exists()


def test_another_companys_order_page_actions_are_404(client, order):
    client.force_login(factories.main_user_of(factories.company(name="别家纸业有限公司")))
    assert client.post(reverse("member-orders:payment-record", args=[order.number]),
                       transfer_form()).status_code == 404
    payment = record(order, slip=factories.upload())
    assert client.get(reverse("member-orders:payment-slip", args=[payment.pk])).status_code == 404


def test_slip_is_for_finance_but_not_other_staff(client, order):
    payment = record(order, slip=factories.upload())
    client.force_login(finance_user())
    assert client.get(reverse("backoffice-orders:payment-slip", args=[payment.pk])).status_code == 200
    client.force_login(factories.staff_user("reviewer"))
    assert client.get(reverse("backoffice-orders:payment-slip", args=[payment.pk])).status_code == 403
    client.force_login(factories.main_user_of(order.seller))
    assert client.get(reverse("member-orders:payment-slip", args=[payment.pk])).status_code == 404


def test_finance_queue_flags_mismatched_payer_names(finance_client, order, buyer, seller):
    matching = record(order, amount="1000.00")
    odd = record(placed_order(buyer, seller), payer_name="某某个人")
    response = finance_client.get(reverse("backoffice-orders:payments"))
    assert response.status_code == 200
    page = list(response.context["page"].object_list)
    assert page == [matching, odd]  # oldest first
    assert response.content.decode().count("户名不一致") >= 2  # the filter label and the flagged row
    only_odd = finance_client.get(reverse("backoffice-orders:payments") + "?mismatch=1")
    assert list(only_odd.context["page"].object_list) == [odd]


def test_queue_is_finance_only_and_on_the_dashboard(client, finance_client, order):
    record(order, amount="1000.00")
    dashboard = finance_client.get(reverse("backoffice:dashboard"))
    queue = next(item for item in dashboard.context["queues"] if item["queue"].key == "orders.payments")
    assert (str(queue["queue"].label), queue["count"]) == ("待确认的转账", 1)
    client.force_login(factories.staff_user("reviewer"))
    assert client.get(reverse("backoffice-orders:payments")).status_code == 403


def test_finance_confirms_and_a_second_click_is_refused(finance_client, order):
    payment = record(order)
    url = reverse("backoffice-orders:payment", args=[payment.pk])
    response = finance_client.post(url, {"action": "confirm", "note": ""})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    again = finance_client.post(url, {"action": "confirm", "note": ""}, follow=True)
    assert "不能重复操作" in again.content.decode()
    order.refresh_from_db()
    assert order.amount_paid == Decimal("10000.00")


def test_mismatched_payer_needs_the_acknowledgement_box(finance_client, order):
    payment = record(order, payer_name="张三")
    url = reverse("backoffice-orders:payment", args=[payment.pk])
    page = finance_client.get(url).content.decode()
    assert "付款户名与买家认证名称不一致" in page and "acknowledge_mismatch" in page
    refused = finance_client.post(url, {"action": "confirm", "note": "核实过"})
    assert refused.status_code == 200 and "请核实后勾选确认" in refused.content.decode()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.RECORDED
    finance_client.post(url, {"action": "confirm", "note": "法定代表人个人账户代付，已电话核实",
                              "acknowledge_mismatch": "on"})
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED


def test_finance_rejects_with_a_reason(finance_client, order):
    payment = record(order)
    url = reverse("backoffice-orders:payment", args=[payment.pk])
    assert finance_client.post(url, {"action": "reject", "reason": ""}).status_code == 200
    finance_client.post(url, {"action": "reject", "reason": "银行未收到该笔款项"})
    payment.refresh_from_db()
    assert (payment.status, payment.decision_note) == (Payment.Status.REJECTED, "银行未收到该笔款项")
    assert payments.recordable(order) == order.total


def test_order_pages_carry_the_payment_panel(client, order, settings):
    payment = record(order, amount="1000.00")
    client.force_login(factories.main_user_of(order.buyer))
    page = client.get(reverse("member-orders:detail", args=[order.number]))
    assert page.status_code == 200
    assert settings.PLATFORM_BANK_ACCOUNT["number"] in page.content.decode()
    client.force_login(finance_user())
    page = client.get(reverse("backoffice-orders:detail", args=[order.number]))
    assert reverse("backoffice-orders:payment", args=[payment.pk]) in page.content.decode()


def test_a_finance_sub_account_opens_the_order_to_pay_it(client, buyer, seller):
    from tests.orders.paying_helpers import placed_order

    order = placed_order(buyer, seller)
    client.force_login(factories.sub_account(buyer, ["finance"]))
    page = client.get(reverse("member-orders:detail", args=[order.number]))
    assert page.status_code == 200 and order.remittance_reference in page.content.decode()

    client.force_login(factories.sub_account(buyer, ["products"]))
    refused = client.get(reverse("member-orders:detail", args=[order.number]))
    assert refused.status_code == 403 and "采购与订单" in refused.content.decode()
