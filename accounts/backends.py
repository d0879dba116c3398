"""Authentication backends that load a signed-in user's membership and company in the same
query: nearly every page and API call needs them (header, permissions, company scoping)."""

import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from accounts.models import Company, Membership, User
from core import rows


@functools.cache
def _user_row_sql():
    return (
        f"SELECT {rows.columns(User, 'u')}, {rows.columns(Membership, 'm')}, {rows.columns(Company, 'c')} "  # noqa: S608
        f'FROM "{User._meta.db_table}" u '
        f'LEFT JOIN "{Membership._meta.db_table}" m ON m."user_id" = u."id" '
        f'LEFT JOIN "{Company._meta.db_table}" c ON c."id" = m."company_id" '
        'WHERE u."id" = %s'
    )


def load_user_with_company(user_id):
    """The user with its membership and the membership's company, in one statement (it runs on
    every signed-in request; see core.rows), or None."""
    row = rows.fetch_one(_user_row_sql(), [user_id], prepared="tp_signed_in_user_row")
    if row is None:
        return None
    user, at = rows.instance(User, row, 0)
    membership, at = rows.instance(Membership, row, at)
    company, _end = rows.instance(Company, row, at)
    User._meta.get_field("membership").set_cached_value(user, membership)
    if membership is not None:
        Membership._meta.get_field("company").set_cached_value(membership, company)
        Membership._meta.get_field("user").set_cached_value(membership, user)
    return user


class _LoadsMembership:
    def get_user(self, user_id):
        try:
            user = load_user_with_company(int(user_id))
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_LoadsMembership, DjangoModelBackend):
    """Django's backend (the admin's login form)."""


class AuthenticationBackend(_LoadsMembership, AllauthBackend):
    """django-allauth's backend (the site's login, by e-mail)."""
