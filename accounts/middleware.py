from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Company

# A frozen company's members may still sign in, read why, ask to be unfrozen and sign out.
FROZEN_ALLOWED = ("/member/frozen/", "/accounts/logout/", "/accounts/login/", "/static/", "/language/", "/help/",
                  "/healthz", "/ping")


class FrozenCompanyMiddleware:
    """While its company is frozen, a member sees only the freeze notice (pages) or a 403 (API)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(FROZEN_ALLOWED):
            membership = getattr(user, "membership", None)
            if membership is not None and membership.company.status == Company.Status.FROZEN:
                if request.path.startswith("/api/"):
                    return JsonResponse({"error": {"code": "company_frozen", "details": {},
                                                   "message": _("企业账户已冻结，所有操作已暂停。")}}, status=403)
                return redirect(reverse("member:frozen"))
        return self.get_response(request)
