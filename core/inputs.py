"""Cleaning what people type, the same way in every app: a refusal is a BusinessRuleError whose
details name the field, so pages put the message beside it and the API returns it."""

from decimal import Decimal

from django.utils.translation import gettext as _

from core.errors import BusinessRuleError
from core.money import to_money


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


def parse_money(value, field) -> Decimal:
    """Any finite amount rounded to fen (the caller checks its sign and limits); `invalid_amount`."""
    try:
        amount = to_money(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        refuse(field, _("请输入正确的金额。"), "invalid_amount")
    if not amount.is_finite():
        refuse(field, _("请输入正确的金额。"), "invalid_amount")
    return amount


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
