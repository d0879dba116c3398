"""Cleaning what people type, the same way in every app: a refusal is a BusinessRuleError whose
details name the field, so pages put the message beside it and the API returns it."""

from decimal import Context, Decimal

from django.utils.translation import gettext as _

from core.errors import BusinessRuleError
from core.money import CENT


def refuse(field, message, code):
    raise BusinessRuleError(message, code=code, details={field: message})


def clean_text(value, field, *, label, max_length, required=True) -> str:
    """Stripped text of at most `max_length` characters; `<field>_required` / `<field>_too_long`."""
    text = (value or "").strip()
    if required and not text:
        refuse(field, _("请填写%(label)s。") % {"label": label}, f"{field}_required")
    if len(text) > max_length:
        refuse(field, _("%(label)s不能超过 %(max)s 字。") % {"label": label, "max": max_length}, f"{field}_too_long")
    return text


# What people type between thousands: "12,500.00", "12，500", "12 500".
_THOUSANDS = str.maketrans("", "", ",， \u00a0")
# Larger amounts are no one's money; the callers' limits are far below (and fen stay exact here).
_LARGEST_EXPONENT = 40


def parse_money(value, field, *, label=None) -> Decimal:
    """An amount in CNY as people and partner systems send it: text ("12,500.00", "12500"), a
    Decimal, an int or a JSON number, with at most two decimals: a third is refused, never
    rounded away. Every app parses amounts here; the caller checks the sign and its limits.
    Refusals are `invalid_amount`, the message naming `label` when given."""
    if isinstance(value, float):
        value = repr(value)  # the shortest text that reads back as the same float: 0.1, not 0.1000000000000000055…
    text = "" if value is None or isinstance(value, bool) else str(value).strip().translate(_THOUSANDS)
    try:
        amount = Decimal(text)
    except ArithmeticError:
        amount = None
    if amount is None or not amount.is_finite() or amount.adjusted() > _LARGEST_EXPONENT:
        message = _("请填写有效的%(label)s。") % {"label": label} if label else _("请输入正确的金额，例如 12500.00。")
        refuse(field, message, "invalid_amount")
    exact = Context(prec=_LARGEST_EXPONENT + 10)
    if amount.normalize(exact).as_tuple().exponent < -2:
        refuse(field, _("%(label)s最多两位小数。") % {"label": label} if label else _("金额最多两位小数。"),
               "invalid_amount")
    return amount.quantize(CENT, context=exact)


def parse_id(value):
    """A database id from what a page or client sent, or None ("abc", "²", "-1", "" are not ids)."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def parse_query_date(value):
    """A YYYY-MM-DD filter value from a query string, or None when it is not a plausible date."""
    from datetime import date

    try:
        day = date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def safe_next(request, fallback):
    """The `next` a form posted, when it points back into this site; else `fallback`."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback
