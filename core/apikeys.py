"""API keys: issued to a company, shown once, stored hashed, revocable."""

import functools
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, Membership, User
from core import audit, rows
from core.errors import BusinessRuleError
from core.models import ApiKey
from core.permissions import CompanyPermission

KEY_PREFIX = "tp"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_api_key(*, company, created_by, name, scopes):
    """Create a key for `company`; returns (ApiKey, the full key string to show once).

    Scopes must come from the fixed permission set; a sub-account can only grant scopes it holds.
    """
    unknown = set(scopes) - set(CompanyPermission.values)
    if unknown:
        raise BusinessRuleError(_("未知的权限范围：%(scopes)s") % {"scopes": ", ".join(sorted(unknown))},
                                code="unknown_scope")
    if company.status in {Company.Status.FROZEN, Company.Status.DEREGISTERED}:
        raise BusinessRuleError(_("企业账户已冻结或注销，不能创建 API 密钥。"), code=f"company_{company.status}")
    membership = getattr(created_by, "membership", None)
    if membership is None or membership.company_id != company.pk or not membership.is_active:
        raise BusinessRuleError(_("只有本企业的在职成员可以创建 API 密钥。"), code="not_member")
    if not membership.is_main and not set(scopes) <= set(membership.permissions):
        raise BusinessRuleError(_("子账号只能授予自己拥有的权限。"), code="scope_exceeds_permissions")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        company=company, created_by=created_by, name=name, prefix=prefix,
        hashed_secret=_digest(secret), scopes=sorted(set(scopes)),
    )
    audit.record(actor=created_by, action="api_key.issue", subject=key, company=company,
                 after=",".join(key.scopes))
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def find_active_key(raw: str):
    """The active key matching `raw` with its company, creator and the creator's membership
    loaded (the membership's company is the key's when the key is usable), or None.

    Every partner request runs this, so it is one SQL statement built from the models' own
    field lists: Django's compilation of the equivalent select_related query cost ten times what
    PostgreSQL needs to answer it. Digests are compared in constant time.
    """
    try:
        marker, prefix, secret = raw.strip().split("_", 2)
    except ValueError:
        return None
    if marker != KEY_PREFIX:
        return None
    row = _fetch_key_row(prefix)
    if row is None:
        return None
    key, at = rows.instance(ApiKey, row, 0)
    company, at = rows.instance(Company, row, at)
    user, at = rows.instance(User, row, at)
    membership, _end = rows.instance(Membership, row, at)
    ApiKey._meta.get_field("company").set_cached_value(key, company)
    ApiKey._meta.get_field("created_by").set_cached_value(key, user)
    User._meta.get_field("membership").set_cached_value(user, membership)
    if membership is not None and membership.company_id == company.pk:
        Membership._meta.get_field("company").set_cached_value(membership, company)
    if not hmac.compare_digest(key.hashed_secret, _digest(secret)):
        return None
    return key


@functools.cache
def _key_row_sql():
    # Identifiers come from model metadata; the only value is a bound parameter.
    return (
        f"SELECT {rows.columns(ApiKey, 'k')}, {rows.columns(Company, 'c')}, {rows.columns(User, 'u')}, "  # noqa: S608
        f"{rows.columns(Membership, 'm')} "
        f'FROM "{ApiKey._meta.db_table}" k '
        f'JOIN "{Company._meta.db_table}" c ON c."id" = k."company_id" '
        f'JOIN "{User._meta.db_table}" u ON u."id" = k."created_by_id" '
        f'LEFT JOIN "{Membership._meta.db_table}" m ON m."user_id" = u."id" '
        'WHERE k."prefix" = %s AND k."revoked_at" IS NULL'
    )


def _fetch_key_row(prefix):
    return rows.fetch_one(_key_row_sql(), [prefix], prepared="tp_api_key_row")


def key_is_usable(key) -> bool:
    """A key works while it is not revoked and its creator is still an active member."""
    user = key.created_by
    membership = getattr(user, "membership", None)
    return (
        key.revoked_at is None
        and user.is_active
        and membership is not None
        and membership.is_active
        and membership.company_id == key.company_id
    )


def touch(key):
    """Record use, at most once a minute per key so busy partners don't write on every call."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)


@transaction.atomic
def revoke_api_key(*, key, by, reason=""):
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        return key
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit.record(actor=by, action="api_key.revoke", subject=key, company=key.company,
                 before="active", after="revoked", reason=reason)
    return key


def revoke_company_keys(*, company, by, reason):
    """Revoke every key of a company (emergency freeze, deregistration)."""
    for key in ApiKey.objects.filter(company=company, revoked_at__isnull=True):
        revoke_api_key(key=key, by=by, reason=reason)
