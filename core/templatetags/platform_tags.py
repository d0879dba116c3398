from decimal import Decimal

from django import template
from django.utils import timezone

from core.money import format_cny

register = template.Library()


@register.filter
def cny(value):
    """{{ order.total|cny }} → ¥1,234.50"""
    if value is None or value == "":
        return "—"
    return format_cny(value)


@register.filter
def local(value, fmt="%Y-%m-%d %H:%M"):
    """A datetime in Asia/Shanghai, as Chinese business users write it."""
    if not value:
        return "—"
    return timezone.localtime(value).strftime(fmt)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (pagination links keep filters)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


@register.filter
def permission_label(code):
    """A company permission / API scope code as its translated name ("products" → 商品管理)."""
    from core.permissions import CompanyPermission

    try:
        return CompanyPermission(code).label
    except ValueError:
        return code


@register.filter
def qty(value):
    """A quantity without trailing zeros: 10.000 → 10, 100.500 → 100.5, 1234 → 1,234."""
    if value is None or value == "":
        return "—"
    normalized = Decimal(value).normalize()
    whole = normalized == normalized.to_integral()
    return f"{normalized:,.0f}" if whole else f"{normalized:,f}"


@register.filter
def get(mapping, key):
    """{{ counts|get:status }}: a dictionary value by a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def audit_action(action):
    """An audit action's name for people ("下单"), or the code when no app named it."""
    from core.audit import action_label

    return action_label(action)


@register.filter
def audit_before(event):
    from core.audit import value_label

    return value_label(event.action, event.before)


@register.filter
def audit_after(event):
    from core.audit import value_label

    return value_label(event.action, event.after)


@register.simple_tag(takes_context=True)
def viewer_part(context, template_name):
    """Include a part of the page that is the viewer's own (user menu, company notice). While the
    page is rendered for members to share (core.cache), only a marker goes in, filled per viewer."""
    from django.utils.safestring import mark_safe

    from core.cache import rendering_to_share, viewer_part_marker

    request = context.get("request")
    if request is not None and rendering_to_share(request):
        return mark_safe(viewer_part_marker(template_name))  # noqa: S308 (a fixed comment, no input)
    return context.template.engine.get_template(template_name).render(context)
