from django.utils.translation import gettext_lazy as _
from rest_framework import permissions


def caller_company(request):
    """The company the caller acts for: the API key's, or the signed-in member's."""
    if request.auth is not None and hasattr(request.auth, "company"):
        return request.auth.company
    membership = getattr(request.user, "membership", None)
    if membership is not None and membership.is_active:
        return membership.company
    return None


def caller_may(request, permission):
    """An API key needs the scope and its creator the permission; a session user the permission."""
    membership = getattr(request.user, "membership", None)
    if membership is None or not membership.allows(permission):
        return False
    if request.auth is not None and hasattr(request.auth, "scopes"):
        return permission in request.auth.scopes
    return True


class IsCompanyMember(permissions.BasePermission):
    message = _("此接口仅对企业会员开放。")

    def has_permission(self, request, view):
        from accounts.models import Company  # core's API plumbing is imported before the apps' models

        company = caller_company(request)
        if company is not None and company.status in (Company.Status.FROZEN, Company.Status.DEREGISTERED):
            self.message = _("企业账户已冻结或注销，所有操作已暂停。")
            return False
        return company is not None


class HasCompanyPermission(permissions.BasePermission):
    """Checks `view.required_permission` (a CompanyPermission) for writes, or for all methods
    when `view.permission_for_reads` is true."""

    message = _("您的账号或 API 密钥没有此操作的权限。")

    def has_permission(self, request, view):
        needed = getattr(view, "required_permission", None)
        if needed is None:
            return True
        if request.method in permissions.SAFE_METHODS and not getattr(view, "permission_for_reads", False):
            return True
        return caller_may(request, needed)
