"""Authentication backends that load a signed-in user's membership and company in the same
query: nearly every page and API call needs them (header, permissions, company scoping)."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from accounts.models import User


class _LoadsMembership:
    def get_user(self, user_id):
        user = User.objects.select_related("membership__company").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_LoadsMembership, DjangoModelBackend):
    """Django's backend (the admin's login form)."""


class AuthenticationBackend(_LoadsMembership, AllauthBackend):
    """django-allauth's backend (the site's login, by e-mail)."""
