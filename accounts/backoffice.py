"""Staff pages on companies."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from accounts import selectors
from accounts.models import Company
from core import selectors as core_selectors
from core.permissions import staff_required


@staff_required()
def companies(request):
    filters = {
        "text": request.GET.get("q", "").strip(),
        "verification": request.GET.get("verification", ""),
        "standing": request.GET.get("standing", ""),
    }
    page = Paginator(selectors.companies(**filters), 30).get_page(request.GET.get("page"))
    return render(request, "backoffice/accounts/companies.html", {
        "page": page, "filters": filters,
        "verification_choices": Company.Verification.choices, "standing_choices": Company.Standing.choices,
    })


@staff_required()
def company_detail(request, company_id):
    company = get_object_or_404(Company.objects.select_related("province", "city"), pk=company_id)
    return render(request, "backoffice/accounts/company_detail.html", {
        "company": company,
        "members": selectors.members_of(company),
        "events": core_selectors.audit_events(company=company)[:50],
    })
