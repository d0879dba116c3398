from django.conf import settings

from core.cache import CSRF_PLACEHOLDER, rendering_to_share
from core.permissions import staff_roles


def platform(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    membership = getattr(user, "membership", None) if signed_in else None

    def unread():
        from core.selectors import unread_count

        return unread_count(user=user) if signed_in else 0

    shared = {"csrf_token": CSRF_PLACEHOLDER} if rendering_to_share(request) else {}
    return {
        **shared,
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "current_membership": membership,
        "current_company": membership.company if membership is not None else None,
        "staff_roles": staff_roles(user) if signed_in else frozenset(),
        "unread_notifications": unread,  # callable: only queried when a template shows it
    }
