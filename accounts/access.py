"""Who may open a member-centre or merchant page. Refusals are a 403 page that says why."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from accounts import rules
from core.errors import NotAllowed


def refuse(request, message, status=403):
    return render(request, "member/refused.html", {"message": message}, status=status)


def member_page(*, permission=None, main_only=False, company_required=True):
    """Sign-in required; then the company membership, the main account or a permission (or any
    of a tuple of permissions)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                if main_only:
                    rules.ensure_main_account(request.user)
                elif isinstance(permission, tuple):
                    rules.ensure_member_may_any(request.user, permission)
                elif permission:
                    rules.ensure_member_may(request.user, permission)
                elif company_required:
                    rules.ensure_member(request.user)
            except NotAllowed as refusal:
                return refuse(request, refusal.message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
