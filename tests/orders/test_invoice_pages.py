"""The invoice pages: the panel on the order page, the buyer's request form, finance's queue in the
back office, and the invoice file served only to the order's parties and staff."""

import pytest
from django.urls import reverse

from core.permissions import CompanyPermission
from orders import invoices
from orders.models import InvoiceRequest, Order
from tests import factories
from tests.orders.invoice_helpers import FORM_DETAILS, finance, general_taxpayer, invoice_file, paid_order, requested


@pytest.fixture
def taxpayer(buyer):
    return general_taxpayer(buyer)


@pytest.fixture
def order(taxpayer, seller):
    return paid_order(taxpayer, seller, number="PO-INV-000001")


def issued(order):
    invoice = requested(order)
    return invoices.issue_invoice(by=finance(), invoice_id=invoice.pk, invoice_number="12345678",
                                  invoice_file=invoice_file())


def test_order_page_shows_the_prefilled_request_form(client, order, taxpayer):
    client.force_login(factories.main_user_of(taxpayer))

    page = client.get(reverse("member-orders:detail", args=[order.number])).content.decode()

    assert reverse("member-orders:invoice-request", args=[order.number]) in page
    assert 'value="91310000MA1FL0AB3X"' in page
    assert 'value="1001234509000012345"' in page
    assert "上海市浦东新区张江路 88 号" in page


def test_order_page_has_no_form_before_payment(client, taxpayer, seller):
    order = paid_order(taxpayer, seller, status=Order.Status.PENDING_PAYMENT, paid="0")
    client.force_login(factories.main_user_of(taxpayer))

    page = client.get(reverse("member-orders:detail", args=[order.number])).content.decode()

    assert reverse("member-orders:invoice-request", args=[order.number]) not in page


def test_small_scale_buyer_sees_why_on_the_order_page(client, buyer, seller):
    order = paid_order(general_taxpayer(buyer, taxpayer_type="small_scale"), seller)
    client.force_login(factories.main_user_of(buyer))

    page = client.get(reverse("member-orders:detail", args=[order.number])).content.decode()

    assert "仅向一般纳税人开具" in page
    assert reverse("member-orders:invoice-request", args=[order.number]) not in page


def test_buyer_submits_the_form_and_returns_to_the_order(client, order, taxpayer):
    client.force_login(factories.main_user_of(taxpayer))

    response = client.post(reverse("member-orders:invoice-request", args=[order.number]), FORM_DETAILS)

    assert response.status_code == 302
    assert response["Location"] == reverse("member-orders:detail", args=[order.number])
    assert order.invoices.get().status == InvoiceRequest.Status.REQUESTED


def test_wrong_details_shown_on_the_form_with_what_was_typed(client, order, taxpayer):
    client.force_login(factories.main_user_of(taxpayer))

    response = client.post(reverse("member-orders:invoice-request", args=[order.number]),
                           {**FORM_DETAILS, "tax_number": "123"})

    assert response.status_code == 422
    page = response.content.decode()
    assert "纳税人识别号应为 15–20 位数字或大写字母" in page
    assert 'value="123"' in page
    assert not order.invoices.exists()


def test_another_companys_order_form_is_404(client, order):
    stranger = general_taxpayer(factories.company(name="杭州别家纸业有限公司"))
    client.force_login(factories.main_user_of(stranger))

    assert client.post(reverse("member-orders:invoice-request", args=[order.number]),
                       FORM_DETAILS).status_code == 404


def test_sub_account_without_rights_is_refused_on_the_page(client, order, taxpayer):
    client.force_login(factories.sub_account(taxpayer, [CompanyPermission.FULFILMENT]))

    response = client.post(reverse("member-orders:invoice-request", args=[order.number]), FORM_DETAILS)

    assert response.status_code == 422
    assert "权限" in response.content.decode()
    assert not order.invoices.exists()


def test_issued_invoice_number_and_download_on_the_order_page(client, order, taxpayer):
    invoice = issued(order)
    client.force_login(factories.main_user_of(taxpayer))

    page = client.get(reverse("member-orders:detail", args=[order.number])).content.decode()

    assert "12345678" in page
    assert reverse("member-orders:invoice-file", args=[invoice.pk]) in page


@pytest.mark.parametrize("who", ["buyer", "seller", "staff"])
def test_invoice_file_served_to_the_parties_and_staff(client, order, seller, who):
    invoice = issued(order)
    user, url = {
        "buyer": (factories.main_user_of(order.buyer), reverse("member-orders:invoice-file", args=[invoice.pk])),
        "seller": (factories.main_user_of(seller), reverse("merchant-orders:invoice-file", args=[invoice.pk])),
        "staff": (factories.staff_user("customer_service"),
                  reverse("backoffice-orders:invoice-file", args=[invoice.pk])),
    }[who]
    client.force_login(user)

    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_invoice_file_hidden_from_other_companies(client, order):
    invoice = issued(order)
    client.force_login(factories.main_user_of(factories.company(name="杭州别家纸业有限公司")))

    assert client.get(reverse("member-orders:invoice-file", args=[invoice.pk])).status_code == 404


def test_finance_queue_lists_requests(client, order):
    invoice = requested(order)
    client.force_login(finance())

    page = client.get(reverse("backoffice-orders:invoices")).content.decode()

    assert order.number in page
    assert reverse("backoffice-orders:invoice", args=[invoice.pk]) in page


def test_queue_is_for_finance_only(client, order):
    requested(order)
    client.force_login(factories.staff_user("reviewer"))

    assert client.get(reverse("backoffice-orders:invoices")).status_code == 403


def test_queue_registered_on_the_dashboard(client, order):
    requested(order)
    client.force_login(finance())

    page = client.get(reverse("backoffice:dashboard")).content.decode()

    assert "待开发票" in page


def test_finance_issues_through_the_back_office(client, order):
    invoice = requested(order)
    client.force_login(finance())

    response = client.post(reverse("backoffice-orders:invoice-issue", args=[invoice.pk]),
                           {"invoice_number": "87654321", "invoice_file": invoice_file()})

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.invoice_number) == (InvoiceRequest.Status.ISSUED, "87654321")


def test_wrong_file_type_shown_on_the_detail_page(client, order):
    invoice = requested(order)
    client.force_login(finance())

    response = client.post(reverse("backoffice-orders:invoice-issue", args=[invoice.pk]), {
        "invoice_number": "87654321",
        "invoice_file": invoice_file(name="发票.pdf", content=b"<html>not a pdf</html>", content_type="text/html")})

    assert response.status_code == 422
    assert "不是 PDF、JPEG 或 PNG 文件" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceRequest.Status.REQUESTED


def test_finance_returns_through_the_back_office(client, order):
    invoice = requested(order)
    client.force_login(finance())

    response = client.post(reverse("backoffice-orders:invoice-reject", args=[invoice.pk]),
                           {"reason": "开户银行与账号不符"})

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceRequest.Status.REJECTED


def test_staff_order_page_shows_the_request_with_a_link_to_handle_it(client, order):
    invoice = requested(order)
    client.force_login(finance())

    page = client.get(reverse("backoffice-orders:detail", args=[order.number])).content.decode()

    assert reverse("backoffice-orders:invoice", args=[invoice.pk]) in page


def test_detail_page_shows_the_submitted_details_and_the_forms(client, order):
    invoice = requested(order)
    client.force_login(finance())

    page = client.get(reverse("backoffice-orders:invoice", args=[invoice.pk])).content.decode()

    assert "91310000MA1FL0AB3X" in page and "1001234509000012345" in page
    assert reverse("backoffice-orders:invoice-issue", args=[invoice.pk]) in page
    assert reverse("backoffice-orders:invoice-reject", args=[invoice.pk]) in page
    assert "一般纳税人" in page
