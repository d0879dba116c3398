"""What a company and a member may do: one place for each rule, called by every service (and so
by pages, the API and tasks alike)."""

from django.utils.translation import gettext as _

from accounts.models import Company
from core.errors import NotAllowed
from core.permissions import CompanyPermission

S = Company.Status


class Activity:
    LIST_PRODUCTS = "list_products"
    PLACE_ORDERS = "place_orders"
    ACCEPT_ORDERS = "accept_orders"
    BARTER = "barter"
    DEBT = "debt"


# Which company statuses allow which activity. A change under review stops new orders only.
ALLOWED = {
    Activity.LIST_PRODUCTS: {S.VERIFIED, S.CHANGE_PENDING},
    Activity.PLACE_ORDERS: {S.VERIFIED},
    Activity.ACCEPT_ORDERS: {S.VERIFIED},
    Activity.BARTER: {S.VERIFIED},
    Activity.DEBT: {S.VERIFIED},
}


def refusal_reason(company):
    """Why a company in its current status cannot trade, in the member's words."""
    if company is None:
        return _("个人会员不能进行企业交易，请先完成企业认证。")
    return {
        S.APPLYING: _("企业认证正在审核中（1–3 个工作日），审核通过后即可交易。"),
        S.REJECTED: _("企业认证未通过，请根据审核意见修改后重新提交。"),
        S.CHANGE_PENDING: _("企业信息变更正在审核中，审核期间不能下单或接单。"),
        S.FROZEN: _("企业账户已冻结，所有交易已暂停。解冻需经平台审核。"),
        S.DEREGISTERED: _("企业账户已注销。"),
    }.get(company.status, _("当前企业状态不允许此操作。"))


def company_may(company, activity) -> bool:
    return company is not None and company.status in ALLOWED[activity]


def ensure_company_may(company, activity):
    if not company_may(company, activity):
        raise NotAllowed(refusal_reason(company), code=f"company_{company.status if company else 'individual'}")


def ensure_member(user):
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_active:
        raise NotAllowed(_("此页面仅限企业会员。个人会员请先完成企业认证。"), code="not_a_member")
    return membership


def ensure_member_may(user, permission):
    """The user acts for an active company membership that holds `permission`."""
    membership = ensure_member(user)
    if not membership.allows(permission):
        raise NotAllowed(
            _("您的账号没有“%(permission)s”权限，请联系企业主账号开通。")
            % {"permission": CompanyPermission(permission).label},
            code="missing_permission",
        )
    return membership


def ensure_member_may_any(user, permissions):
    """The user's membership holds at least one of `permissions` (pages several roles share)."""
    membership = ensure_member(user)
    if not any(membership.allows(permission) for permission in permissions):
        raise NotAllowed(
            _("您的账号没有“%(permission)s”权限，请联系企业主账号开通。")
            % {"permission": "”或“".join(str(CompanyPermission(permission).label) for permission in permissions)},
            code="missing_permission",
        )
    return membership


def ensure_main_account(user):
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_active or not membership.is_main:
        raise NotAllowed(_("此操作仅限企业主账号。"), code="main_account_only")
    return membership
