"""Order documents over HTTP: each party downloads them from its own area with the order number in
the file name, other companies get a 404, a missing Chinese font is a clear message, not a 500."""

import io
from urllib.parse import quote

import pytest
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from core import apikeys
from orders import documents
from orders.models import Order
from tests import factories


@pytest.fixture
def order(buyer, seller):
    return factories.order(buyer=buyer, seller=seller, total="12345.67", number="PO-DOC-000001")


def url(side, order, kind="contract"):
    namespace = {"buyer": "member-orders", "seller": "merchant-orders", "staff": "backoffice-orders"}[side]
    return reverse(f"{namespace}:document", args=[order.number, kind])


@pytest.mark.parametrize("side", ["buyer", "seller", "staff"])
def test_each_party_downloads_the_contract(client, order, side):
    user = {"buyer": factories.main_user_of(order.buyer), "seller": factories.main_user_of(order.seller),
            "staff": factories.staff_user("customer_service")}[side]
    client.force_login(user)

    response = client.get(url(side, order) + "?download=1")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="contract-PO-DOC-000001.pdf"' in disposition
    assert "filename*=UTF-8''" + quote("购销合同-PO-DOC-000001.pdf") in disposition
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "购销合同" in text and order.buyer.name in text


def test_other_companies_get_404(client, order):
    stranger = factories.company(name="杭州别家纸业有限公司")
    client.force_login(factories.main_user_of(stranger))

    assert client.get(url("buyer", order)).status_code == 404
    assert client.get(url("seller", order)).status_code == 404


def test_seller_cannot_use_the_buyers_link_and_back(client, order):
    client.force_login(factories.main_user_of(order.seller))
    assert client.get(url("buyer", order)).status_code == 404

    client.force_login(factories.main_user_of(order.buyer))
    assert client.get(url("seller", order)).status_code == 404


def test_members_cannot_use_the_staff_link(client, order):
    client.force_login(factories.main_user_of(order.buyer))

    assert client.get(url("staff", order)).status_code == 403


def test_unknown_kind_is_404(client, order):
    client.force_login(factories.main_user_of(order.buyer))

    assert client.get(url("buyer", order, kind="invoice")).status_code == 404


def test_document_not_yet_available_goes_back_with_the_reason(client, order):
    client.force_login(factories.main_user_of(order.buyer))

    response = client.get(url("buyer", order, kind="delivery_note"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("member-orders:detail", args=[order.number])
    assert "送货单在卖家发货后提供" in response.content.decode()


def test_missing_font_is_a_clear_message_not_a_500(client, order, monkeypatch):
    monkeypatch.setattr(documents, "installed_cjk_families", lambda: ())
    client.force_login(factories.main_user_of(order.buyer))

    response = client.get(url("buyer", order), follow=True)

    assert response.status_code == 200
    assert "fonts-noto-cjk" in response.content.decode()


def test_documents_panel_lists_what_is_available(client, order):
    order.status = Order.Status.PAID
    order.save(update_fields=["status"])
    client.force_login(factories.main_user_of(order.buyer))

    page = client.get(reverse("member-orders:detail", args=[order.number])).content.decode()

    assert url("buyer", order, "contract") in page
    assert url("buyer", order, "confirmation") in page
    assert url("buyer", order, "delivery_note") not in page
    assert "送货单在卖家发货后提供" in page


# --- API ----------------------------------------------------------------------------------------

def api_for(company, scopes=("purchasing",)):
    client = APIClient()
    _key, raw = apikeys.issue_api_key(company=company, created_by=factories.main_user_of(company), name="erp",
                                      scopes=list(scopes))
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def api_url(order, kind):
    return f"/api/v1/orders/{order.number}/documents/{kind}.pdf"


@pytest.mark.parametrize("party", ["buyer", "seller"])
def test_api_serves_the_pdf_to_either_party(order, party):
    response = api_for(getattr(order, party)).get(api_url(order, "contract"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "PO-DOC-000001" in response["Content-Disposition"]


def test_api_other_company_404(order):
    stranger = factories.company(name="杭州别家纸业有限公司")

    assert api_for(stranger).get(api_url(order, "contract")).status_code == 404


def test_api_not_yet_available_is_422(order):
    response = api_for(order.buyer).get(api_url(order, "confirmation"))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "document_not_available"


def test_api_missing_font_is_503_with_the_package_named(order, monkeypatch):
    monkeypatch.setattr(documents, "installed_cjk_families", lambda: ())

    response = api_for(order.buyer).get(api_url(order, "contract"))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "missing_cjk_font"
    assert "fonts-noto-cjk" in response.json()["error"]["message"]
