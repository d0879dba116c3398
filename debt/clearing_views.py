"""The obligations registry and clearing runs: member-centre pages, back-office pages and the API.
Thin: parse, call one service or selector in debt.obligations / debt.runs, render or redirect."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.access import member_page
from core.api.permissions import HasCompanyPermission, IsCompanyMember, caller_company
from core.api.views import ApiListView, ApiView
from core.errors import BusinessRuleError, NotFound
from core.flash import run_and_report
from core.permissions import CompanyPermission, staff_required
from debt import obligations, runs
from debt.models import ClearingParticipant, ClearingRun, Obligation

DEBT = CompanyPermission.DEBT
STAFF_ROLES = runs.STAFF_ROLES

# These pages show a refusal with its field details (the forms are short).
_report = partial(run_and_report, details=True)


def _company(request):
    return request.user.membership.company


def _serve(found, request):
    if found is None:
        raise Http404
    try:
        stored = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(stored, content_type=found.content_type, filename=found.original_name,
                        as_attachment=request.GET.get("download") == "1")


def _pdf(pdf, filename):
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- member centre: obligations ------------------------------------------------------------------

@member_page(permission=DEBT)
def obligation_list(request):
    company = _company(request)
    role, state, query = request.GET.get("role", ""), request.GET.get("status", ""), request.GET.get("q", "").strip()
    found = obligations.obligations_for_company(company=company, role=role, status=state, query=query)
    return render(request, "member/debt/obligations.html", {
        "page": Paginator(found, 30).get_page(request.GET.get("page")), "company": company, "role": role,
        "status": state, "q": query, "statuses": Obligation.Status.choices,
    })


@require_POST
@member_page(permission=DEBT)
def obligation_register(request):
    obligation = _report(request, lambda: obligations.register_obligation(
        by=request.user, debtor_credit_code=request.POST.get("debtor_code", ""),
        debtor_id=request.POST.get("debtor_id", ""), amount=request.POST.get("amount", ""),
        due_on=request.POST.get("due_on", ""), reference=request.POST.get("reference", ""),
        description=request.POST.get("description", ""), evidence=request.FILES.getlist("evidence")),
        _("债务已登记，等待债务人确认。"))
    if obligation is None:
        return redirect("member-debt:obligations")
    return redirect("member-debt:obligation", obligation.pk)


@member_page(permission=DEBT)
def obligation_detail(request, obligation_id):
    company = _company(request)
    try:
        obligation = obligations.obligation_for_company(company=company, obligation_id=obligation_id)
    except NotFound:
        raise Http404 from None
    return render(request, "member/debt/obligation_detail.html", {
        "obligation": obligation, "side": obligations.side_of(obligation, company),
        "evidence": obligation.evidence.select_related("company", "uploaded_by"),
        "disputes": obligation.disputes.select_related("raised_by", "resolved_by"),
        "history": obligations.obligation_history(obligation),
        "clearing_items": obligation.clearing_items.select_related("run").order_by("-run_id"),
    })


def _obligation_action(service, success, **fields):
    @require_POST
    @member_page(permission=DEBT)
    def view(request, obligation_id):
        values = {name: request.POST.get(field, "") for name, field in fields.items()}
        _report(request, lambda: service(by=request.user, obligation_id=obligation_id, **values), success)
        return redirect("member-debt:obligation", obligation_id)

    return view


obligation_confirm = _obligation_action(obligations.confirm_obligation,
                                        gettext_lazy("已确认该债务，它将参与多边清算。"))
obligation_dispute = _obligation_action(obligations.dispute_obligation, gettext_lazy("异议已提交，等待债权人处理。"),
                                        reason="reason")
obligation_withdraw = _obligation_action(obligations.withdraw_obligation, gettext_lazy("债务已撤回。"),
                                         reason="reason")
obligation_correct = _obligation_action(obligations.correct_obligation, gettext_lazy("已更正，等待债务人重新确认。"),
                                        amount="amount", due_on="due_on", reference="reference", note="note")


@require_POST
@member_page(permission=DEBT)
def obligation_evidence(request, obligation_id):
    _report(request, lambda: obligations.add_evidence(by=request.user, obligation_id=obligation_id,
                                                      upload=request.FILES.get("evidence"),
                                                      note=request.POST.get("note", "")),
            _("证据已上传，对方可以查看。"))
    return redirect("member-debt:obligation", obligation_id)


@login_required
def evidence_file(request, evidence_id):
    """An evidence file, to the obligation's two parties and to staff only."""
    return _serve(obligations.evidence_for(user=request.user, evidence_id=evidence_id), request)


# --- member centre: clearing ---------------------------------------------------------------------

@member_page(permission=DEBT)
def clearing_list(request):
    company = _company(request)
    found = runs.runs_for_company(company=company)
    parts = {part.run_id: part for part in ClearingParticipant.objects.filter(company=company, run__in=found)}
    rows = [{"run": run, "part": parts.get(run.pk)} for run in found[:100]]
    return render(request, "member/debt/clearing.html", {"rows": rows})


@member_page(permission=DEBT)
def clearing_run(request, run_id):
    company = _company(request)
    try:
        part = runs.part_for_company(company=company, run_id=run_id)
    except NotFound:
        raise Http404 from None
    context = runs.statement_context(participant=part)
    context["may_answer"] = runs.part_open_for_answer(part)
    context["deadline_passed"] = runs.part_missed_deadline(part)
    return render(request, "member/debt/clearing_detail.html", context)


@require_POST
@member_page(permission=DEBT)
def clearing_respond(request, run_id):
    decision = request.POST.get("decision", "")
    _report(request, lambda: runs.respond_to_part(by=request.user, run_id=run_id, decision=decision,
                                                  reason=request.POST.get("reason", "")),
            _("已确认贵司的部分。全部企业确认后将自动执行。") if decision == "confirm"
            else _("已拒绝。贵司的债务将移出本批次，其余部分重新计算。"))
    return redirect("member-debt:clearing-run", run_id)


@member_page(permission=DEBT)
def clearing_statement(request, run_id):
    try:
        part = runs.part_for_company(company=_company(request), run_id=run_id)
        pdf = runs.clearing_statement_pdf(participant=part)
    except NotFound:
        raise Http404 from None
    except BusinessRuleError as error:
        messages.error(request, error.message)
        return redirect("member-debt:clearing-run", run_id)
    return _pdf(pdf, f"clearing-{run_id}-statement.pdf")


# --- back office ---------------------------------------------------------------------------------

@staff_required(*STAFF_ROLES)
def staff_obligations(request):
    state, query = request.GET.get("status", ""), request.GET.get("q", "").strip()
    found = obligations.all_obligations(status=state, query=query)
    return render(request, "backoffice/debt/obligations.html", {
        "page": Paginator(found, 50).get_page(request.GET.get("page")), "status": state, "q": query,
        "statuses": Obligation.Status.choices,
    })


@staff_required(*STAFF_ROLES)
def staff_obligation(request, obligation_id):
    obligation = get_object_or_404(Obligation.objects.select_related("debtor", "creditor"), pk=obligation_id)
    return render(request, "backoffice/debt/obligations_detail.html", {
        "obligation": obligation, "evidence": obligation.evidence.select_related("company"),
        "disputes": obligation.disputes.select_related("raised_by", "resolved_by"),
        "history": obligations.obligation_history(obligation),
        "clearing_items": obligation.clearing_items.select_related("run").order_by("-run_id"),
    })


@staff_required(*STAFF_ROLES)
def staff_runs(request):
    return render(request, "backoffice/debt/runs.html", {
        "runs": runs.all_runs()[:100], "overdue": runs.overdue_confirmations()[:200],
    })


@require_POST
@staff_required(*STAFF_ROLES)
def staff_run_start(request):
    run = _report(request, lambda: runs.start_clearing_run(by=request.user), _("清算批次已发起，正在计算方案。"))
    return redirect("backoffice-debt:run", run.pk) if run else redirect("backoffice-debt:runs")


def _run_context(run_id):
    run = get_object_or_404(runs.all_runs(), pk=run_id)
    return {"run": run, "participants": runs.run_participants(run),
            "polling": run.status in (ClearingRun.Status.QUEUED, ClearingRun.Status.PLANNING)}


@staff_required(*STAFF_ROLES)
def staff_run(request, run_id):
    context = _run_context(run_id)
    context["items"] = context["run"].items.select_related("debtor", "creditor", "obligation")[:500]
    return render(request, "backoffice/debt/runs_detail.html", context)


@staff_required(*STAFF_ROLES)
def staff_run_progress(request, run_id):
    """The progress fragment the run page polls (htmx) while the plan is computed."""
    context = _run_context(run_id)
    response = render(request, "backoffice/debt/runs_progress.html", context)
    if not context["polling"] and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # planning finished: show the full page with the parts
    return response


@staff_required(*STAFF_ROLES)
def staff_run_statement(request, run_id, company_id):
    try:
        pdf = runs.clearing_statement_pdf(participant=runs.staff_part(run_id=run_id, company_id=company_id))
    except NotFound:
        raise Http404 from None
    except BusinessRuleError as error:
        messages.error(request, error.message)
        return redirect("backoffice-debt:run", run_id)
    return _pdf(pdf, f"clearing-{run_id}-{company_id}-statement.pdf")


# --- API -----------------------------------------------------------------------------------------

class _DebtApi:
    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = DEBT
    permission_for_reads = True


class ObligationPartyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    unified_social_credit_code = serializers.CharField()


class ObligationEvidenceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    note = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class ObligationDisputeOutput(serializers.Serializer):
    reason = serializers.CharField()
    raised_at = serializers.DateTimeField()
    resolution = serializers.CharField(help_text="corrected, withdrawn; empty while open.")
    resolution_note = serializers.CharField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class ObligationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.SerializerMethodField(help_text="The caller's side: debtor or creditor.")
    debtor = ObligationPartyOutput()
    creditor = ObligationPartyOutput()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2)
    due_on = serializers.DateField()
    reference = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Obligation.Status.choices)
    registered_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    settled_at = serializers.DateTimeField(allow_null=True)
    disputes = ObligationDisputeOutput(many=True, source="disputes.all")
    evidence = ObligationEvidenceOutput(many=True, source="evidence.all")

    def get_role(self, obligation) -> str:
        return obligations.side_of(obligation, caller_company(self.context["request"]))


def _obligation_response(request, obligation_id, code=status.HTTP_200_OK):
    found = obligations.obligation_for_company(company=caller_company(request), obligation_id=obligation_id)
    return Response(ObligationOutput(found, context={"request": request}).data, status=code)


class ObligationListView(_DebtApi, ApiListView):
    """GET: the caller's company's obligations as debtor or creditor (filter `role`, `status`).
    POST: register an obligation as creditor; it counts once the debtor confirms it. Name the
    debtor by `debtor_credit_code` (统一社会信用代码) or `debtor_id`. Multipart to attach
    `evidence` files (PDF/JPEG/PNG ≤10 MB)."""

    serializer_class = ObligationOutput
    filter_backends = []
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class RegisterInput(serializers.Serializer):
        debtor_credit_code = serializers.CharField(required=False, allow_blank=True, max_length=18)
        debtor_id = serializers.IntegerField(required=False, allow_null=True)
        amount = serializers.CharField(max_length=30, help_text="CNY, up to two decimals, e.g. \"12500.00\".")
        due_on = serializers.DateField()
        reference = serializers.CharField(max_length=60, help_text="Contract or invoice number.")
        description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
        evidence = serializers.ListField(child=serializers.FileField(), required=False)

    @extend_schema(parameters=[OpenApiParameter("role", str, enum=["debtor", "creditor"]),
                               OpenApiParameter("status", str, enum=Obligation.Status.values)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Obligation.objects.none()
        return obligations.obligations_for_company(
            company=caller_company(self.request), role=self.request.query_params.get("role", ""),
            status=self.request.query_params.get("status", "")).prefetch_related("disputes", "evidence")

    @extend_schema(request={"application/json": RegisterInput, "multipart/form-data": RegisterInput},
                   responses={201: ObligationOutput})
    def post(self, request):
        payload = self.RegisterInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        obligation = obligations.register_obligation(
            by=request.user, debtor_credit_code=data.get("debtor_credit_code"), debtor_id=data.get("debtor_id"),
            amount=data["amount"], due_on=data["due_on"], reference=data["reference"],
            description=data.get("description", ""), evidence=request.FILES.getlist("evidence"))
        return _obligation_response(request, obligation.pk, status.HTTP_201_CREATED)


class ObligationDetailView(_DebtApi, ApiView):
    """One of the caller's company's obligations, with its disputes and evidence list."""

    @extend_schema(responses=ObligationOutput)
    def get(self, request, obligation_id):
        return _obligation_response(request, obligation_id)


class ObligationConfirmView(_DebtApi, ApiView):
    """The debtor confirms the obligation; from then on it enters clearing runs."""

    @extend_schema(request=None, responses=ObligationOutput)
    def post(self, request, obligation_id):
        obligations.confirm_obligation(by=request.user, obligation_id=obligation_id)
        return _obligation_response(request, obligation_id)


class ObligationDisputeView(_DebtApi, ApiView):
    """The debtor disputes the obligation, giving a reason; the creditor corrects or withdraws it."""

    class DisputeInput(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=DisputeInput, responses=ObligationOutput)
    def post(self, request, obligation_id):
        payload = self.DisputeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        obligations.dispute_obligation(by=request.user, obligation_id=obligation_id,
                                       reason=payload.validated_data["reason"])
        return _obligation_response(request, obligation_id)


class ClearingRunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ClearingRun.Status.choices)
    plan_version = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    planned_at = serializers.DateTimeField(allow_null=True)
    confirmation_deadline = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField()
    cleared_total = serializers.DecimalField(max_digits=16, decimal_places=2,
                                             help_text="Set-off over all companies in the run.")


class ClearingItemOutput(serializers.Serializer):
    obligation = serializers.IntegerField(source="obligation_id")
    reference = serializers.CharField(source="obligation.reference")
    debtor = serializers.CharField(source="debtor.name")
    creditor = serializers.CharField(source="creditor.name")
    outstanding_before = serializers.DecimalField(max_digits=16, decimal_places=2)
    setoff = serializers.DecimalField(max_digits=16, decimal_places=2)
    outstanding_after = serializers.DecimalField(max_digits=16, decimal_places=2)


class ClearingPartOutput(serializers.Serializer):
    run = ClearingRunOutput()
    status = serializers.ChoiceField(choices=ClearingParticipant.Status.choices)
    owed_by_before = serializers.DecimalField(max_digits=16, decimal_places=2)
    owed_by_after = serializers.DecimalField(max_digits=16, decimal_places=2)
    owed_to_before = serializers.DecimalField(max_digits=16, decimal_places=2)
    owed_to_after = serializers.DecimalField(max_digits=16, decimal_places=2)
    net_before = serializers.DecimalField(max_digits=16, decimal_places=2)
    net_after = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Always equal to net_before.")
    setoff = serializers.DecimalField(max_digits=16, decimal_places=2)
    responded_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    items = serializers.SerializerMethodField()

    @extend_schema_field(ClearingItemOutput(many=True))
    def get_items(self, part):
        return ClearingItemOutput(runs.items_for_company(run=part.run, company=part.company), many=True).data


class ClearingRunListView(_DebtApi, ApiListView):
    """The clearing runs the caller's company has a part in, newest first."""

    serializer_class = ClearingRunOutput
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ClearingRun.objects.none()
        return runs.runs_for_company(company=caller_company(self.request))


class ClearingPartView(_DebtApi, ApiView):
    """GET: the company's part of a run (its set-offs, before and after). POST `decision`
    confirm or reject (with `reason`) before the confirmation deadline."""

    class PartInput(serializers.Serializer):
        decision = serializers.ChoiceField(choices=["confirm", "reject"])
        reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @extend_schema(responses=ClearingPartOutput)
    def get(self, request, run_id):
        part = runs.part_for_company(company=caller_company(request), run_id=run_id)
        return Response(ClearingPartOutput(part).data)

    @extend_schema(request=PartInput, responses=ClearingPartOutput)
    def post(self, request, run_id):
        payload = self.PartInput(data=request.data)
        payload.is_valid(raise_exception=True)
        company = caller_company(request)
        runs.part_for_company(company=company, run_id=run_id)  # 404 before anything else
        runs.respond_to_part(by=request.user, run_id=run_id, decision=payload.validated_data["decision"],
                             reason=payload.validated_data.get("reason", ""))
        return Response(ClearingPartOutput(runs.part_for_company(company=company, run_id=run_id)).data)


# --- wiring --------------------------------------------------------------------------------------

member_urlpatterns = [
    path("obligations/", obligation_list, name="obligations"),
    path("obligations/register/", obligation_register, name="obligation-register"),
    path("obligations/<int:obligation_id>/", obligation_detail, name="obligation"),
    path("obligations/<int:obligation_id>/confirm/", obligation_confirm, name="obligation-confirm"),
    path("obligations/<int:obligation_id>/dispute/", obligation_dispute, name="obligation-dispute"),
    path("obligations/<int:obligation_id>/withdraw/", obligation_withdraw, name="obligation-withdraw"),
    path("obligations/<int:obligation_id>/correct/", obligation_correct, name="obligation-correct"),
    path("obligations/<int:obligation_id>/evidence/", obligation_evidence, name="obligation-evidence"),
    path("obligations/evidence/<int:evidence_id>/", evidence_file, name="obligation-evidence-file"),
    path("clearing/", clearing_list, name="clearing"),
    path("clearing/<int:run_id>/", clearing_run, name="clearing-run"),
    path("clearing/<int:run_id>/respond/", clearing_respond, name="clearing-respond"),
    path("clearing/<int:run_id>/statement.pdf", clearing_statement, name="clearing-statement"),
]
backoffice_urlpatterns = [
    path("obligations/", staff_obligations, name="obligations"),
    path("obligations/<int:obligation_id>/", staff_obligation, name="obligation"),
    path("obligations/evidence/<int:evidence_id>/", evidence_file, name="obligation-evidence-file"),
    path("runs/", staff_runs, name="runs"),
    path("runs/start/", staff_run_start, name="run-start"),
    path("runs/<int:run_id>/", staff_run, name="run"),
    path("runs/<int:run_id>/progress/", staff_run_progress, name="run-progress"),
    path("runs/<int:run_id>/statement/<int:company_id>.pdf", staff_run_statement, name="run-statement"),
]
api_urlpatterns = [
    path("debt/obligations/", ObligationListView.as_view(), name="api-debt-obligations"),
    path("debt/obligations/<int:obligation_id>/", ObligationDetailView.as_view(), name="api-debt-obligation"),
    path("debt/obligations/<int:obligation_id>/confirm/", ObligationConfirmView.as_view(),
         name="api-debt-obligation-confirm"),
    path("debt/obligations/<int:obligation_id>/dispute/", ObligationDisputeView.as_view(),
         name="api-debt-obligation-dispute"),
    path("debt/clearing-runs/", ClearingRunListView.as_view(), name="api-debt-clearing-runs"),
    path("debt/clearing-runs/<int:run_id>/part/", ClearingPartView.as_view(), name="api-debt-clearing-part"),
]


def register():
    """Back-office work queue, audit labels and schedules of obligations and clearing runs."""
    from core import audit
    from core.backoffice import register_queue
    from core.schedules import register_schedule

    register_queue(key="debt-clearing-awaiting", label=gettext_lazy("待确认的清算方案"),
                   url_name="backoffice-debt:runs",
                   count=runs.awaiting_runs_count, roles=STAFF_ROLES)
    register_schedule(name="debt.weekly_clearing_run", task="debt.tasks.start_scheduled_clearing_run",
                      crontab={"minute": "0", "hour": "2", "day_of_week": "1"},
                      description=gettext_lazy("每周一凌晨发起多边清算（三角债清理）"))
    register_schedule(name="debt.lapse_overdue_clearing_runs", task="debt.tasks.lapse_overdue_clearing_runs",
                      crontab={"minute": "5"},
                      description=gettext_lazy("每小时检查超过确认截止时间的清算批次并作废"))
    register_schedule(name="debt.resume_stalled_clearing_runs", task="debt.tasks.resume_stalled_clearing_runs",
                      crontab={"minute": "*/10"},
                      description=gettext_lazy("每 10 分钟检查计算中断的清算批次：重新计算一次，仍不成功则标记失败"))
    audit.describe_actions({
        "debt.obligation.register": gettext_lazy("登记债务"),
        "debt.clearing.resume": gettext_lazy("清算批次重新计算"),
        "debt.obligation.status": gettext_lazy("债务状态变更"),
        "debt.obligation.evidence": gettext_lazy("上传债务证据"),
        "debt.obligation.setoff": gettext_lazy("清算抵销"),
        "debt.obligation.recovered": gettext_lazy("经债务案件收回"),
        "debt.clearing.start": gettext_lazy("发起清算"),
        "debt.clearing.status": gettext_lazy("清算批次状态变更"),
        "debt.clearing.part": gettext_lazy("答复清算方案"),
    }, values={"debt.obligation.register": Obligation.Status, "debt.obligation.status": Obligation.Status,
               "debt.clearing.start": ClearingRun.Status, "debt.clearing.status": ClearingRun.Status,
               "debt.clearing.part": ClearingParticipant.Status})
