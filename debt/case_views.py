"""债务化解 cases: member-centre pages, back-office pages and API endpoints.

Thin: parse, call one service or selector in `debt.cases`, show its message, redirect. Company
scoping is in the selectors (another company's case is a 404).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.access import member_page
from catalog.models import Product
from core.api.permissions import HasCompanyPermission, IsCompanyMember, caller_company
from core.api.views import ApiListView, ApiRetrieveView, ApiView
from core.errors import BusinessRuleError, NotFound
from core.flash import run_and_report
from core.inputs import parse_id
from core.permissions import CompanyPermission, StaffRole, has_staff_role, staff_required
from debt import cases
from debt.models import (
    CaseClaim,
    DebtCase,
    GoodsSettlement,
    Guarantee,
    Instalment,
    InstalmentPlan,
)

DEBT = CompanyPermission.DEBT
READ_STAFF = cases.READ_STAFF
GOODS_ROWS = 5


# --- forms -------------------------------------------------------------------------------------------

class ClaimForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("对方企业名称"), max_length=120, required=False)
    credit_code = forms.CharField(label=gettext_lazy("统一社会信用代码"), max_length=18, required=False,
                                  help_text=gettext_lazy("平台企业可只填名称或代码；非平台企业两者都要填。"))
    # A blank first choice keeps an untouched extra row unchanged, so the formset skips it.
    role = forms.ChoiceField(label=gettext_lazy("对方是"), choices=[("", "---------"), *CaseClaim.Role.choices])
    amount = forms.DecimalField(label=gettext_lazy("金额（元）"), max_digits=15, decimal_places=2, min_value=0.01)
    due_date = forms.DateField(label=gettext_lazy("到期日"), widget=forms.DateInput(attrs={"type": "date"}))
    obligation = forms.ChoiceField(
        label=gettext_lazy("关联登记的债务"), required=False,
        help_text=gettext_lazy("已登记并经债务人确认的债务；案件收回的款项会同步减少它，清算时不再重复计算。"))

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["obligation"].choices = [("", gettext_lazy("不关联")), *(
            (obligation.pk, _("#%(id)s %(reference)s：%(debtor)s → %(creditor)s，未清偿 %(outstanding)s 元") % {
                "id": obligation.pk, "reference": obligation.reference, "debtor": obligation.debtor.name,
                "creditor": obligation.creditor.name, "outstanding": obligation.outstanding})
            for obligation in cases.linkable_obligations(company=company))]


ClaimFormSet = forms.formset_factory(ClaimForm, extra=2, max_num=cases.MAX_CLAIMS, validate_max=True,
                                     min_num=1, validate_min=True)


class CaseForm(forms.Form):
    desired_outcome = forms.ChoiceField(label=gettext_lazy("期望的化解方式"), choices=DebtCase.Outcome.choices)
    description = forms.CharField(label=gettext_lazy("案情说明"), max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 5}),
                                  help_text=gettext_lazy("交易背景、欠款形成原因、已做过的催收等。"))
    documents = forms.FileField(label=gettext_lazy("证据材料"), required=False,
                                widget=forms.ClearableFileInput(attrs={"multiple": False}),
                                help_text=gettext_lazy(
                                    "合同、发票、对账单等，PDF/JPEG/PNG，单个不超过 10 MB；提交后还可补充。"))


def _claim_rows(formset):
    return [{key: (str(value) if value is not None else "") for key, value in form.cleaned_data.items()}
            for form in formset.forms if form.cleaned_data and form.has_changed()]


# --- member centre --------------------------------------------------------------------------------------

def _member_case(request, case_id):
    try:
        return cases.case_for_member(user=request.user, case_id=case_id)
    except NotFound:
        raise Http404 from None


@member_page(permission=DEBT)
def member_cases(request):
    company = request.user.membership.company
    page = Paginator(cases.cases_for_company(company=company), 30).get_page(request.GET.get("page"))
    return render(request, "member/debt/cases.html", {"page": page, "company": company})


@member_page(permission=DEBT)
def member_case_new(request):
    company = request.user.membership.company
    if request.method == "POST":
        form = CaseForm(request.POST, request.FILES)
        formset = ClaimFormSet(request.POST, prefix="claims", form_kwargs={"company": company})
        if "add_row" in request.POST:  # one more counterparty row, without JavaScript
            data = request.POST.copy()
            data["claims-TOTAL_FORMS"] = str(min(parse_id(data.get("claims-TOTAL_FORMS")) or 1, 50) + 1)
            formset = ClaimFormSet(data, prefix="claims", form_kwargs={"company": company})
            return render(request, "member/debt/cases_new.html", {"form": CaseForm(request.POST),
                                                                  "formset": formset, "company": company})
        if form.is_valid() and formset.is_valid():
            try:
                case = cases.submit_case(
                    by=request.user, claims=_claim_rows(formset), desired_outcome=form.cleaned_data["desired_outcome"],
                    description=form.cleaned_data["description"], documents=request.FILES.getlist("documents"))
            except BusinessRuleError as error:
                _attach_errors(form, formset, error)
            else:
                deadline = timezone.localtime(case.stage_deadline).strftime("%Y-%m-%d %H:%M") if case.stage_deadline \
                    else "—"
                messages.success(request, _("案件 %(number)s 已提交，平台法务将在 %(deadline)s 前受理。") % {
                    "number": case.number, "deadline": deadline})
                return redirect("member-debt:case", case.pk)
    else:
        form, formset = CaseForm(), ClaimFormSet(prefix="claims", form_kwargs={"company": company})
    return render(request, "member/debt/cases_new.html", {"form": form, "formset": formset, "company": company})


def _attach_errors(form, formset, error):
    placed = False
    for key, message in error.details.items():
        parts = key.split("-")
        if parts[0] == "claims" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            changed = [f for f in formset.forms if f.has_changed()]
            if index < len(changed) and parts[2] in changed[index].fields:
                changed[index].add_error(parts[2], message)
                placed = True
        elif key in form.fields:
            form.add_error(key, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _published(company):
    """The debtor's catalogue to choose settlement goods from."""
    return list(Product.objects.filter(seller=company, status=Product.Status.PUBLISHED).order_by("title")[:200])


def _case_context(case):
    plans = case.instalment_plans.prefetch_related(
        Prefetch("instalments", queryset=Instalment.objects.prefetch_related("payments"))).select_related("claim")
    return {
        "case": case,
        "claims": case.claims.select_related("company", "case__applicant", "obligation"),
        "documents": case.documents.select_related("uploaded_by", "company"),
        "guarantees": case.guarantees.select_related("claim"),
        "plans": plans,
        "settlements": case.goods_settlements.select_related("order", "debtor", "creditor").prefetch_related("lines"),
        "parties": cases.plan_parties(case) if case.plan_version else [],
        "history": cases.case_history(case),
        "outstanding": cases.case_outstanding(case),
        "stages": [choice for choice in DebtCase.Stage.choices if choice[0] not in ("closed_failed", "withdrawn")],
    }


@member_page(permission=DEBT)
def member_case(request, case_id):
    case = _member_case(request, case_id)
    company = request.user.membership.company
    context = _case_context(case)
    decided = {party.pk: decision for party, decision in context["parties"]}
    debtor_products = [(claim, _published(claim.debtor_company)) for claim in context["claims"]
                       if claim.debtor_company is not None and claim.creditor_company is not None
                       and company.pk in (claim.case.applicant_id, claim.company_id)]
    context.update({
        "company": company, "is_applicant": case.applicant_id == company.pk,
        "my_decision": decided.get(company.pk),
        "may_decide": case.stage == "negotiation" and company.pk in decided and decided[company.pk] is None,
        "withdrawable": case.applicant_id == company.pk and case.stage in cases.WITHDRAWABLE,
        "debtor_products": debtor_products, "goods_rows": range(GOODS_ROWS),
        "creditor_claim_ids": {claim.pk for claim in context["claims"]
                               if claim.creditor_company is not None and claim.creditor_company.pk == company.pk},
        "area": "member",
    })
    return render(request, "member/debt/cases_detail.html", context)


def _member_post(service, success):
    @require_POST
    @member_page(permission=DEBT)
    def view(request, case_id):
        case = _member_case(request, case_id)
        run_and_report(request, lambda: service(request, case), success)
        return redirect("member-debt:case", case.pk)

    return view


member_withdraw = _member_post(lambda request, case: cases.withdraw_case(
    by=request.user, case_id=case.pk, reason=request.POST.get("reason", "")), gettext_lazy("案件已撤回。"))
member_confirm = _member_post(lambda request, case: cases.confirm_plan(by=request.user, case_id=case.pk),
                              gettext_lazy("已确认方案。各方均确认后案件进入执行。"))
member_reject = _member_post(lambda request, case: cases.reject_plan(
    by=request.user, case_id=case.pk, reason=request.POST.get("reason", "")),
    gettext_lazy("已拒绝方案，平台法务将重新设计。"))
member_document = _member_post(lambda request, case: cases.add_document(
    by=request.user, case_id=case.pk, upload=request.FILES.get("document"), note=request.POST.get("note", "")),
    gettext_lazy("材料已上传。"))


def _goods_lines(post):
    lines = []
    for index in range(GOODS_ROWS):
        product = post.get(f"product-{index}", "").strip()
        if product:
            lines.append((product, post.get(f"quantity-{index}", ""), post.get(f"value-{index}", "")))
    return lines


member_goods = _member_post(lambda request, case: cases.propose_goods_settlement(
    by=request.user, case_id=case.pk, claim_id=request.POST.get("claim"), lines=_goods_lines(request.POST)),
    gettext_lazy("以货抵债方案已提出，将纳入化解方案由各方确认。"))


@require_POST
@member_page(permission=DEBT)
def member_goods_order(request, settlement_id):
    settlement = GoodsSettlement.objects.filter(pk=settlement_id).first()
    if settlement is None:
        raise Http404
    case = _member_case(request, settlement.case_id)
    run_and_report(request, lambda: cases.place_goods_order(by=request.user, settlement_id=settlement.pk),
                   _("抵债订单已生成，等待债务人发货；签收后自动抵减债务。"))
    return redirect("member-debt:case", case.pk)


@require_POST
@member_page(permission=DEBT)
def member_instalment_payment(request, instalment_id):
    case_id = Instalment.objects.filter(pk=instalment_id).values_list("plan__case_id", flat=True).first()
    if case_id is None:
        raise Http404
    case = _member_case(request, case_id)
    run_and_report(request, lambda: cases.record_instalment_payment(
        by=request.user, instalment_id=instalment_id, amount=request.POST.get("amount", ""),
        paid_on=request.POST.get("paid_on", ""), note=request.POST.get("note", "")), _("已确认收到还款。"))
    return redirect("member-debt:case", case.pk)


@login_required
def case_document_file(request, document_id):
    """A case document, to the case's parties (DEBT permission) and case staff only."""
    document = cases.document_for(user=request.user, document_id=document_id)
    if document is None:
        raise Http404
    try:
        stored = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(stored, content_type=document.content_type, filename=document.original_name,
                        as_attachment=request.GET.get("download") == "1")


# --- back office ---------------------------------------------------------------------------------------

@staff_required(*READ_STAFF)
def staff_cases(request):
    from accounts.models import User

    stage = request.GET.get("stage", "")
    stage = stage if stage in DebtCase.Stage.values else ""
    assignee_param = request.GET.get("assignee", "")
    assignee = None
    if assignee_param == "me":
        assignee = request.user
    elif assignee_param == "none":
        assignee = "none"
    elif parse_id(assignee_param):
        assignee = User.objects.filter(pk=parse_id(assignee_param), is_staff=True).first()
    overdue = request.GET.get("overdue") == "1"
    queue = cases.staff_case_queue(stage=stage, assignee=assignee, overdue=overdue)
    page = Paginator(queue, 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/debt/cases.html", {
        "page": page, "stage": stage, "assignee": assignee_param, "overdue": overdue,
        "stages": DebtCase.Stage.choices,
    })


@staff_required(*READ_STAFF)
def staff_case(request, case_id):
    try:
        case = cases.case_for_staff(user=request.user, case_id=case_id)
    except NotFound:
        raise Http404 from None
    context = _case_context(case)
    context.update({
        "is_legal": has_staff_role(request.user, StaffRole.LEGAL),
        "is_finance": has_staff_role(request.user, StaffRole.FINANCE),
        "next_stage": cases.NEXT_STAGE.get(case.stage),
        "next_stage_label": DebtCase.Stage(cases.NEXT_STAGE[case.stage]).label if case.stage in cases.NEXT_STAGE
        else "",
        "debtor_products": [(claim, _published(claim.debtor_company)) for claim in context["claims"]
                            if claim.debtor_company is not None and claim.creditor_company is not None],
        "goods_rows": range(GOODS_ROWS), "area": "staff",
    })
    return render(request, "backoffice/debt/cases_detail.html", context)


def _staff_post(service, success, roles=(StaffRole.LEGAL,)):
    @require_POST
    @staff_required(*roles)
    def view(request, case_id):
        if not DebtCase.objects.filter(pk=case_id).exists():
            raise Http404
        run_and_report(request, lambda: service(request, case_id), success)
        return redirect("backoffice-debt:case", case_id)

    return view


def _sub_post(model, service, success, roles=(StaffRole.LEGAL,), case_field="case_id"):
    """A POST on a guarantee / plan / settlement / instalment, redirecting to its case."""

    @require_POST
    @staff_required(*roles)
    def view(request, object_id):
        case_id = model.objects.filter(pk=object_id).values_list(case_field, flat=True).first()
        if case_id is None:
            raise Http404
        run_and_report(request, lambda: service(request, object_id), success)
        return redirect("backoffice-debt:case", case_id)

    return view


staff_take = _staff_post(lambda r, pk: cases.take_case(by=r.user, case_id=pk), gettext_lazy("已受理，您是承办人。"))
staff_advance = _staff_post(lambda r, pk: cases.advance_case(by=r.user, case_id=pk, reason=r.POST.get("reason", "")),
                            gettext_lazy("案件已推进到下一阶段。"))
staff_close = _staff_post(lambda r, pk: cases.close_case_failed(by=r.user, case_id=pk,
                                                                reason=r.POST.get("reason", "")),
                          gettext_lazy("案件已以“未化解”结案。"))
staff_plan = _staff_post(lambda r, pk: cases.update_plan(by=r.user, case_id=pk, plan_text=r.POST.get("plan_text", "")),
                         gettext_lazy("方案已保存。"))
staff_guarantee = _staff_post(lambda r, pk: cases.propose_guarantee(
    by=r.user, case_id=pk, limit=r.POST.get("limit", ""), fee_rate=r.POST.get("fee_rate", ""),
    claim_id=r.POST.get("claim") or None, note=r.POST.get("note", "")), gettext_lazy("担保已纳入方案。"))
staff_document = _staff_post(lambda r, pk: cases.add_document(
    by=r.user, case_id=pk, upload=r.FILES.get("document"), note=r.POST.get("note", "")), gettext_lazy("材料已上传。"))


def _schedule_rows(post):
    rows = []
    for due, amount in zip(post.getlist("schedule_due"), post.getlist("schedule_amount"), strict=False):
        if due.strip() or amount.strip():
            rows.append((due, amount))
    return rows


staff_instalment_plan = _staff_post(lambda r, pk: cases.create_instalment_plan(
    by=r.user, case_id=pk, claim_id=r.POST.get("claim"), total=r.POST.get("total") or None,
    count=r.POST.get("count"), first_due=r.POST.get("first_due"), schedule=_schedule_rows(r.POST)),
    gettext_lazy("分期还款计划已纳入方案。"))
staff_goods = _staff_post(lambda r, pk: cases.propose_goods_settlement(
    by=r.user, case_id=pk, claim_id=r.POST.get("claim"), lines=_goods_lines(r.POST)),
    gettext_lazy("以货抵债已纳入方案。"))
staff_guarantee_cancel = _sub_post(Guarantee, lambda r, pk: cases.cancel_guarantee(by=r.user, guarantee_id=pk),
                                   gettext_lazy("担保已从方案中取消。"))
staff_guarantee_call = _sub_post(Guarantee, lambda r, pk: cases.call_guarantee(
    by=r.user, guarantee_id=pk, amount=r.POST.get("amount", ""), reason=r.POST.get("reason", "")),
    gettext_lazy("已记录担保代偿。"))
staff_plan_cancel = _sub_post(InstalmentPlan, lambda r, pk: cases.cancel_instalment_plan(by=r.user, plan_id=pk),
                              gettext_lazy("分期计划已取消。"))
staff_goods_cancel = _sub_post(GoodsSettlement, lambda r, pk: cases.cancel_goods_settlement(
    by=r.user, settlement_id=pk, reason=r.POST.get("reason", "")), gettext_lazy("以货抵债已取消。"))
staff_goods_sync = _sub_post(GoodsSettlement, lambda r, pk: cases.sync_goods_settlement(settlement_id=pk),
                             gettext_lazy("已按订单状态更新。"), roles=READ_STAFF)
staff_instalment_payment = _sub_post(Instalment, lambda r, pk: cases.record_instalment_payment(
    by=r.user, instalment_id=pk, amount=r.POST.get("amount", ""), paid_on=r.POST.get("paid_on", ""),
    note=r.POST.get("note", "")), gettext_lazy("还款已登记。"), roles=(StaffRole.FINANCE,), case_field="plan__case_id")


@staff_required(StaffRole.FINANCE, StaffRole.LEGAL)
def staff_overdue_instalments(request):
    page = Paginator(cases.overdue_instalments(), 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/debt/cases_overdue_instalments.html", {"page": page})


member_urlpatterns = [
    path("cases/", member_cases, name="cases"),
    path("cases/new/", member_case_new, name="case-new"),
    path("cases/<int:case_id>/", member_case, name="case"),
    path("cases/<int:case_id>/withdraw/", member_withdraw, name="case-withdraw"),
    path("cases/<int:case_id>/confirm/", member_confirm, name="case-confirm"),
    path("cases/<int:case_id>/reject/", member_reject, name="case-reject"),
    path("cases/<int:case_id>/documents/", member_document, name="case-document"),
    path("cases/<int:case_id>/goods/", member_goods, name="case-goods"),
    path("cases/goods/<int:settlement_id>/order/", member_goods_order, name="case-goods-order"),
    path("cases/instalments/<int:instalment_id>/payment/", member_instalment_payment, name="case-instalment-payment"),
    path("cases/documents/<int:document_id>/", case_document_file, name="case-document-file"),
]

backoffice_urlpatterns = [
    path("cases/", staff_cases, name="cases"),
    path("cases/overdue-instalments/", staff_overdue_instalments, name="overdue-instalments"),
    path("cases/<int:case_id>/", staff_case, name="case"),
    path("cases/<int:case_id>/take/", staff_take, name="case-take"),
    path("cases/<int:case_id>/advance/", staff_advance, name="case-advance"),
    path("cases/<int:case_id>/close/", staff_close, name="case-close"),
    path("cases/<int:case_id>/plan/", staff_plan, name="case-plan"),
    path("cases/<int:case_id>/guarantees/", staff_guarantee, name="case-guarantee"),
    path("cases/<int:case_id>/instalment-plans/", staff_instalment_plan, name="case-instalment-plan"),
    path("cases/<int:case_id>/goods/", staff_goods, name="case-goods"),
    path("cases/<int:case_id>/documents/", staff_document, name="case-document"),
    path("cases/guarantees/<int:object_id>/cancel/", staff_guarantee_cancel, name="guarantee-cancel"),
    path("cases/guarantees/<int:object_id>/call/", staff_guarantee_call, name="guarantee-call"),
    path("cases/instalment-plans/<int:object_id>/cancel/", staff_plan_cancel, name="instalment-plan-cancel"),
    path("cases/goods/<int:object_id>/cancel/", staff_goods_cancel, name="goods-cancel"),
    path("cases/goods/<int:object_id>/sync/", staff_goods_sync, name="goods-sync"),
    path("cases/instalments/<int:object_id>/payment/", staff_instalment_payment, name="instalment-payment"),
    path("cases/documents/<int:document_id>/", case_document_file, name="case-document-file"),
]


# --- API -----------------------------------------------------------------------------------------------

class ClaimOutput(serializers.ModelSerializer):
    company = serializers.IntegerField(source="company_id", allow_null=True)
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        model = CaseClaim
        fields = ["id", "company", "name", "credit_code", "role", "amount", "settled_amount", "outstanding",
                  "due_date", "obligation"]


class GuaranteeOutput(serializers.ModelSerializer):
    class Meta:
        model = Guarantee
        fields = ["id", "claim", "limit", "fee_rate", "fee", "status", "called_amount", "activated_at", "ended_at"]


class GoodsSettlementOutput(serializers.ModelSerializer):
    debtor = serializers.CharField(source="debtor.name")
    creditor = serializers.CharField(source="creditor.name")
    order = serializers.CharField(source="order.number", allow_null=True, default=None)

    class Meta:
        model = GoodsSettlement
        fields = ["id", "claim", "debtor", "creditor", "agreed_total", "status", "order", "settled_at"]


class CaseOutput(serializers.ModelSerializer):
    applicant = serializers.CharField(source="applicant.name")
    claims = ClaimOutput(many=True)
    guarantees = GuaranteeOutput(many=True)
    goods_settlements = GoodsSettlementOutput(many=True)

    class Meta:
        model = DebtCase
        fields = ["id", "number", "applicant", "desired_outcome", "description", "stage", "stage_deadline",
                  "plan_text", "plan_version", "submitted_at", "closed_at", "claims", "guarantees",
                  "goods_settlements"]


class InstalmentOutput(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="plan_id")
    plan_status = serializers.CharField(source="plan.status")
    claim = serializers.IntegerField(source="plan.claim_id")

    class Meta:
        model = Instalment
        fields = ["id", "plan", "plan_status", "claim", "sequence", "due_date", "amount", "paid_amount", "status",
                  "paid_on"]


def _api_cases(request):
    company = caller_company(request)
    return cases.cases_for_company(company=company).prefetch_related(
        "claims", "guarantees", Prefetch("goods_settlements",
                                         queryset=GoodsSettlement.objects.select_related("debtor", "creditor",
                                                                                         "order")))


def _api_case(request, case_id):
    case = _api_cases(request).filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("未找到该债务案件。"))
    return case


class DebtScoped:
    """Every case endpoint needs the `debt` scope (the key's creator the DEBT permission), reads included."""

    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = DEBT
    permission_for_reads = True


class CaseListView(DebtScoped, ApiListView):
    """The caller's company's cases (submitted or as a counterparty), newest first. POST submits
    a case: counterparties (platform companies by credit code or exact name, or off-platform ones
    with a valid credit code), each with role relative to the caller, amount and due date."""

    serializer_class = CaseOutput

    class ClaimInput(serializers.Serializer):
        name = serializers.CharField(required=False, allow_blank=True, max_length=120)
        credit_code = serializers.CharField(required=False, allow_blank=True, max_length=18)
        role = serializers.ChoiceField(choices=CaseClaim.Role.choices,
                                       help_text="debtor: the counterparty owes the caller; creditor: the caller "
                                                 "owes the counterparty.")
        amount = serializers.DecimalField(max_digits=15, decimal_places=2)
        due_date = serializers.DateField()
        obligation = serializers.IntegerField(required=False, allow_null=True,
                                              help_text="A registered obligation between the caller and this "
                                                        "counterparty, confirmed by its debtor: what the case "
                                                        "recovers comes off it.")

    class SubmitInput(serializers.Serializer):
        claims = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=cases.MAX_CLAIMS)
        desired_outcome = serializers.ChoiceField(choices=DebtCase.Outcome.choices)
        description = serializers.CharField(max_length=5000)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DebtCase.objects.none()
        return _api_cases(self.request)

    @extend_schema(request=SubmitInput, responses={201: CaseOutput})
    def post(self, request):
        payload = self.SubmitInput(data=request.data)
        payload.is_valid(raise_exception=True)
        rows = [self.ClaimInput(data=row) for row in payload.validated_data["claims"]]
        if not all(row.is_valid() for row in rows):
            raise serializers.ValidationError({"claims": [row.errors for row in rows]})
        case = cases.submit_case(by=request.user, claims=[row.validated_data for row in rows],
                                 desired_outcome=payload.validated_data["desired_outcome"],
                                 description=payload.validated_data["description"])
        return Response(CaseOutput(_api_case(request, case.pk)).data, status=status.HTTP_201_CREATED)


class CaseDetailView(DebtScoped, ApiRetrieveView):
    serializer_class = CaseOutput
    lookup_url_kwarg = "case_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DebtCase.objects.none()
        return _api_cases(self.request)


class PlanConfirmView(DebtScoped, ApiView):
    """Confirm the plan under negotiation for the caller's company; when every platform party has
    confirmed, the case enters execution."""

    @extend_schema(request=None, responses=CaseOutput)
    def post(self, request, case_id):
        case = _api_case(request, case_id)
        cases.confirm_plan(by=request.user, case_id=case.pk)
        return Response(CaseOutput(_api_case(request, case.pk)).data)


class PlanRejectView(DebtScoped, ApiView):
    """Reject the plan under negotiation with a reason: the case goes back to plan design."""

    class RejectInput(serializers.Serializer):
        reason = serializers.CharField(max_length=1000)

    @extend_schema(request=RejectInput, responses=CaseOutput)
    def post(self, request, case_id):
        payload = self.RejectInput(data=request.data)
        payload.is_valid(raise_exception=True)
        case = _api_case(request, case_id)
        cases.reject_plan(by=request.user, case_id=case.pk, reason=payload.validated_data["reason"])
        return Response(CaseOutput(_api_case(request, case.pk)).data)


class CaseInstalmentsView(DebtScoped, ApiView):
    """Every instalment of the case's instalment plans, by plan and sequence."""

    @extend_schema(responses=InstalmentOutput(many=True))
    def get(self, request, case_id):
        case = _api_case(request, case_id)
        instalments = Instalment.objects.filter(plan__case=case).select_related("plan").order_by("plan_id",
                                                                                                 "sequence")
        return Response(InstalmentOutput(instalments, many=True).data)


api_urlpatterns = [
    path("debt/cases/", CaseListView.as_view(), name="api-debt-cases"),
    path("debt/cases/<int:case_id>/", CaseDetailView.as_view(), name="api-debt-case"),
    path("debt/cases/<int:case_id>/plan/confirm/", PlanConfirmView.as_view(), name="api-debt-case-confirm"),
    path("debt/cases/<int:case_id>/plan/reject/", PlanRejectView.as_view(), name="api-debt-case-reject"),
    path("debt/cases/<int:case_id>/instalments/", CaseInstalmentsView.as_view(), name="api-debt-case-instalments"),
]


def register():
    """Back-office work queues, schedules and audit labels of this part (called from DebtConfig.ready)."""
    from core.audit import describe_actions
    from core.backoffice import register_queue
    from core.schedules import register_schedule

    register_queue(key="debt.cases", label=gettext_lazy("待处理的债务案件"), url_name="backoffice-debt:cases",
                   count=cases.cases_needing_attention_count, roles=(StaffRole.LEGAL,))
    register_queue(key="debt.overdue_instalments", label=gettext_lazy("逾期的分期还款"),
                   url_name="backoffice-debt:overdue-instalments", count=lambda: cases.overdue_instalments().count(),
                   roles=(StaffRole.FINANCE,))
    register_schedule(name="debt.remind_due_instalments", task="debt.tasks_cases.remind_due_instalments",
                      crontab={"minute": "0", "hour": "8"},
                      description=gettext_lazy("每天 08:00 提醒即将到期和逾期的分期还款，并处理违约"))
    register_schedule(name="debt.sync_goods_settlements", task="debt.tasks_cases.sync_goods_settlements",
                      crontab={"minute": "*/15"},
                      description=gettext_lazy("每 15 分钟按订单状态更新以货抵债（签收后抵减债务）"))
    describe_actions({
        "debt.case.submit": gettext_lazy("提交债务案件"), "debt.case.stage": gettext_lazy("案件阶段"),
        "debt.case.assign": gettext_lazy("承办人"), "debt.case.document": gettext_lazy("上传案件材料"),
        "debt.case.plan": gettext_lazy("修改化解方案"), "debt.case.plan_confirm": gettext_lazy("确认化解方案"),
        "debt.case.plan_reject": gettext_lazy("拒绝化解方案"), "debt.guarantee.propose": gettext_lazy("提出平台担保"),
        "debt.guarantee.status": gettext_lazy("担保状态"), "debt.guarantee.call": gettext_lazy("担保代偿"),
        "debt.instalment_plan.create": gettext_lazy("制定分期计划"),
        "debt.instalment_plan.status": gettext_lazy("分期计划状态"),
        "debt.instalment.payment": gettext_lazy("登记分期还款"), "debt.instalment.overdue": gettext_lazy("分期逾期"),
        "debt.goods.propose": gettext_lazy("提出以货抵债"), "debt.goods.status": gettext_lazy("以货抵债状态"),
    }, values={
        "debt.case.stage": DebtCase.Stage, "debt.guarantee.status": Guarantee.Status,
        "debt.instalment_plan.status": InstalmentPlan.Status, "debt.goods.status": GoodsSettlement.Status,
        "debt.instalment.overdue": Instalment.Status,
    })
