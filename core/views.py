from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core import notifications, selectors
from core.health import run_checks
from core.permissions import has_staff_role


def ping(request):
    """Liveness: the process answers. No database, no Redis (the benchmark's bare-view ceiling)."""
    return HttpResponse("pong", content_type="text/plain")


@never_cache
def healthz(request):
    checks = run_checks()
    healthy = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


def switch_language(request):
    """Remember the visitor's language in a cookie and go back (GET: a preference, not a change
    to data, so pages stay free of CSRF tokens and cacheable for anonymous visitors)."""
    language = request.GET.get("language", "")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = redirect(target)
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
            samesite="Lax", secure=request.is_secure(), httponly=False,
        )
    return response


def region_cities(request):
    """<option>s of a province's cities, for the dependent city select (htmx)."""
    province = request.GET.get("province", "")
    cities = selectors.cities_of(int(province)) if province.isdigit() else []
    return render(request, "core/region_options.html", {"cities": cities})


@login_required
def after_login(request):
    """Staff land in the back office; members in the member centre."""
    if has_staff_role(request.user):
        return redirect("backoffice:dashboard")
    return redirect("member:home")


@login_required
def inbox(request):
    page = Paginator(selectors.inbox(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page": page})


@require_POST
@login_required
def inbox_mark_read(request):
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()] or None
    notifications.mark_read(user=request.user, notification_ids=ids)
    return redirect("core:inbox")
