"""Pages and API endpoints for tiers, benefits and account managers. Thin: parse, call one service
or selector, render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.access import member_page
from core.api.permissions import IsCompanyMember, caller_company
from core.api.views import ApiView
from core.errors import BusinessRuleError, NotFound
from core.inputs import parse_id
from core.permissions import StaffRole, has_staff_role, staff_required
from crm import managers, tiers
from crm.models import Tier
from crm.tier_forms import (
    AssignManagerForm,
    NoteForm,
    ReviewTaskForm,
    StrategicForm,
    TierRulesForm,
    VisitForm,
)

TIER_STAFF = tiers.TIER_STAFF
CLIENT_STAFF = managers.MANAGER_STAFF


def _form_errors(request, form):
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


# --- back office: tier rules and the review ----------------------------------------------------------

@staff_required(*TIER_STAFF)
def tier_rules(request):
    rules = tiers.tier_rules()
    may_edit = has_staff_role(request.user, *tiers.RULE_EDITORS)
    form = TierRulesForm(request.POST or None, rules=rules)
    if request.method == "POST":
        if not may_edit:
            messages.error(request, _("只有管理员可以修改分层规则。"))
            return redirect("backoffice-crm:tier-rules")
        if form.is_valid():
            try:
                tiers.update_tier_rules(by=request.user, rules=form.rule_data())
            except BusinessRuleError as error:
                for tier, message in (error.details or {}).items():
                    field = f"{tier}-min_purchases_12m"
                    form.add_error(field if field in form.fields else None, message)
                form.add_error(None, error.message)
            else:
                messages.success(request, _("分层规则已保存，下次评估时生效。"))
                return redirect("backoffice-crm:tier-rules")
    return render(request, "backoffice/crm/tier_rules.html", {
        "form": form, "may_edit": may_edit, "reviews": tiers.recent_reviews(),
        "rebate_ladder": tiers.rebate_rules(),
    })


@require_POST
@staff_required(*TIER_STAFF)
def run_tier_review(request):
    try:
        review = tiers.review_tiers(by=request.user)
    except BusinessRuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("评估完成：%(companies)s 家企业，%(changes)s 家等级变化。") % {
            "companies": review.companies_reviewed, "changes": review.changes})
    return redirect("backoffice-crm:tier-rules")


# --- back office: clients ------------------------------------------------------------------------------

@staff_required(StaffRole.ACCOUNT_MANAGER)
def my_clients(request):
    return render(request, "backoffice/crm/my_clients.html", {
        "clients": managers.clients_of(manager=request.user),
        "tasks": managers.open_review_tasks(manager=request.user),
    })


@staff_required(StaffRole.ADMINISTRATOR)
def major_clients(request):
    strategic = {"1": True, "0": False}.get(request.GET.get("strategic", ""))
    manager_id = request.GET.get("manager", "")
    filters = {
        "tier": request.GET.get("tier", "") if request.GET.get("tier", "") in Tier.values else "",
        "manager_id": parse_id(manager_id),
        "strategic": strategic,
        "text": request.GET.get("q", "").strip(),
    }
    page = Paginator(managers.major_clients(**filters), 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "backoffice/crm/clients.html", {
        "page": page, "filters": filters, "strategic": request.GET.get("strategic", ""),
        "tier_choices": [(t, label) for t, label in Tier.choices if t != Tier.ORDINARY],
        "managers": managers.account_managers(), "query": query.urlencode(),
    })


@staff_required(*CLIENT_STAFF)
def client(request, company_id):
    try:
        context = managers.client_360(company_id=company_id)
    except NotFound:
        raise Http404 from None
    profile = context["profile"]
    context.update({
        "assign_form": AssignManagerForm(),
        "strategic_form": StrategicForm(initial={"strategic": not (profile and profile.is_strategic)}),
        "visit_form": VisitForm(),
        "note_form": NoteForm(),
        "task_form": ReviewTaskForm(),
        "is_admin": has_staff_role(request.user, StaffRole.ADMINISTRATOR),
    })
    return render(request, "backoffice/crm/client.html", context)


def _client_action(request, company_id, form_class, action, success):
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except BusinessRuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success)
    else:
        _form_errors(request, form)
    return redirect("backoffice-crm:client", company_id=company_id)


@require_POST
@staff_required(*CLIENT_STAFF)
def client_assign(request, company_id):
    return _client_action(request, company_id, AssignManagerForm, lambda data: managers.assign_manager(
        by=request.user, company_id=company_id, role=data["role"],
        manager_id=data["manager"].pk if data["manager"] else None, notes=data["notes"]),
        _("客户经理已变更，交接已记录。"))


@require_POST
@staff_required(*CLIENT_STAFF)
def client_strategic(request, company_id):
    return _client_action(request, company_id, StrategicForm, lambda data: tiers.set_strategic(
        by=request.user, company_id=company_id, strategic=data["strategic"], note=data["note"]),
        _("战略客户标记已更新，下次分层评估时生效。"))


@require_POST
@staff_required(*CLIENT_STAFF)
def client_visit(request, company_id):
    return _client_action(request, company_id, VisitForm, lambda data: managers.record_visit(
        by=request.user, company_id=company_id, **data), _("拜访记录已保存。"))


@require_POST
@staff_required(*CLIENT_STAFF)
def client_note(request, company_id):
    return _client_action(request, company_id, NoteForm, lambda data: managers.add_client_note(
        by=request.user, company_id=company_id, body=data["body"]), _("备注已保存。"))


@require_POST
@staff_required(*CLIENT_STAFF)
def review_task_complete(request, company_id, task_id):
    return _client_action(request, company_id, ReviewTaskForm, lambda data: managers.complete_review_task(
        by=request.user, task_id=task_id, summary=data["summary"]), _("季度回顾已完成。"))


# --- member centre ----------------------------------------------------------------------------------

@member_page()
def benefits(request):
    company = request.user.membership.company
    return render(request, "member/crm/benefits.html", {
        "company": company, "position": tiers.tier_position(company=company),
    })


@member_page()
def rebate_statement(request, year):
    from orders.documents import render_pdf

    company = request.user.membership.company
    if not 2000 <= year <= 2100:
        return HttpResponse(_("年度无效。"), status=404)
    try:
        pdf = render_pdf("crm/pdf/rebate_statement.html", tiers.rebate_statement(company=company, year=year))
    except BusinessRuleError as error:
        return HttpResponse(str(error.message), status=getattr(error, "status_code", 503),
                            content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="rebate-statement-{year}.pdf"'
    return response


# --- API -----------------------------------------------------------------------------------------

MONEY = {"max_digits": 16, "decimal_places": 2}


class NextTierOutput(serializers.Serializer):
    tier = serializers.CharField()
    label = serializers.CharField()
    threshold = serializers.DecimalField(**MONEY)
    gap = serializers.DecimalField(**MONEY)
    progress_percent = serializers.IntegerField()
    years_missing = serializers.IntegerField()


class AccrualOutput(serializers.Serializer):
    year = serializers.IntegerField()
    purchases = serializers.DecimalField(**MONEY)
    rate_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    amount = serializers.DecimalField(**MONEY)
    computed_at = serializers.DateTimeField()


class BenefitsOutput(serializers.Serializer):
    priority_service = serializers.BooleanField()
    stock_reservation = serializers.BooleanField()
    credit_terms = serializers.BooleanField()
    account_manager = serializers.BooleanField()
    chief_manager = serializers.BooleanField()
    quarterly_review = serializers.BooleanField()


class TierOutput(serializers.Serializer):
    tier = serializers.CharField()
    tier_label = serializers.CharField()
    is_major = serializers.BooleanField()
    is_strategic = serializers.BooleanField()
    tier_since = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    purchases_12m = serializers.DecimalField(**MONEY)
    years_on_platform = serializers.IntegerField()
    next_tier = NextTierOutput(allow_null=True)
    benefits = BenefitsOutput(source="benefit_flags")
    year = serializers.IntegerField()
    year_purchases = serializers.DecimalField(**MONEY)
    rebate_rate_percent = serializers.DecimalField(source="rebate_rate", max_digits=5, decimal_places=2)
    rebate_accruals = AccrualOutput(source="accruals", many=True)


class TierView(ApiView):
    """The caller's company: tier, trailing-12-month purchases (net of refunds), the gap to the next
    tier, the benefits of its tier and its rebate accruals by year. Any company key may read it."""

    permission_classes = [IsCompanyMember]

    @extend_schema(responses=TierOutput)
    def get(self, request):
        return Response(TierOutput(tiers.tier_position(company=caller_company(request))).data)


backoffice_urlpatterns = [
    path("tiers/", tier_rules, name="tier-rules"),
    path("tiers/review/", run_tier_review, name="tier-review"),
    path("clients/", major_clients, name="clients"),
    path("my-clients/", my_clients, name="my-clients"),
    path("clients/<int:company_id>/", client, name="client"),
    path("clients/<int:company_id>/managers/", client_assign, name="client-assign"),
    path("clients/<int:company_id>/strategic/", client_strategic, name="client-strategic"),
    path("clients/<int:company_id>/visits/", client_visit, name="client-visit"),
    path("clients/<int:company_id>/notes/", client_note, name="client-note"),
    path("clients/<int:company_id>/review-tasks/<int:task_id>/complete/", review_task_complete,
         name="review-task-complete"),
]
member_urlpatterns = [
    path("benefits/", benefits, name="benefits"),
    path("benefits/statements/<int:year>/", rebate_statement, name="rebate-statement"),
]
api_urlpatterns = [
    path("crm/tier/", TierView.as_view(), name="api-crm-tier"),
]
