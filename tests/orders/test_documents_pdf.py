"""Order documents as PDF: Chinese text survives (an embedded CJK font), the amounts in words,
and when each document exists."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from orders import documents
from orders.documents import (
    MissingFontError,
    amount_in_chinese_capitals,
    delivery_note_pdf,
    order_confirmation_pdf,
    purchase_contract_pdf,
)
from orders.models import Order, Shipment
from tests import factories


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def embedded_fonts(data):
    """The names of the fonts whose program is inside the PDF (FontFile/FontFile2/FontFile3)."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get_object().get("/Font", {}).values():
            font = font.get_object()
            described = [font, *(child.get_object() for child in font.get("/DescendantFonts", []))]
            for part in described:
                descriptor = part.get("/FontDescriptor")
                if descriptor is not None and any(key in descriptor.get_object()
                                                  for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.add(str(font.get("/BaseFont", "")))
    return names


@pytest.fixture
def placed(buyer, seller):
    order = factories.order(buyer=buyer, seller=seller, total="12345.67", number="PO-20261124-0001")
    line = order.lines.get()
    line.attributes = {"克重": "250g", "规格": "787×1092mm"}
    line.save(update_fields=["attributes"])
    return order


@pytest.mark.parametrize("amount, words", [
    ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
    ("0", "零元整"),
    ("0.05", "伍分"),
    ("0.50", "伍角"),
    ("10", "壹拾元整"),
    ("100.05", "壹佰元零伍分"),
    ("1409.50", "壹仟肆佰零玖元伍角"),
    ("1000001", "壹佰万零壹元整"),
    ("100010000", "壹亿零壹万元整"),
    ("100000000", "壹亿元整"),
    ("1010000", "壹佰零壹万元整"),
    ("200000000000", "贰仟亿元整"),
    ("1000000000000", "壹万亿元整"),
    ("1000100000000", "壹万零壹亿元整"),
    ("60036.08", "陆万零叁拾陆元零捌分"),
    ("-5.2", "负伍元贰角"),
])
def test_amount_in_chinese_capitals(amount, words):
    assert amount_in_chinese_capitals(Decimal(amount)) == words


def test_purchase_contract_has_the_parties_lines_and_amount_in_words(placed, buyer, seller):
    data = purchase_contract_pdf(placed)

    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "购销合同" in text
    assert buyer.name in text and seller.name in text
    assert buyer.unified_social_credit_code in text
    assert "壹万贰仟叁佰肆拾伍元陆角柒分" in text
    assert "¥12,345.67" in text
    assert "PO-20261124-0001" in text
    assert "250g" in text
    assert "中国工商银行" in text


def test_pdf_embeds_a_cjk_font(placed):
    fonts = embedded_fonts(purchase_contract_pdf(placed))

    assert any("CJK-SC" in name for name in fonts), fonts


def test_confirmation_only_after_payment(placed):
    with pytest.raises(documents.BusinessRuleError) as refused:
        order_confirmation_pdf(placed)
    assert "付款后" in str(refused.value.message)

    placed.status, placed.amount_paid = Order.Status.PAID, Decimal("12345.67")
    placed.save(update_fields=["status", "amount_paid"])
    text = pdf_text(order_confirmation_pdf(placed))
    assert "订单确认书" in text
    assert "壹万贰仟叁佰肆拾伍元陆角柒分" in text


def test_delivery_note_only_after_shipment_and_lists_the_waybill(placed):
    with pytest.raises(documents.BusinessRuleError) as refused:
        delivery_note_pdf(placed)
    assert "发货后" in str(refused.value.message)

    placed.status = Order.Status.SHIPPED
    placed.save(update_fields=["status"])
    Shipment.objects.create(order=placed, carrier=Shipment.Carrier.SF, waybill_number="SF1234567890")
    text = pdf_text(delivery_note_pdf(placed))
    assert "送货单" in text
    assert "SF1234567890" in text and "顺丰速运" in text
    assert placed.buyer_snapshot["name"] in text


def test_missing_font_is_reported_with_the_package_to_install(placed, monkeypatch):
    monkeypatch.setattr(documents, "installed_cjk_families", lambda: ())

    with pytest.raises(MissingFontError) as refused:
        purchase_contract_pdf(placed)
    assert "fonts-noto-cjk" in str(refused.value.message)
    assert "中文字体" in str(refused.value.message)


def test_missing_fc_list_counts_as_no_font(monkeypatch):
    monkeypatch.setattr(documents.shutil, "which", lambda name: None)

    assert documents._fontconfig_cjk_families() == ()


def test_font_check_reads_fontconfig():
    families = documents._fontconfig_cjk_families()

    assert any(family in families for family in documents.CJK_FONT_FAMILIES)
