"""Staff pages on companies: the review queue, decisions, company pages, freeze and unfreeze."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import DOCUMENT_FIELDS, ReviewDecisionForm, StaffFreezeForm, UnfreezeForm
from accounts.models import Application, Company, FreezeRecord
from core.errors import BusinessRuleError
from core.permissions import StaffRole, has_staff_role, staff_required

REVIEWERS = (StaffRole.REVIEWER, StaffRole.CUSTOMER_SERVICE)


@staff_required()
def companies(request):
    filters = {"text": request.GET.get("q", "").strip(), "status": request.GET.get("status", "")}
    page = Paginator(selectors.companies(**filters), 30).get_page(request.GET.get("page"))
    return render(request, "backoffice/accounts/companies.html", {
        "page": page, "filters": filters, "status_choices": Company.Status.choices,
    })


@staff_required()
def company_detail(request, company_id):
    company = get_object_or_404(Company.objects.select_related("province", "city"), pk=company_id)
    return render(request, "backoffice/accounts/company_detail.html", {
        "company": company,
        "members": selectors.members_of(company),
        "applications": selectors.applications_of(company),
        "documents": selectors.documents_of(company),
        "freezes": selectors.freezes_of(company),
        "status_history": selectors.status_history(company)[:30],
        "events": selectors.operation_log(company=company)[:50],
        "freeze_form": StaffFreezeForm() if can_freeze(request.user, company) else None,
        "unfreeze_form": UnfreezeForm() if can_unfreeze(request.user, company) else None,
    })


def can_freeze(user, company):
    return company.status in {Company.Status.VERIFIED, Company.Status.CHANGE_PENDING} and has_staff_role(
        user, *services.FREEZE_ROLES)


def can_unfreeze(user, company):
    return company.status == Company.Status.FROZEN and has_staff_role(user, *services.REVIEWER_ROLES)


@staff_required(*REVIEWERS)
def reviews(request):
    """Applications and change requests, oldest first, with their working-day deadlines; and
    frozen companies asking to be unfrozen."""
    return render(request, "backoffice/accounts/reviews.html", {
        "applications": selectors.pending_applications(),
        "unfreeze_requests": selectors.unfreeze_requests(),
    })


@staff_required(*REVIEWERS)
def application_detail(request, application_id):
    application = get_object_or_404(
        Application.objects.select_related("company", "submitted_by", "decided_by", "province", "city"),
        pk=application_id,
    )
    form = ReviewDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.review_application(application_id=application.pk, reviewer=request.user, approve=approve,
                                        reason=form.cleaned_data["reason"])
        except BusinessRuleError as error:
            form.add_error("reason" if "reason" in (error.details or {}) else None, error.message)
        else:
            messages.success(request, _("已通过该申请。") if approve else _("已驳回该申请，申请人会收到通知。"))
            return redirect("backoffice-accounts:reviews")
    company = application.company
    return render(request, "backoffice/accounts/application_detail.html", {
        "application": application, "company": company, "form": form,
        "documents": selectors.documents_of(company, application=application),
        "previous": selectors.applications_of(company).exclude(pk=application.pk)[:5],
        "current": company if application.kind == Application.Kind.CHANGE else None,
    })


@require_POST
@staff_required(*services.FREEZE_ROLES)
def company_freeze(request, company_id):
    company = get_object_or_404(Company, pk=company_id)
    form = StaffFreezeForm(request.POST, request.FILES)
    if form.is_valid():
        proofs = {DOCUMENT_FIELDS[field]: [form.cleaned_data[field]]
                  for field in ("business_licence", "legal_representative_id")}
        try:
            services.freeze_company(company=company, by=request.user, reason=form.cleaned_data["reason"],
                                    channel=FreezeRecord.Channel.CUSTOMER_SERVICE, proofs=proofs)
        except BusinessRuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已紧急冻结：该企业的所有会话和 API 密钥已失效。"))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("backoffice-accounts:company", company_id=company.pk)


@require_POST
@staff_required(*services.REVIEWER_ROLES)
def company_unfreeze(request, company_id):
    company = get_object_or_404(Company, pk=company_id)
    form = UnfreezeForm(request.POST)
    if form.is_valid():
        try:
            services.unfreeze_company(company=company, by=request.user, reason=form.cleaned_data["reason"])
        except BusinessRuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已解冻。"))
    else:
        messages.error(request, _("请填写解冻审核意见。"))
    return redirect("backoffice-accounts:company", company_id=company.pk)
