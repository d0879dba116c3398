"""Invoices over the API: the buyer's key (finance or purchasing scope) lists and requests them and
downloads the issued file; other keys and companies are refused."""

import pytest
from rest_framework.test import APIClient

from core import apikeys
from orders import invoices
from orders.models import InvoiceRequest, Order
from tests import factories
from tests.orders.invoice_helpers import FORM_DETAILS, finance, general_taxpayer, invoice_file, paid_order, requested


def api_for(company, scopes=("finance",)):
    client = APIClient()
    _key, raw = apikeys.issue_api_key(company=company, created_by=factories.main_user_of(company), name="erp",
                                      scopes=list(scopes))
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def order(buyer, seller):
    return paid_order(general_taxpayer(buyer), seller, number="PO-API-INV-1")


def endpoint(order):
    return f"/api/v1/orders/{order.number}/invoices/"


@pytest.mark.parametrize("scope", ["finance", "purchasing"])
def test_buyer_key_requests_an_invoice(order, scope):
    response = api_for(order.buyer, [scope]).post(endpoint(order), FORM_DETAILS, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "requested"
    assert body["amount"] == "11300.00"
    assert body["file_url"] is None
    assert order.invoices.get().status == InvoiceRequest.Status.REQUESTED


def test_buyer_key_lists_invoices_with_the_file_link(order):
    invoice = requested(order)
    invoices.issue_invoice(by=finance(), invoice_id=invoice.pk, invoice_number="12345678",
                           invoice_file=invoice_file())
    client = api_for(order.buyer)

    listed = client.get(endpoint(order)).json()

    assert [row["invoice_number"] for row in listed] == ["12345678"]
    assert listed[0]["file_url"].endswith(f"/api/v1/invoices/{invoice.pk}/file")
    download = client.get(f"/api/v1/invoices/{invoice.pk}/file")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_key_without_finance_or_purchasing_scope_refused(order):
    client = api_for(order.buyer, ["products"])

    assert client.get(endpoint(order)).status_code == 403
    assert client.post(endpoint(order), FORM_DETAILS, format="json").status_code == 403
    assert not order.invoices.exists()


def test_seller_key_cannot_request_the_buyers_invoice(order):
    assert api_for(order.seller).post(endpoint(order), FORM_DETAILS, format="json").status_code == 404


def test_other_company_gets_404(order):
    stranger = factories.company(name="杭州别家纸业有限公司")

    assert api_for(stranger).get(endpoint(order)).status_code == 404


def test_refusals_come_back_with_code_and_fields(buyer, seller):
    unpaid = paid_order(general_taxpayer(buyer), seller, status=Order.Status.PENDING_PAYMENT, paid="0")
    client = api_for(buyer)

    refused = client.post(endpoint(unpaid), FORM_DETAILS, format="json")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invoice_not_allowed"

    paid = paid_order(buyer, seller)
    wrong = client.post(endpoint(paid), {**FORM_DETAILS, "bank_account": "abc"}, format="json")
    assert wrong.status_code == 422
    assert "bank_account" in wrong.json()["error"]["details"]


def test_invoice_file_of_another_company_is_404(order):
    invoice = requested(order)
    invoices.issue_invoice(by=finance(), invoice_id=invoice.pk, invoice_number="12345678",
                           invoice_file=invoice_file())
    stranger = factories.company(name="杭州别家纸业有限公司")

    assert api_for(stranger).get(f"/api/v1/invoices/{invoice.pk}/file").status_code == 404
