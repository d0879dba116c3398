"""Who may do what: staff roles (Django groups) and company permissions (sub-accounts, API keys).

Both sets are fixed by the product (SPEC §1 and §8); views and API classes check them at the
edge, services check invariants again.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    """Platform staff roles; each is a Django group of the same name."""

    REVIEWER = "reviewer", _("审核员")
    CUSTOMER_SERVICE = "customer_service", _("客服")
    FINANCE = "finance", _("财务")
    ACCOUNT_MANAGER = "account_manager", _("客户经理")
    LEGAL = "legal_compliance", _("法务合规")
    ADMINISTRATOR = "administrator", _("管理员")


class CompanyPermission(models.TextChoices):
    """What a sub-account may do for its company; the same names are API key scopes."""

    PRODUCTS = "products", _("商品管理")
    PURCHASING = "purchasing", _("采购与订单")
    FULFILMENT = "fulfilment", _("发货履约")
    FINANCE = "finance", _("财务与发票")
    MESSAGING = "messaging", _("消息沟通")
    BARTER = "barter", _("易货交易")
    DEBT = "debt", _("债务案件")
    REPORTS = "reports", _("报表")


def staff_roles(user):
    """The staff roles a user holds; administrators and superusers hold them all."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return frozenset()
    if user.is_superuser:
        return frozenset(StaffRole.values)
    cached = getattr(user, "_staff_roles", None)
    if cached is None:
        names = set(user.groups.filter(name__in=StaffRole.values).values_list("name", flat=True))
        cached = frozenset(StaffRole.values) if StaffRole.ADMINISTRATOR in names else frozenset(names)
        user._staff_roles = cached
    return cached


def has_staff_role(user, *roles):
    """True when the user is staff and holds any of `roles` (any role at all when none given)."""
    held = staff_roles(user)
    return bool(held) and (not roles or bool(held.intersection(roles)))


def staff_required(*roles):
    """View decorator: anonymous users go to the login page; non-staff (or the wrong role) get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            from django.contrib.auth.views import redirect_to_login  # imports the user model

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_staff_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
