"""Order documents as PDF (purchase contract, order confirmation, delivery note).

weasyprint renders HTML templates under templates/orders/pdf/; the templates name the CJK font
family explicitly and weasyprint embeds (subsets) it, so the PDF reads the same on any machine.
Without a CJK font on the server Chinese would come out as empty boxes, so rendering first checks
that fontconfig knows one and otherwise raises MissingFontError, naming the package to install.
"""

import shutil
import subprocess
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import BusinessRuleError
from core.money import to_money
from core.permissions import has_staff_role
from orders.models import Order, Shipment

# The families the PDF templates ask for, in order (base.html's font-family says the same).
CJK_FONT_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei")


class MissingFontError(BusinessRuleError):
    """The server has no Chinese font, so a PDF cannot be rendered readably. HTTP 503."""

    code = "missing_cjk_font"
    status_code = 503
    default_message = _(
        "服务器未安装中文字体，无法生成PDF文件。请管理员安装 fonts-noto-cjk 软件包（apt-get install fonts-noto-cjk）。"
    )


_found_families = ()


def installed_cjk_families():
    """The font families fontconfig lists for Chinese. A find is cached (fonts do not go away while
    the server runs); a miss is not, so installing the font needs no restart."""
    global _found_families
    if not _found_families:
        _found_families = _fontconfig_cjk_families()
    return _found_families


def _fontconfig_cjk_families():
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return ()
    try:
        result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    families = set()
    for line in result.stdout.splitlines():
        # One line per font file, families comma separated ("Noto Sans CJK SC,Noto Sans CJK SC Bold").
        families.update(name.strip() for name in line.split(",") if name.strip())
    return tuple(sorted(families))


def ensure_cjk_font():
    """Raise MissingFontError unless fontconfig finds a font that covers Chinese."""
    if not installed_cjk_families():
        raise MissingFontError()


def render_pdf(template_name, context):
    """Render a PDF template (HTML + print CSS) to bytes with the CJK font embedded."""
    ensure_cjk_font()
    from weasyprint import HTML  # heavy import, only where PDFs are made

    html = render_to_string(template_name, context)
    base_url = str(settings.BASE_DIR / "static")
    return HTML(string=html, base_url=base_url).write_pdf()


# --- amounts in words ---------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")


def amount_in_chinese_capitals(amount) -> str:
    """The amount as written on contracts and cheques (大写金额), e.g. 12345.67 →
    壹万贰仟叁佰肆拾伍元陆角柒分, 100.05 → 壹佰元零伍分, 10 → 壹拾元整."""
    fen_total = int((to_money(amount) * 100).to_integral_value())
    sign = "负" if fen_total < 0 else ""
    fen_total = abs(fen_total)
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    words = []
    if yuan:
        digits = [int(d) for d in str(yuan)]
        count = len(digits)
        zero_pending = False
        for index, digit in enumerate(digits):
            place = count - 1 - index
            if digit == 0:
                zero_pending = zero_pending or bool(words)
            else:
                if zero_pending:
                    words.append("零")
                    zero_pending = False
                words.append(_DIGITS[digit] + _SMALL_UNITS[place % 4])
            if place == 8 and yuan >= 10**8:
                words.append("亿")  # 亿 always closes the hundred-millions (壹万亿, 壹万零壹亿)
            elif place in (4, 12) and (yuan // 10**place) % 10**4:
                words.append("万")
        words.append("元")
    if jiao == 0 and fen == 0:
        return sign + ("".join(words) if words else "零元") + "整"
    if jiao:
        words.append(_DIGITS[jiao] + "角")
    if fen:
        if not jiao and yuan:
            words.append("零")
        words.append(_DIGITS[fen] + "分")
    return sign + "".join(words)


# --- the order's documents ----------------------------------------------------------------------

class DocumentKind:
    CONTRACT = "contract"
    CONFIRMATION = "confirmation"
    DELIVERY_NOTE = "delivery_note"

    ALL = (CONTRACT, CONFIRMATION, DELIVERY_NOTE)


DOCUMENT_TITLES = {
    DocumentKind.CONTRACT: _("购销合同"),
    DocumentKind.CONFIRMATION: _("订单确认书"),
    DocumentKind.DELIVERY_NOTE: _("送货单"),
}
DOCUMENT_TEMPLATES = {
    DocumentKind.CONTRACT: "orders/pdf/contract.html",
    DocumentKind.CONFIRMATION: "orders/pdf/confirmation.html",
    DocumentKind.DELIVERY_NOTE: "orders/pdf/delivery_note.html",
}
# The file name's Chinese words and their ASCII fallback (Content-Disposition).
DOCUMENT_FILE_NAMES = {
    DocumentKind.CONTRACT: ("购销合同", "contract"),
    DocumentKind.CONFIRMATION: ("订单确认书", "confirmation"),
    DocumentKind.DELIVERY_NOTE: ("送货单", "delivery-note"),
}

_PAID_STATUSES = (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.RECEIVED, Order.Status.COMPLETED)
_SHIPPED_STATUSES = (Order.Status.SHIPPED, Order.Status.RECEIVED, Order.Status.COMPLETED)


def document_available(order, kind) -> bool:
    """The contract exists from placement, the confirmation once paid, the delivery note once shipped."""
    if kind == DocumentKind.CONTRACT:
        return True
    if kind == DocumentKind.CONFIRMATION:
        return order.status in _PAID_STATUSES or order.paid_at is not None
    if kind == DocumentKind.DELIVERY_NOTE:
        return order.status in _SHIPPED_STATUSES or order.shipped_at is not None
    return False


def available_documents(order):
    """[(kind, title)] of the documents this order has now, for the documents panel."""
    return [(kind, DOCUMENT_TITLES[kind]) for kind in DocumentKind.ALL if document_available(order, kind)]


def document_refusal(order, kind):
    """Why the document cannot be produced yet, or ""."""
    if kind not in DOCUMENT_TEMPLATES:
        return _("没有这种单据。")
    if document_available(order, kind):
        return ""
    if kind == DocumentKind.CONFIRMATION:
        return _("订单确认书在订单付款后提供。")
    return _("送货单在卖家发货后提供。")


def _party(snapshot):
    region = "".join(part for part in (snapshot.get("province", ""), snapshot.get("city", "")) if part)
    return {
        "name": snapshot.get("name", ""),
        "credit_code": snapshot.get("unified_social_credit_code", ""),
        "legal_representative": snapshot.get("legal_representative", ""),
        "address": snapshot.get("address") or snapshot.get("invoice_address") or region,
        "contact_name": snapshot.get("contact_name", ""),
        "contact_phone": snapshot.get("contact_phone", ""),
        "bank_name": snapshot.get("bank_name", ""),
        "bank_account": snapshot.get("bank_account", ""),
    }


def _attributes_text(attributes):
    if isinstance(attributes, dict):
        return "；".join(f"{name}：{value}" for name, value in attributes.items() if value not in ("", None))
    if isinstance(attributes, list):
        return "；".join(str(item) for item in attributes)
    return str(attributes or "")


def document_context(order, kind):
    """Everything the PDF templates show, from the order's snapshots and lines (never the companies'
    current details: a document reads the same whenever it is printed)."""
    lines = [{
        "index": index, "title": line.title, "seller_sku": line.seller_sku,
        "attributes": _attributes_text(line.attributes), "unit": line.unit,
        "quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount,
    } for index, line in enumerate(order.lines.order_by("id"), start=1)]
    shipments = list(order.shipments.filter(direction=Shipment.Direction.DELIVERY).order_by("created_at", "id"))
    bank = getattr(settings, "PLATFORM_BANK_ACCOUNT", None) or {}
    buyer, seller = _party(order.buyer_snapshot or {}), _party(order.seller_snapshot or {})
    if kind == DocumentKind.CONTRACT:
        parties = [(_("甲方（买方）"), buyer), (_("乙方（卖方）"), seller)]
    elif kind == DocumentKind.DELIVERY_NOTE:
        parties = [(_("发货单位（卖方）"), seller), (_("收货单位（买方）"), buyer)]
    else:
        parties = [(_("买方"), buyer), (_("卖方"), seller)]
    return {
        "kind": kind,
        "title": DOCUMENT_TITLES[kind],
        "order": order,
        "buyer": buyer,
        "seller": seller,
        "parties": parties,
        "lines": lines,
        "total": order.total,
        "total_quantity": sum((line["quantity"] for line in lines), Decimal("0")),
        "total_in_capitals": amount_in_chinese_capitals(order.total),
        "amount_paid": order.amount_paid,
        "amount_paid_in_capitals": amount_in_chinese_capitals(order.amount_paid),
        "platform_name": getattr(settings, "PLATFORM_NAME", ""),
        "platform_bank": {
            "bank": bank.get("bank") or _("中国工商银行"),
            "name": bank.get("name", ""),
            "number": bank.get("number", ""),
            "branch": bank.get("branch", ""),
        },
        "shipments": shipments,
        "printed_at": timezone.localtime(),
    }


def order_document_pdf(order, kind) -> bytes:
    """One of the order's documents as PDF bytes; BusinessRuleError when it is not available yet,
    MissingFontError when the server cannot render Chinese."""
    refusal = document_refusal(order, kind)
    if refusal:
        raise BusinessRuleError(refusal, code="document_not_available")
    return render_pdf(DOCUMENT_TEMPLATES[kind], document_context(order, kind))


def purchase_contract_pdf(order) -> bytes:
    return order_document_pdf(order, DocumentKind.CONTRACT)


def order_confirmation_pdf(order) -> bytes:
    return order_document_pdf(order, DocumentKind.CONFIRMATION)


def delivery_note_pdf(order) -> bytes:
    return order_document_pdf(order, DocumentKind.DELIVERY_NOTE)


def document_filename(order, kind):
    """(Chinese file name, ASCII fallback) with the order number, for Content-Disposition."""
    words, ascii_words = DOCUMENT_FILE_NAMES[kind]
    return f"{words}-{order.number}.pdf", f"{ascii_words}-{order.number}.pdf"


def document_for_viewer(*, user, number):
    """The order when the user is staff or a member of its buyer or seller company, else None."""
    order = Order.objects.select_related("buyer", "seller").filter(number=number).first()
    if order is None:
        return None
    if has_staff_role(user):
        return order
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_active:
        return None
    return order if membership.company_id in (order.buyer_id, order.seller_id) else None
