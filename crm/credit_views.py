"""Pages and API endpoints for credit, receivables and collections. Thin: parse, call one service or
selector, render.

Member centre (main account or FINANCE permission): /member/crm/credit/ — the credit line, open
receivables, collections and the credit application form.
Back office (FINANCE or ADMINISTRATOR): /backoffice/crm/credit/applications/ (queue and decisions),
/backoffice/crm/receivables/, /backoffice/crm/collections/ (and /new/), /backoffice/crm/ageing/
(CSV with ?format=csv).
API (company keys with the `finance` scope): GET /api/v1/crm/credit/, /api/v1/crm/receivables/,
/api/v1/crm/collections/.
"""

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.access import member_page
from accounts.models import Company
from core.api.permissions import HasCompanyPermission, IsCompanyMember, caller_company
from core.api.views import ApiListView, ApiView
from core.errors import BusinessRuleError
from core.inputs import parse_id, parse_query_date
from core.money import format_cny
from core.permissions import CompanyPermission, StaffRole, staff_required, staff_roles
from crm import credit
from crm.credit_forms import CollectionForm, CreditApplicationForm, CreditDecisionForm
from crm.models import Collection, CreditApplication, Receivable
from orders.models import Order

CREDIT_STAFF = credit.CREDIT_STAFF


def _company_of(user):
    return user.membership.company


def _show_errors(form, error):
    for field, message in (error.details or {}).items():
        if field in form.fields:
            form.add_error(field, message)
    form.add_error(None, error.message)


# --- member centre ------------------------------------------------------------------------------

@member_page(permission=CompanyPermission.FINANCE)
def member_credit(request):
    company = _company_of(request.user)
    refusal = credit.application_refusal(company)
    form = CreditApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            credit.submit_credit_application(
                by=request.user, requested_limit=form.cleaned_data["requested_limit"],
                term_days=form.cleaned_data["requested_term_days"], purpose=form.cleaned_data["purpose"])
        except BusinessRuleError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("账期申请已提交，平台财务审批后会通知您。"))
            return redirect("member-crm:credit")
    today = timezone.localdate()
    receivables = list(credit.receivables_of(company, status=Receivable.Status.OPEN))
    for receivable in receivables:
        receivable.days_overdue = credit.days_overdue(receivable, today)
    return render(request, "member/crm/credit.html", {
        "position": credit.credit_position(company),
        "receivables": receivables,
        "collections": credit.collections_of(company)[:10],
        "applications": CreditApplication.objects.filter(company=company).order_by("-submitted_at", "-id")[:5],
        "open_application": credit.open_application(company),
        "refusal": refusal, "form": form,
    })


@require_POST
@member_page(permission=CompanyPermission.FINANCE)
def member_withdraw_application(request, application_id):
    try:
        credit.withdraw_credit_application(by=request.user, application_id=application_id)
    except BusinessRuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已撤回账期申请。"))
    return redirect("member-crm:credit")


# --- back office: applications --------------------------------------------------------------------

@staff_required(*CREDIT_STAFF)
def credit_applications(request):
    decided = (CreditApplication.objects.exclude(status=CreditApplication.Status.SUBMITTED)
               .select_related("company", "decided_by").order_by("-decided_at", "-id")[:20])
    return render(request, "backoffice/crm/credit_applications.html", {
        "pending": credit.pending_applications(), "decided": decided,
    })


@staff_required(*CREDIT_STAFF)
def credit_application(request, application_id):
    application = get_object_or_404(
        CreditApplication.objects.select_related("company", "submitted_by", "decided_by", "score"), pk=application_id)
    company = application.company
    if request.method == "POST" and request.POST.get("action") == "rescore":
        credit.score_company(company=company)
        messages.success(request, _("已按当前数据重新评分。"))
        return redirect("backoffice-crm:credit-application", application_id=application.pk)
    score = credit.latest_score(company)
    form = CreditDecisionForm(request.POST or None, initial={
        "limit": application.requested_limit if score and score.recommended_limit_min <= application.requested_limit
        <= score.recommended_limit_max else (score.recommended_limit_max if score else None),
        "term_days": application.requested_term_days,
    })
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                credit.approve_credit_application(by=request.user, application_id=application.pk, limit=data["limit"],
                                                  term_days=data["term_days"], note=data["note"])
            else:
                credit.reject_credit_application(by=request.user, application_id=application.pk, note=data["note"])
        except BusinessRuleError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("已批准，企业已获得账期额度。") if data["decision"] == "approve"
                             else _("已驳回，企业会收到通知。"))
            return redirect("backoffice-crm:credit-applications")
    return render(request, "backoffice/crm/credit_application.html", {
        "application": application, "company": company, "score": score, "form": form,
        "band": credit.score_band(score.score) if score else None,
        "pd_percent": credit.probability_percent(score),
        "position": credit.credit_position(company),
        "is_admin": StaffRole.ADMINISTRATOR in staff_roles(request.user),
        "previous": CreditApplication.objects.filter(company=company).exclude(pk=application.pk)
        .order_by("-submitted_at")[:5],
    })


# --- back office: receivables, collections, ageing -------------------------------------------------

@staff_required(*CREDIT_STAFF)
def receivables(request):
    filters = {"company": parse_id(request.GET.get("company")), "status": request.GET.get("status", ""),
               "overdue": request.GET.get("overdue") == "1", "q": request.GET.get("q", "").strip()}
    rows = credit.receivables_for_staff(company_id=filters["company"],
                                        status=filters["status"] if filters["status"] in Receivable.Status.values
                                        else None, overdue=filters["overdue"])
    if filters["q"]:
        rows = rows.filter(Q(company__name__icontains=filters["q"]) | Q(order__number__icontains=filters["q"]))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for receivable in page.object_list:
        receivable.days_overdue = credit.days_overdue(receivable, today)
    return render(request, "backoffice/crm/receivables.html", {
        "page": page, "filters": filters, "status_choices": Receivable.Status.choices,
        "company": Company.objects.filter(pk=filters["company"]).first() if filters["company"] else None,
    })


@staff_required(*CREDIT_STAFF)
def collections(request):
    rows = (Collection.objects.select_related("company", "recorded_by")
            .prefetch_related("allocations__receivable__order"))
    company_id = parse_id(request.GET.get("company"))
    if company_id:
        rows = rows.filter(company_id=company_id)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/crm/collections.html", {"page": page, "company_id": company_id})


def _customers_with_receivables():
    return Company.objects.filter(Q(receivables__status=Receivable.Status.OPEN) | Q(credit_line__isnull=False)) \
        .distinct().order_by("name")


@staff_required(*CREDIT_STAFF)
def collection_new(request):
    company = None
    company_id = parse_id(request.GET.get("company") or request.POST.get("company"))
    if company_id:
        company = get_object_or_404(Company, pk=company_id)
    open_receivables = list(credit.receivables_of(company, status=Receivable.Status.OPEN)) if company else []
    form = CollectionForm(request.POST or None, receivables=open_receivables) if company else None
    if company and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        order_id = None
        if data["order_number"]:
            order_id = Order.objects.filter(number=data["order_number"].strip(), buyer=company).values_list(
                "pk", flat=True).first()
            if order_id is None:
                form.add_error("order_number", _("该客户没有这个订单号。"))
        explicit = form.explicit_allocations()
        if not form.errors:
            try:
                collection = credit.record_collection(
                    by=request.user, company_id=company.pk, received_on=data["received_on"],
                    document_number=data["document_number"], amount=data["amount"], method=data["method"],
                    receiving_bank=data["receiving_bank"], acceptor=data["acceptor"], department=data["department"],
                    note=data["note"], order_id=order_id,
                    allocations=[credit.Allocation(pk, amount) for pk, amount in explicit.items()] or None,
                )
            except BusinessRuleError as error:
                _show_errors(form, error)
            else:
                left = credit.unallocated(collection)
                messages.success(request, _("回款已登记。") + (
                    _("尚有 %(left)s 未核销。") % {"left": format_cny(left)} if left else ""))
                return redirect(f"{reverse('backoffice-crm:collections')}?company={company.pk}")
    return render(request, "backoffice/crm/collections_new.html", {
        "company": company, "form": form, "customers": _customers_with_receivables()[:500],
        "position": credit.credit_position(company) if company else None,
    })


@staff_required(*CREDIT_STAFF)
def ageing(request):
    as_of = parse_query_date(request.GET.get("as_of")) or timezone.localdate()
    rows, totals = credit.ageing_report(as_of=as_of)
    buckets = credit.AGEING_BUCKETS
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="ageing-{as_of.isoformat()}.csv"'
        response.write("\ufeff")  # BOM so Excel opens UTF-8 Chinese correctly
        writer = csv.writer(response)
        writer.writerow([_("客户"), *[str(label) for _key, label in buckets], _("合计"), _("笔数")])
        for row in rows:
            writer.writerow([row["company__name"], *[row[key] for key, _label in buckets], row["total"], row["count"]])
        writer.writerow([_("合计"), *[totals[key] for key, _label in buckets], totals["total"], totals["count"]])
        return response
    return render(request, "backoffice/crm/ageing.html", {
        "rows": rows, "totals": totals, "buckets": buckets, "as_of": as_of,
    })


@require_POST
@staff_required(*CREDIT_STAFF)
def credit_hold(request, company_id):
    on_hold = request.POST.get("on_hold") == "1"
    try:
        credit.set_credit_hold(by=request.user, company_id=company_id, on_hold=on_hold,
                               reason=request.POST.get("reason", ""))
    except BusinessRuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已暂停该客户的账期额度。") if on_hold else _("已恢复该客户的账期额度。"))
    return redirect(f"{reverse('backoffice-crm:receivables')}?company={company_id}")


# --- API ---------------------------------------------------------------------------------------

MONEY = {"max_digits": 16, "decimal_places": 2}


class FinanceScoped:
    permission_classes = [IsAuthenticated, IsCompanyMember, HasCompanyPermission]
    required_permission = CompanyPermission.FINANCE
    permission_for_reads = True


class ReasonOutput(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    points = serializers.IntegerField(help_text="与该特征最优分箱相比损失的分数")


class ScoreOutput(serializers.Serializer):
    score = serializers.IntegerField()
    band = serializers.CharField()
    probability_of_default = serializers.DecimalField(max_digits=7, decimal_places=6)
    reasons = ReasonOutput(many=True)
    scored_at = serializers.DateTimeField()


class CreditPositionOutput(serializers.Serializer):
    has_line = serializers.BooleanField()
    limit = serializers.DecimalField(**MONEY)
    term_days = serializers.IntegerField(allow_null=True)
    outstanding = serializers.DecimalField(**MONEY)
    available = serializers.DecimalField(**MONEY)
    on_hold = serializers.BooleanField()
    hold_reason = serializers.CharField(allow_blank=True)
    score = ScoreOutput(allow_null=True)


class CreditPositionView(FinanceScoped, ApiView):
    """The own company's credit line, what is available, and the latest credit score with its reasons."""

    @extend_schema(responses=CreditPositionOutput)
    def get(self, request):
        position = credit.credit_position(caller_company(request))
        score = position["score"]
        return Response(CreditPositionOutput({
            **position, "has_line": position["line"] is not None,
            "score": None if score is None else {
                "score": score.score, "band": position["band"], "probability_of_default":
                    score.probability_of_default, "reasons": score.reasons, "scored_at": score.scored_at},
        }).data)


class ReceivableOutput(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number")
    balance = serializers.DecimalField(**MONEY)
    days_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Receivable
        fields = ["id", "order", "amount", "settled", "balance", "issued_on", "due_on", "status", "settled_at",
                  "days_overdue"]

    def get_days_overdue(self, receivable) -> int:
        return credit.days_overdue(receivable)


class ReceivableListView(FinanceScoped, ApiListView):
    """The own company's receivables (what it owes for on-account orders), by due date; `status` filters."""

    serializer_class = ReceivableOutput

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=list(Receivable.Status.values))])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        status = self.request.query_params.get("status")
        return credit.receivables_of(caller_company(self.request),
                                     status=status if status in Receivable.Status.values else None)


class AllocationOutput(serializers.Serializer):
    receivable = serializers.IntegerField(source="receivable_id")
    order = serializers.CharField(source="receivable.order.number")
    amount = serializers.DecimalField(**MONEY)


class CollectionOutput(serializers.ModelSerializer):
    allocations = AllocationOutput(many=True)

    class Meta:
        model = Collection
        fields = ["id", "received_on", "document_number", "amount", "method", "receiving_bank", "acceptor",
                  "department", "allocations"]


class CollectionListView(FinanceScoped, ApiListView):
    """Payments the platform received from the own company (回款) and the receivables they settled."""

    serializer_class = CollectionOutput

    def get_queryset(self):
        return credit.collections_of(caller_company(self.request))


backoffice_urlpatterns = [
    path("credit/applications/", credit_applications, name="credit-applications"),
    path("credit/applications/<int:application_id>/", credit_application, name="credit-application"),
    path("credit/lines/<int:company_id>/hold/", credit_hold, name="credit-hold"),
    path("receivables/", receivables, name="receivables"),
    path("collections/", collections, name="collections"),
    path("collections/new/", collection_new, name="collection-new"),
    path("ageing/", ageing, name="ageing"),
]
member_urlpatterns = [
    path("credit/", member_credit, name="credit"),
    path("credit/applications/<int:application_id>/withdraw/", member_withdraw_application,
         name="credit-withdraw"),
]
api_urlpatterns = [
    path("crm/credit/", CreditPositionView.as_view(), name="api-crm-credit"),
    path("crm/receivables/", ReceivableListView.as_view(), name="api-crm-receivables"),
    path("crm/collections/", CollectionListView.as_view(), name="api-crm-collections"),
]
