"""Debt-resolution cases (债务化解): services (writes) and selectors (reads).

Who may do what, in one place:
- a company member with the DEBT permission, for a verified company, submits a case, withdraws
  it before execution, adds documents, and — when the company is a party on the platform —
  confirms or rejects the plan under negotiation;
- legal staff (法务合规) take a case, design the plan (text, guarantee, instalment plans, goods
  settlements), advance and close it; finance staff (or the creditor party) record instalment
  payments;
- another company's case is a 404, never a 403.

Every change is audited with the case as subject, so the case's history is its audit events.
Stage moves go through `debt.case_states.case_transition`.
"""

import calendar
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from accounts.documents import validate_document
from accounts.models import Company
from accounts.rules import Activity
from accounts.services import notify_company
from accounts.validators import is_valid_credit_code
from catalog.models import Product
from core import audit
from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.inputs import clean_text, parse_id, parse_money
from core.models import AuditEvent
from core.money import ZERO, to_money
from core.permissions import CompanyPermission, StaffRole, has_staff_role
from debt.case_states import CLOSED, case_transition
from debt.models import (
    CaseClaim,
    CaseDocument,
    CaseSettings,
    DebtCase,
    GoodsSettlement,
    GoodsSettlementLine,
    Guarantee,
    Instalment,
    InstalmentPayment,
    InstalmentPlan,
    Obligation,
    PlanDecision,
)
from debt.obligations import recover_through_case

S = DebtCase.Stage
G = Guarantee.Status
P = InstalmentPlan.Status
I = Instalment.Status  # noqa: E741
GS = GoodsSettlement.Status

CASE_STAFF = (StaffRole.LEGAL,)
PAYMENT_STAFF = (StaffRole.FINANCE,)
READ_STAFF = (StaffRole.LEGAL, StaffRole.FINANCE, StaffRole.CUSTOMER_SERVICE)
WITHDRAWABLE = {S.SUBMITTED, S.ASSESSMENT, S.PLAN_DESIGN, S.NEGOTIATION}
MAX_CLAIMS = 50
MAX_INSTALMENTS = 120
GOODS_REASON = "以货抵债"
# What the staff "advance" button moves a case to; submitted is taken, negotiation moves by the parties.
NEXT_STAGE = {S.ASSESSMENT: S.PLAN_DESIGN, S.PLAN_DESIGN: S.NEGOTIATION, S.EXECUTION: S.MONITORING,
              S.MONITORING: S.CLOSED_RESOLVED}


# --- parsing ---------------------------------------------------------------------------------------

def _invalid(field, message, code):
    return BusinessRuleError(message, code=code, details={field: message})


def parse_amount(value, field="amount", *, allow_zero=False):
    """A positive (or, when allowed, zero) amount in CNY (`core.inputs.parse_money`)."""
    amount = parse_money(value, field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise _invalid(field, _("请输入大于 0 的金额。"), "invalid_amount")
    if amount >= Decimal("1e13"):
        raise _invalid(field, _("金额过大。"), "invalid_amount")
    return amount


def parse_date(value, field="due_date"):
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        day = None
    # Schedules run months past a date: keep to years a debt can have, so no date overflows.
    if day is None or not 1990 <= day.year <= 2100:
        raise _invalid(field, _("请输入有效日期（YYYY-MM-DD）。"), "invalid_date")
    return day


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- who acts ----------------------------------------------------------------------------------------

def party_company_ids(case) -> set:
    """The companies on the platform that are parties: the applicant and linked counterparties."""
    ids = {case.applicant_id}
    ids.update(company_id for company_id in case.claims.values_list("company_id", flat=True) if company_id)
    return ids


def _membership_for(user, case, *, write):
    """The user's DEBT membership for a party of `case`; another company's case is a 404."""
    membership = rules.ensure_member_may(user, CompanyPermission.DEBT)
    if membership.company_id not in party_company_ids(case):
        raise NotFound(_("未找到该债务案件。"))
    if write:
        rules.ensure_company_may(membership.company, Activity.DEBT)
    return membership


def _ensure_staff(user, roles):
    if not has_staff_role(user, *roles):
        raise NotAllowed(_("只有%(roles)s可以进行此操作。") % {
            "roles": "、".join(str(StaffRole(role).label) for role in roles)}, code="staff_only")


def _locked_case(case_id) -> DebtCase:
    case = DebtCase.objects.select_for_update(of=("self",)).select_related("applicant").filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("未找到该债务案件。"))
    return case


def _ensure_stage(case, stages, message):
    if case.stage not in stages:
        raise Conflict(message % {"stage": case.get_stage_display()} if "%(stage)s" in message else message,
                       code="wrong_stage")


def _record(*, actor, action, case, before="", after="", reason="", data=None):
    return audit.record(actor=actor, action=action, subject=case, company=case.applicant, before=before, after=after,
                        reason=reason, data=data)


def member_case_link(case):
    return reverse("member-debt:case", args=[case.pk])


def _notify_parties(case, *, key, title, body="", exclude=None):
    for company in Company.objects.filter(pk__in=party_company_ids(case)).exclude(pk=exclude):
        notify_company(company, kind="debt.case", key=f"debt-case:{case.pk}:{key}", title=title, body=body,
                       link=member_case_link(case), permission=CompanyPermission.DEBT)


def _notify_assignee(case, *, key, title, body=""):
    from core.notifications import notify

    if case.assignee_id and case.assignee.is_active:
        notify(recipient=case.assignee, kind="debt.case", key=f"debt-case:{case.pk}:{key}", title=title, body=body,
               link=reverse("backoffice-debt:case", args=[case.pk]))


# --- selectors ---------------------------------------------------------------------------------------

def cases_for_company(*, company):
    """Cases the company submitted or is a platform counterparty in, newest first."""
    counterparty = CaseClaim.objects.filter(case=OuterRef("pk"), company=company)
    return (DebtCase.objects.filter(Q(applicant=company) | Exists(counterparty)).select_related("applicant")
            .order_by("-submitted_at", "-id"))


def case_for_member(*, user, case_id) -> DebtCase:
    """A case the member's company is a party to (DEBT permission); anything else is a 404."""
    membership = rules.ensure_member_may(user, CompanyPermission.DEBT)
    case = cases_for_company(company=membership.company).filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("未找到该债务案件。"))
    return case


def case_for_staff(*, user, case_id) -> DebtCase:
    _ensure_staff(user, READ_STAFF)
    case = DebtCase.objects.select_related("applicant", "assignee").filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("未找到该债务案件。"))
    return case


def overdue_q(now=None):
    now = now or timezone.now()
    return Q(stage_deadline__lt=now) & ~Q(stage__in=CLOSED)


def staff_case_queue(*, stage="", assignee=None, overdue=False, open_only=True, now=None):
    """The legal queue: open cases (or one stage), major clients first, then oldest first."""
    from crm.priority import major_clients_first

    cases = DebtCase.objects.select_related("applicant", "assignee")
    if stage:
        cases = cases.filter(stage=stage)
    elif open_only:
        cases = cases.exclude(stage__in=CLOSED)
    if assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif assignee is not None:
        cases = cases.filter(assignee=assignee)
    if overdue:
        cases = cases.filter(overdue_q(now))
    return major_clients_first(cases, "applicant", "stage_deadline", "submitted_at")


def cases_needing_attention_count():
    """For the dashboard: cases nobody has taken yet, and open cases past their stage deadline."""
    return DebtCase.objects.filter(Q(stage=S.SUBMITTED) | overdue_q()).count()


def overdue_instalments():
    return (Instalment.objects.filter(status=I.OVERDUE, plan__status=P.ACTIVE)
            .select_related("plan__case__applicant", "plan__claim").order_by("due_date", "pk"))


def case_history(case):
    """The case's audit events (every stage move and plan change), oldest first."""
    return AuditEvent.objects.filter(subject_type=ContentType.objects.get_for_model(DebtCase),
                                     subject_id=str(case.pk)).order_by("occurred_at", "id")


def case_outstanding(case):
    totals = case.claims.aggregate(amount=Sum("amount"), settled=Sum("settled_amount"))
    return (totals["amount"] or ZERO) - (totals["settled"] or ZERO)


def plan_parties(case):
    """Platform companies that must confirm the current plan, each with its decision (or None)."""
    decisions = {decision.company_id: decision for decision in
                 case.decisions.filter(plan_version=case.plan_version).select_related("decided_by")}
    companies = Company.objects.filter(pk__in=party_company_ids(case)).order_by("pk")
    return [(company, decisions.get(company.pk)) for company in companies]


def claim_uncommitted(claim, *, exclude_plan=None, exclude_settlement=None):
    """What of a claim is neither settled nor already promised by a live plan or goods settlement."""
    plans = claim.instalment_plans.filter(status__in=[P.PROPOSED, P.ACTIVE])
    if exclude_plan is not None:
        plans = plans.exclude(pk=exclude_plan)
    promised = ZERO
    for plan in plans:
        paid = plan.instalments.aggregate(paid=Sum("paid_amount"))["paid"] or ZERO
        promised += plan.total - paid
    goods = claim.goods_settlements.filter(status__in=[GS.PROPOSED, GS.ORDERED, GS.DELIVERED])
    if exclude_settlement is not None:
        goods = goods.exclude(pk=exclude_settlement)
    promised += goods.aggregate(total=Sum("agreed_total"))["total"] or ZERO
    return claim.amount - claim.settled_amount - promised


# --- submission, withdrawal, documents ---------------------------------------------------------------

def _next_case_id():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [DebtCase._meta.db_table])
        return cursor.fetchone()[0]


def _resolve_counterparty(row, index, applicant):
    """A platform company picked by credit code or exact name, or an off-platform one with a valid code."""
    name = (row.get("name") or "").strip()
    code = (row.get("credit_code") or "").strip().upper()
    field = f"claims-{index}"
    if not name and not code:
        raise _invalid(f"{field}-name", _("第 %(n)s 行：请填写对方企业名称或统一社会信用代码。") % {"n": index + 1},
                       "counterparty_required")
    company = None
    live = Company.objects.exclude(status=Company.Status.DEREGISTERED)
    if code:
        company = live.filter(unified_social_credit_code=code).first()
    if company is None and name:
        named = list(live.filter(name=name)[:2])
        company = named[0] if len(named) == 1 else None
    if company is not None:
        if company.pk == applicant.pk:
            raise _invalid(f"{field}-name", _("第 %(n)s 行：对方不能是本企业。") % {"n": index + 1}, "own_company")
        return company, company.name, company.unified_social_credit_code
    if not name:
        raise _invalid(f"{field}-name", _("第 %(n)s 行：平台上没有该信用代码的企业，请填写对方企业名称。") % {
            "n": index + 1}, "counterparty_name_required")
    if not is_valid_credit_code(code):
        raise _invalid(f"{field}-credit_code", _(
            "第 %(n)s 行：“%(name)s”不是平台企业，请填写其有效的统一社会信用代码（18 位）。") % {
            "n": index + 1, "name": name}, "invalid_credit_code")
    if code == applicant.unified_social_credit_code:
        raise _invalid(f"{field}-credit_code", _("第 %(n)s 行：对方不能是本企业。") % {"n": index + 1}, "own_company")
    return None, name[:120], code


def linkable_obligations(*, company):
    """The confirmed obligations the company is a party to, for a case's claims to name."""
    return Obligation.objects.filter(Q(debtor=company) | Q(creditor=company), status=Obligation.Status.CONFIRMED,
                                     outstanding__gt=0).select_related("debtor", "creditor").order_by("-pk")[:200]


def _linked_obligation(value, index, *, applicant, company, role, amount):
    """The registered obligation (债务登记) a claim is about, when the applicant names one: between
    the applicant and that platform counterparty in the claim's direction, confirmed by its debtor,
    owing at least the claim, and in no other open case. What the case recovers then comes off it
    (`obligations.recover_through_case`)."""
    if value in (None, ""):
        return None
    field = f"claims-{index}-obligation"
    debtor, creditor = (company, applicant) if role == CaseClaim.Role.DEBTOR else (applicant, company)
    obligation = Obligation.objects.select_for_update().filter(pk=parse_id(value)).first() if company else None
    if obligation is None or (obligation.debtor_id, obligation.creditor_id) != (debtor.pk, creditor.pk):
        raise _invalid(field, _("第 %(n)s 行：所选债务须是贵司与该对方之间、方向一致的登记债务。") % {"n": index + 1},
                       "obligation_mismatch")
    if obligation.status != Obligation.Status.CONFIRMED:
        raise _invalid(field, _("第 %(n)s 行：只能关联债务人已确认、尚未结清的债务。") % {"n": index + 1},
                       "obligation_not_confirmed")
    if amount > obligation.outstanding:
        raise _invalid(field, _("第 %(n)s 行：金额超过该债务未清偿的 %(outstanding)s 元。") % {
            "n": index + 1, "outstanding": obligation.outstanding}, "over_obligation")
    open_case = CaseClaim.objects.filter(obligation=obligation).exclude(case__stage__in=CLOSED).values_list(
        "case__number", flat=True).first()
    if open_case:
        raise _invalid(field, _("第 %(n)s 行：该债务已在案件 %(case)s 中处理。") % {"n": index + 1, "case": open_case},
                       "obligation_in_case")
    return obligation


def _store_document(*, case, upload, by, company, note=""):
    try:
        content_type = validate_document(upload)
    except ValidationError as error:
        raise _invalid("documents", error.messages[0], error.code or "invalid_document") from None
    document = CaseDocument(case=case, company=company, original_name=(upload.name or "document")[:200],
                            content_type=content_type, size=upload.size, note=(note or "").strip()[:300],
                            uploaded_by=by)
    document.file.save(upload.name or "document", upload, save=False)
    document.save()
    return document


@transaction.atomic
def submit_case(*, by, claims, desired_outcome, description, documents=()) -> DebtCase:
    """A member with the DEBT permission of a verified company submits a case: at least one
    counterparty (a platform company picked by credit code or name, or an off-platform company
    with a valid credit code), each with a role, a positive amount and a due date; a desired
    outcome and a description; evidence files (PDF/JPEG/PNG, ≤10 MB). Legal staff must take it
    within the submitted stage's deadline."""
    membership = rules.ensure_member_may(by, CompanyPermission.DEBT)
    applicant = membership.company
    rules.ensure_company_may(applicant, Activity.DEBT)
    if desired_outcome not in DebtCase.Outcome.values:
        raise _invalid("desired_outcome", _("请选择期望的化解方式。"), "invalid_outcome")
    description = clean_text(description, "description", label=_("案情说明"), max_length=5000)
    claims = list(claims or [])
    if not claims:
        raise _invalid("claims", _("请至少填写一个债权债务对方。"), "claims_required")
    if len(claims) > MAX_CLAIMS:
        raise _invalid("claims", _("一个案件最多 %(n)s 个对方。") % {"n": MAX_CLAIMS}, "too_many_claims")
    resolved = []
    for index, row in enumerate(claims):
        company, name, code = _resolve_counterparty(row, index, applicant)
        role = row.get("role")
        if role not in CaseClaim.Role.values:
            raise _invalid(f"claims-{index}-role", _("第 %(n)s 行：请选择对方是债务人还是债权人。") % {"n": index + 1},
                           "invalid_role")
        amount = parse_amount(row.get("amount"), f"claims-{index}-amount")
        due_date = parse_date(row.get("due_date"), f"claims-{index}-due_date")
        obligation = _linked_obligation(row.get("obligation"), index, applicant=applicant, company=company, role=role,
                                        amount=amount)
        if obligation is not None and any(earlier["obligation"] == obligation for earlier in resolved):
            raise _invalid(f"claims-{index}-obligation", _("第 %(n)s 行：同一笔登记的债务只能关联一次。") % {
                "n": index + 1}, "obligation_in_case")
        resolved.append({"company": company, "name": name, "credit_code": code, "role": role, "amount": amount,
                         "due_date": due_date, "obligation": obligation})
    now = timezone.now()
    case_id = _next_case_id()
    from debt.case_states import stage_deadline

    case = DebtCase.objects.create(
        pk=case_id, number=f"DR-{timezone.localdate():%Y%m%d}-{case_id:04d}", applicant=applicant,
        submitted_by=by, desired_outcome=desired_outcome, description=description, stage=S.SUBMITTED,
        stage_entered_at=now, stage_deadline=stage_deadline(S.SUBMITTED, now), submitted_at=now,
    )
    CaseClaim.objects.bulk_create([CaseClaim(case=case, **row) for row in resolved])
    for upload in documents:
        _store_document(case=case, upload=upload, by=by, company=applicant)
    total = sum(row["amount"] for row in resolved)
    _record(actor=by, action="debt.case.submit", case=case, after=S.SUBMITTED,
            data={"number": case.number, "claims": len(resolved), "total": str(total)})
    _notify_parties(case, key="submitted", exclude=applicant.pk,
                    title=_("%(applicant)s 提交了与贵司有关的债务案件 %(number)s") % {
                        "applicant": applicant.name, "number": case.number},
                    body=_("平台法务将评估案件并设计化解方案，方案需各方确认。"))
    return case


@transaction.atomic
def withdraw_case(*, by, case_id, reason="") -> DebtCase:
    """The applicant withdraws its case before execution starts."""
    case = _locked_case(case_id)
    membership = _membership_for(by, case, write=True)
    if membership.company_id != case.applicant_id:
        raise NotAllowed(_("只有申请企业可以撤回案件。"), code="applicant_only")
    if case.stage not in WITHDRAWABLE:
        raise Conflict(_("案件已进入“%(stage)s”阶段，不能撤回。") % {"stage": case.get_stage_display()},
                       code="not_withdrawable")
    reason = clean_text(reason, "reason", label=_("撤回原因"), max_length=300, required=False)
    case = case_transition(case_id=case.pk, to=S.WITHDRAWN, actor=by, reason=reason or _("申请企业撤回"))
    _end_terms(case, by=by, resolved=False)
    _notify_parties(case, key="withdrawn", exclude=case.applicant_id,
                    title=_("债务案件 %(number)s 已被申请企业撤回") % {"number": case.number})
    _notify_assignee(case, key="withdrawn", title=_("债务案件 %(number)s 已被申请企业撤回") % {"number": case.number})
    return case


@transaction.atomic
def add_document(*, by, case_id, upload, note="") -> CaseDocument:
    """A party (DEBT permission) or legal staff adds a document to an open case."""
    case = _locked_case(case_id)
    company = None if has_staff_role(by, *CASE_STAFF) else _membership_for(by, case, write=True).company
    if not case.is_open:
        raise Conflict(_("案件已结束，不能再上传材料。"), code="case_closed")
    if upload is None:
        raise _invalid("document", _("请选择要上传的文件。"), "document_required")
    document = _store_document(case=case, upload=upload, by=by, company=company, note=note)
    _record(actor=by, action="debt.case.document", case=case, after=document.original_name,
            data={"document": document.pk})
    return document


def document_for(*, user, document_id):
    """A case document the user may read: case staff, or a party's DEBT member. None otherwise."""
    document = CaseDocument.objects.select_related("case").filter(pk=document_id).first()
    if document is None or not document.file:
        return None
    if has_staff_role(user, *READ_STAFF):
        return document
    try:
        case_for_member(user=user, case_id=document.case_id)
    except (NotFound, NotAllowed):
        return None
    return document


# --- staff: taking, advancing, closing --------------------------------------------------------------

@transaction.atomic
def take_case(*, by, case_id) -> DebtCase:
    """Legal staff take a submitted case (they become its assignee) and start the assessment; a
    case already in progress may be re-assigned to the taker."""
    _ensure_staff(by, CASE_STAFF)
    case = _locked_case(case_id)
    if not case.is_open:
        raise Conflict(_("案件已结束。"), code="case_closed")
    previous = case.assignee
    case.assignee = by
    case.save(update_fields=["assignee", "updated_at"])
    _record(actor=by, action="debt.case.assign", case=case, before=previous.display_name if previous else "",
            after=by.display_name)
    if case.stage == S.SUBMITTED:
        case = case_transition(case_id=case.pk, to=S.ASSESSMENT, actor=by, reason=_("法务受理"))
        _notify_parties(case, key="assessment", title=_("债务案件 %(number)s 已受理") % {"number": case.number},
                        body=_("平台法务正在进行初步评估。"))
    return case


@transaction.atomic
def advance_case(*, by, case_id, reason="") -> DebtCase:
    """Legal staff move a case to its next stage: assessment → plan design → negotiation (the
    plan must be written), execution → monitoring → resolved (every instalment plan finished,
    every goods settlement settled or cancelled). Negotiation moves on the parties' answers."""
    _ensure_staff(by, CASE_STAFF)
    case = _locked_case(case_id)
    to = NEXT_STAGE.get(case.stage)
    if to is None:
        raise Conflict(_("案件在“%(stage)s”阶段不能由承办人推进。") % {"stage": case.get_stage_display()},
                       code="not_advanceable")
    if to == S.NEGOTIATION:
        if not case.plan_text.strip():
            raise _invalid("plan_text", _("请先填写化解方案，再提交各方确认。"), "plan_required")
        case.plan_version += 1  # a fresh round of confirmations
        case.save(update_fields=["plan_version", "updated_at"])
    if to == S.CLOSED_RESOLVED:
        if case.instalment_plans.filter(status=P.ACTIVE).exists():
            raise Conflict(_("仍有执行中的分期还款计划，不能以“已化解”结案。"), code="plans_open")
        if case.goods_settlements.filter(status__in=[GS.ORDERED, GS.DELIVERED]).exists():
            raise Conflict(_("仍有未完成的以货抵债，不能以“已化解”结案。"), code="goods_open")
    case = case_transition(case_id=case.pk, to=to, actor=by, reason=(reason or "").strip()[:500])
    if to == S.NEGOTIATION:
        _notify_parties(case, key=f"negotiation:{case.plan_version}",
                        title=_("债务案件 %(number)s 的化解方案待您确认") % {"number": case.number},
                        body=_("请在会员中心查看方案并确认或拒绝。"))
    if to == S.CLOSED_RESOLVED:
        _end_terms(case, by=by, resolved=True)
        _notify_parties(case, key="closed", title=_("债务案件 %(number)s 已化解结案") % {"number": case.number})
    return case


@transaction.atomic
def close_case_failed(*, by, case_id, reason) -> DebtCase:
    """Legal staff close an open case as not resolved, with a reason; live terms end."""
    _ensure_staff(by, CASE_STAFF)
    reason = clean_text(reason, "reason", label=_("结案说明"), max_length=1000)
    case = _locked_case(case_id)
    case = case_transition(case_id=case.pk, to=S.CLOSED_FAILED, actor=by, reason=reason)
    case.outcome_note = reason
    case.save(update_fields=["outcome_note", "updated_at"])
    _end_terms(case, by=by, resolved=False)
    _notify_parties(case, key="closed", title=_("债务案件 %(number)s 已结案（未化解）") % {"number": case.number},
                    body=reason)
    return case


def _end_terms(case, *, by, resolved):
    """A closed case ends its terms: proposals are cancelled, active guarantees released, active
    instalment plans completed (resolved) or defaulted (failed)."""
    for guarantee in case.guarantees.select_for_update().filter(status__in=[G.PROPOSED, G.ACTIVE]):
        _guarantee_status(guarantee, G.RELEASED if guarantee.status == G.ACTIVE else G.CANCELLED, by=by, case=case)
    for plan in case.instalment_plans.select_for_update().filter(status__in=[P.PROPOSED, P.ACTIVE]):
        if plan.status == P.PROPOSED:
            _plan_status(plan, P.CANCELLED, by=by, case=case)
        else:
            _plan_status(plan, P.COMPLETED if resolved else P.DEFAULTED, by=by, case=case)
    for settlement in case.goods_settlements.select_for_update().filter(status=GS.PROPOSED):
        _settlement_status(settlement, GS.CANCELLED, by=by, case=case, reason=_("案件结束"))


# --- the plan and its negotiation -----------------------------------------------------------------

def _designing(by, case_id):
    _ensure_staff(by, CASE_STAFF)
    case = _locked_case(case_id)
    if case.stage != S.PLAN_DESIGN:
        raise Conflict(_("只有在“方案设计”阶段可以修改方案（当前：%(stage)s）。") % {"stage": case.get_stage_display()},
                       code="not_plan_design")
    return case


def _plan_changed(case):
    case.plan_version += 1
    case.save(update_fields=["plan_version", "updated_at"])


@transaction.atomic
def update_plan(*, by, case_id, plan_text) -> DebtCase:
    """Legal staff write the plan during plan design."""
    case = _designing(by, case_id)
    plan_text = clean_text(plan_text, "plan_text", label=_("化解方案"), max_length=10000)
    before = case.plan_text
    case.plan_text = plan_text
    case.save(update_fields=["plan_text", "updated_at"])
    _plan_changed(case)
    _record(actor=by, action="debt.case.plan", case=case, before=before[:200], after=plan_text[:200])
    return case


@transaction.atomic
def confirm_plan(*, by, case_id) -> DebtCase:
    """A platform party confirms the plan under negotiation; when every platform party has
    confirmed this version, the case enters execution (guarantees and instalment plans start)."""
    case = _locked_case(case_id)
    membership = _membership_for(by, case, write=True)
    _ensure_negotiating(case)
    _decide(case, membership.company, by, PlanDecision.Decision.CONFIRMED, "")
    audit.record(actor=by, action="debt.case.plan_confirm", subject=case, company=membership.company,
                 after=str(case.plan_version), data={"company": membership.company_id})
    confirmed = set(case.decisions.filter(plan_version=case.plan_version,
                                          decision=PlanDecision.Decision.CONFIRMED).values_list("company_id",
                                                                                                flat=True))
    if party_company_ids(case) <= confirmed:
        case = _start_execution(case, by=by)
    return case


def _ensure_negotiating(case):
    if case.stage != S.NEGOTIATION:
        raise Conflict(_("案件不在“协商确认”阶段（当前：%(stage)s）。") % {"stage": case.get_stage_display()},
                       code="not_negotiation")


def _decide(case, company, by, decision, reason):
    if case.decisions.filter(company=company, plan_version=case.plan_version).exists():
        raise Conflict(_("贵司已对当前方案表态。"), code="already_decided")
    PlanDecision.objects.create(case=case, company=company, plan_version=case.plan_version, decision=decision,
                                reason=reason, decided_by=by)


@transaction.atomic
def reject_plan(*, by, case_id, reason) -> DebtCase:
    """A platform party rejects the plan with a reason: the case goes back to plan design."""
    reason = clean_text(reason, "reason", label=_("拒绝理由"), max_length=1000)
    case = _locked_case(case_id)
    membership = _membership_for(by, case, write=True)
    _ensure_negotiating(case)
    _decide(case, membership.company, by, PlanDecision.Decision.REJECTED, reason)
    audit.record(actor=by, action="debt.case.plan_reject", subject=case, company=membership.company,
                 after=str(case.plan_version), reason=reason, data={"company": membership.company_id})
    case = case_transition(case_id=case.pk, to=S.PLAN_DESIGN, actor=by,
                           reason=_("%(company)s 拒绝方案：%(reason)s") % {"company": membership.company.name,
                                                                       "reason": reason})
    _notify_assignee(case, key=f"rejected:{case.plan_version}:{membership.company_id}",
                     title=_("债务案件 %(number)s 的方案被拒绝") % {"number": case.number}, body=reason)
    _notify_parties(case, key=f"rejected:{case.plan_version}", exclude=membership.company_id,
                    title=_("债务案件 %(number)s 的方案被一方拒绝，将重新设计") % {"number": case.number})
    return case


def _start_execution(case, *, by):
    case = case_transition(case_id=case.pk, to=S.EXECUTION, actor=by, reason=_("各方已确认方案"))
    now = timezone.now()
    for guarantee in case.guarantees.select_for_update().filter(status=G.PROPOSED):
        guarantee.activated_at = now
        _guarantee_status(guarantee, G.ACTIVE, by=by, case=case, extra=["activated_at"])
    for plan in case.instalment_plans.select_for_update().filter(status=P.PROPOSED):
        _plan_status(plan, P.ACTIVE, by=by, case=case)
    _notify_parties(case, key="execution", title=_("债务案件 %(number)s 方案已获各方确认，进入执行") % {
        "number": case.number})
    _notify_assignee(case, key="execution", title=_("债务案件 %(number)s 各方已确认方案") % {"number": case.number})
    return case


# --- guarantee ---------------------------------------------------------------------------------------

def _guarantee_status(guarantee, to, *, by, case, extra=(), reason=""):
    before = guarantee.status
    guarantee.status = to
    if to in (G.RELEASED, G.CALLED, G.CANCELLED):
        guarantee.ended_at = timezone.now()
        extra = [*extra, "ended_at"]
    guarantee.save(update_fields=["status", *extra])
    _record(actor=by, action="debt.guarantee.status", case=case, before=before, after=to, reason=reason,
            data={"guarantee": guarantee.pk})


def _claim_of(case, claim_id, *, required=True):
    if claim_id in (None, ""):
        if required:
            raise _invalid("claim", _("请选择对应的债务。"), "claim_required")
        return None
    try:
        claim = case.claims.select_for_update().filter(pk=int(claim_id)).first()
    except (TypeError, ValueError):
        claim = None
    if claim is None:
        raise _invalid("claim", _("该债务不属于本案件。"), "invalid_claim")
    return claim


@transaction.atomic
def propose_guarantee(*, by, case_id, limit, fee_rate, claim_id=None, note="") -> Guarantee:
    """Legal staff propose the platform's guarantee in plan design: a limit and a fee rate (%),
    the fee being limit × rate. It takes effect when the case enters execution."""
    case = _designing(by, case_id)
    claim = _claim_of(case, claim_id, required=False)
    limit = parse_amount(limit, "limit")
    try:
        rate = Decimal(str(fee_rate).strip()).quantize(Decimal("0.001"))
    except (InvalidOperation, ValueError, TypeError):
        rate = None
    if rate is None or not rate.is_finite() or rate < 0 or rate > 100:
        raise _invalid("fee_rate", _("费率应在 0 到 100（%）之间。"), "invalid_fee_rate")
    if claim is not None and limit > claim.outstanding:
        raise _invalid("limit", _("担保限额不能超过该债务未化解的金额 %(amount)s 元。") % {
            "amount": claim.outstanding}, "limit_too_high")
    guarantee = Guarantee.objects.create(case=case, claim=claim, limit=limit, fee_rate=rate,
                                         fee=to_money(limit * rate / 100), note=(note or "").strip()[:500],
                                         proposed_by=by)
    _plan_changed(case)
    _record(actor=by, action="debt.guarantee.propose", case=case, after=str(limit),
            data={"guarantee": guarantee.pk, "fee_rate": str(rate), "fee": str(guarantee.fee)})
    return guarantee


@transaction.atomic
def cancel_guarantee(*, by, guarantee_id) -> Guarantee:
    """Legal staff drop a proposed guarantee while the plan is being designed."""
    case_id = Guarantee.objects.filter(pk=guarantee_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    case = _designing(by, case_id)
    guarantee = case.guarantees.select_for_update().get(pk=guarantee_id)
    if guarantee.status != G.PROPOSED:
        raise Conflict(_("只有拟提供的担保可以取消。"), code="guarantee_not_proposed")
    _guarantee_status(guarantee, G.CANCELLED, by=by, case=case)
    _plan_changed(case)
    return guarantee


@transaction.atomic
def call_guarantee(*, by, guarantee_id, amount, reason) -> Guarantee:
    """The debtor defaulted: legal staff call the active guarantee for an amount up to its limit."""
    _ensure_staff(by, CASE_STAFF)
    case_id = Guarantee.objects.filter(pk=guarantee_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    case = _locked_case(case_id)
    guarantee = case.guarantees.select_for_update().get(pk=guarantee_id)
    if guarantee.status != G.ACTIVE:
        raise Conflict(_("只有担保中的担保可以代偿（当前：%(status)s）。") % {"status": guarantee.get_status_display()},
                       code="guarantee_not_active")
    amount = parse_amount(amount, "amount")
    if amount > guarantee.limit:
        raise _invalid("amount", _("代偿金额不能超过担保限额 %(limit)s 元。") % {"limit": guarantee.limit},
                       "over_limit")
    reason = clean_text(reason, "reason", label=_("代偿原因"), max_length=500)
    guarantee.called_amount = amount
    _guarantee_status(guarantee, G.CALLED, by=by, case=case, extra=["called_amount"], reason=reason)
    _record(actor=by, action="debt.guarantee.call", case=case, after=str(amount), reason=reason,
            data={"guarantee": guarantee.pk})
    _notify_parties(case, key=f"guarantee-called:{guarantee.pk}",
                    title=_("债务案件 %(number)s：平台担保已代偿 %(amount)s 元") % {
                        "number": case.number, "amount": amount})
    return guarantee


# --- instalment plans -------------------------------------------------------------------------------

def even_schedule(*, total, count, first_due):
    """`count` monthly instalments from `first_due` summing exactly to `total`: equal amounts in
    fen, the rounding difference on the last one."""
    total_fen = int(total * 100)
    base = total_fen // count
    schedule = []
    for index in range(count):
        fen = base if index < count - 1 else total_fen - base * (count - 1)
        schedule.append((add_months(first_due, index), (Decimal(fen) / 100).quantize(Decimal("0.01"))))
    return schedule


@transaction.atomic
def create_instalment_plan(*, by, case_id, claim_id, total=None, count=None, first_due=None,
                           schedule=None) -> InstalmentPlan:
    """Legal staff set an instalment plan for one claim in plan design: either `count` even
    monthly instalments of `total` from `first_due`, or an entered `schedule` of (due date,
    amount) whose amounts sum to the plan total. Due dates strictly increase; the plan total
    may not exceed what of the claim is not already settled or promised."""
    case = _designing(by, case_id)
    claim = _claim_of(case, claim_id)
    if schedule:
        rows = [(parse_date(due, f"schedule-{index}-due_date"), parse_amount(amount, f"schedule-{index}-amount"))
                for index, (due, amount) in enumerate(schedule)]
        entered_total = to_money(sum(amount for _due, amount in rows))
        if total not in (None, "") and parse_amount(total, "total") != entered_total:
            raise _invalid("schedule", _("各期金额合计 %(sum)s 元与计划总额 %(total)s 元不一致。") % {
                "sum": entered_total, "total": parse_amount(total, "total")}, "schedule_sum_mismatch")
        total = entered_total
    else:
        total = parse_amount(total, "total")
        try:
            count = int(count)
        except (TypeError, ValueError):
            count = 0
        if count < 1:
            raise _invalid("count", _("期数至少为 1。"), "invalid_count")
        if count > MAX_INSTALMENTS:
            raise _invalid("count", _("期数不能超过 %(n)s。") % {"n": MAX_INSTALMENTS}, "invalid_count")
        first_due = parse_date(first_due, "first_due")
        if Decimal(int(total * 100)) < count:
            raise _invalid("count", _("每期金额至少 0.01 元。"), "invalid_count")
        rows = even_schedule(total=total, count=count, first_due=first_due)
    if not rows:
        raise _invalid("schedule", _("请至少填写一期。"), "schedule_required")
    if len(rows) > MAX_INSTALMENTS:
        raise _invalid("schedule", _("期数不能超过 %(n)s。") % {"n": MAX_INSTALMENTS}, "invalid_count")
    if any(later <= earlier for (earlier, _a), (later, _b) in zip(rows, rows[1:], strict=False)):
        raise _invalid("schedule", _("各期到期日必须逐期递增。"), "schedule_not_increasing")
    if rows[0][0] < timezone.localdate():
        raise _invalid("schedule", _("第一期到期日不能早于今天。"), "schedule_in_past")
    available = claim_uncommitted(claim)
    if total > available:
        raise _invalid("total", _("分期总额不能超过该债务尚未化解或安排的金额 %(amount)s 元。") % {
            "amount": available}, "over_claim")
    plan = InstalmentPlan.objects.create(case=case, claim=claim, total=total, created_by=by)
    Instalment.objects.bulk_create([Instalment(plan=plan, sequence=index + 1, due_date=due, amount=amount)
                                    for index, (due, amount) in enumerate(rows)])
    _plan_changed(case)
    _record(actor=by, action="debt.instalment_plan.create", case=case, after=str(total),
            data={"plan": plan.pk, "claim": claim.pk, "instalments": len(rows)})
    return plan


@transaction.atomic
def cancel_instalment_plan(*, by, plan_id) -> InstalmentPlan:
    case_id = InstalmentPlan.objects.filter(pk=plan_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    case = _designing(by, case_id)
    plan = case.instalment_plans.select_for_update().get(pk=plan_id)
    if plan.status != P.PROPOSED:
        raise Conflict(_("只有拟定中的分期计划可以取消。"), code="plan_not_proposed")
    _plan_status(plan, P.CANCELLED, by=by, case=case)
    _plan_changed(case)
    return plan


def _plan_status(plan, to, *, by, case, reason=""):
    before = plan.status
    plan.status = to
    fields = ["status"]
    if to in (P.COMPLETED, P.DEFAULTED, P.CANCELLED):
        plan.ended_at = timezone.now()
        fields.append("ended_at")
        if to == P.CANCELLED:
            plan.instalments.exclude(status=I.PAID).update(status=I.CANCELLED)
    plan.save(update_fields=fields)
    _record(actor=by, action="debt.instalment_plan.status", case=case, before=before, after=to, reason=reason,
            data={"plan": plan.pk})


def _may_record_payment(by, case, claim):
    """Finance staff, or a DEBT member of the claim's creditor (on the platform)."""
    if has_staff_role(by, *PAYMENT_STAFF):
        return False
    membership = _membership_for(by, case, write=True)
    creditor = claim.creditor_company
    if creditor is None or membership.company_id != creditor.pk:
        raise NotAllowed(_("只有财务人员或债权人可以登记还款。"), code="creditor_or_finance_only")
    return True


def _settle_claim(claim, amount, *, by, reason):
    """What the case recovered on a claim (a payment, goods received): the claim's settled amount
    grows, and the registered obligation it names, if any, shrinks by as much."""
    CaseClaim.objects.filter(pk=claim.pk).update(settled_amount=F("settled_amount") + amount)
    if claim.obligation_id:
        recover_through_case(obligation_id=claim.obligation_id, amount=amount, by=by, reason=reason)


@transaction.atomic
def record_instalment_payment(*, by, instalment_id, amount, paid_on, note="") -> InstalmentPayment:
    """Finance staff (or the creditor party) record a payment against an instalment of an active
    plan: at most what remains of it, not in the future. A fully paid instalment is paid; the
    claim's settled amount grows; the plan completes when every instalment is paid."""
    found = Instalment.objects.filter(pk=instalment_id).values_list("plan__case_id", flat=True).first()
    if found is None:
        raise NotFound(_("未找到该分期。"))
    case = _locked_case(found)
    instalment = Instalment.objects.select_for_update(of=("self",)).select_related("plan").get(pk=instalment_id)
    plan = InstalmentPlan.objects.select_for_update().get(pk=instalment.plan_id)
    claim = CaseClaim.objects.select_for_update().get(pk=plan.claim_id)
    by_creditor = _may_record_payment(by, case, claim)
    if plan.status != P.ACTIVE:
        raise Conflict(_("分期计划“%(status)s”，不能登记还款。") % {"status": plan.get_status_display()},
                       code="plan_not_active")
    if instalment.status == I.PAID:
        raise Conflict(_("该期已还清。"), code="instalment_paid")
    amount = parse_amount(amount, "amount")
    if amount > instalment.remaining:
        raise _invalid("amount", _("还款金额不能超过本期未还的 %(amount)s 元。") % {"amount": instalment.remaining},
                       "over_instalment")
    paid_on = parse_date(paid_on, "paid_on")
    if paid_on > timezone.localdate():
        raise _invalid("paid_on", _("还款日期不能晚于今天。"), "paid_in_future")
    payment = InstalmentPayment.objects.create(instalment=instalment, amount=amount, paid_on=paid_on,
                                               note=(note or "").strip()[:300], confirmed_by_creditor=by_creditor,
                                               recorded_by=by)
    instalment.paid_amount += amount
    fields = ["paid_amount"]
    if instalment.paid_amount == instalment.amount:
        instalment.status, instalment.paid_on = I.PAID, paid_on
        fields += ["status", "paid_on"]
    instalment.save(update_fields=fields)
    _settle_claim(claim, amount, by=by, reason=_("案件 %(case)s 分期还款") % {"case": case.number})
    _record(actor=by, action="debt.instalment.payment", case=case, after=str(amount),
            data={"plan": plan.pk, "instalment": instalment.pk, "sequence": instalment.sequence,
                  "paid_on": paid_on.isoformat(), "by_creditor": by_creditor})
    if not plan.instalments.exclude(status=I.PAID).exists():
        _plan_status(plan, P.COMPLETED, by=by, case=case)
    return payment


def remind_due_instalments(now=None) -> dict:
    """The daily job: instalments of active plans due within the reminder window get a reminder;
    past-due ones become overdue and get an overdue reminder; a plan with an instalment overdue
    longer than the default threshold defaults. At most one reminder per instalment per day
    (`last_reminded_on`), so running twice a day changes nothing. Each plan in its own transaction."""
    today = timezone.localdate(now or timezone.now())
    case_settings = CaseSettings.current()
    horizon = today + timedelta(days=case_settings.remind_days_before)
    counts = {"reminded": 0, "overdue": 0, "defaulted": 0}
    plan_ids = (Instalment.objects.filter(plan__status=P.ACTIVE, status__in=[I.DUE, I.OVERDUE], due_date__lte=horizon)
                .values_list("plan_id", flat=True).distinct().order_by("plan_id"))
    for plan_id in list(plan_ids):
        for key, value in _remind_plan(plan_id, today, horizon, case_settings).items():
            counts[key] += value
    return counts


@transaction.atomic
def _remind_plan(plan_id, today, horizon, case_settings):
    counts = {"reminded": 0, "overdue": 0, "defaulted": 0}
    plan = InstalmentPlan.objects.select_for_update(of=("self",)).select_related(
        "case__applicant", "claim").get(pk=plan_id)
    if plan.status != P.ACTIVE:
        return counts
    case, claim = plan.case, plan.claim
    for instalment in plan.instalments.select_for_update().filter(status__in=[I.DUE, I.OVERDUE],
                                                                   due_date__lte=horizon):
        fields = []
        if instalment.due_date < today and instalment.status == I.DUE:
            instalment.status, instalment.overdue_since = I.OVERDUE, instalment.due_date + timedelta(days=1)
            fields += ["status", "overdue_since"]
            counts["overdue"] += 1
            _record(actor=None, action="debt.instalment.overdue", case=case, before=I.DUE, after=I.OVERDUE,
                    data={"plan": plan.pk, "instalment": instalment.pk, "sequence": instalment.sequence})
        if instalment.last_reminded_on != today:
            instalment.last_reminded_on = today
            fields.append("last_reminded_on")
            _send_reminder(case, claim, instalment, today)
            counts["reminded"] += 1
        if fields:
            instalment.save(update_fields=fields)
    worst = plan.instalments.filter(status=I.OVERDUE).order_by("due_date").first()
    if worst is not None and (today - worst.due_date).days > case_settings.default_after_days:
        _plan_status(plan, P.DEFAULTED, by=None, case=case, reason=_("第 %(n)s 期逾期超过 %(days)s 天") % {
            "n": worst.sequence, "days": case_settings.default_after_days})
        counts["defaulted"] += 1
        _notify_parties(case, key=f"plan-defaulted:{plan.pk}",
                        title=_("债务案件 %(number)s 的分期还款计划已违约") % {"number": case.number})
        _notify_assignee(case, key=f"plan-defaulted:{plan.pk}",
                         title=_("债务案件 %(number)s 的分期还款计划已违约") % {"number": case.number})
    return counts


def _send_reminder(case, claim, instalment, today):
    overdue = instalment.due_date < today
    title = (_("债务案件 %(number)s 第 %(n)s 期还款已逾期") if overdue else
             _("债务案件 %(number)s 第 %(n)s 期还款即将到期")) % {"number": case.number, "n": instalment.sequence}
    body = _("应还 %(amount)s 元，未还 %(remaining)s 元，到期日 %(due)s。") % {
        "amount": instalment.amount, "remaining": instalment.remaining, "due": instalment.due_date.isoformat()}
    recipients = [claim.debtor_company] + ([claim.creditor_company] if overdue else [])
    for company in recipients:
        if company is not None:
            notify_company(company, kind="debt.instalment", key=f"instalment:{instalment.pk}:{today.isoformat()}",
                           title=title, body=body, link=member_case_link(case), permission=CompanyPermission.DEBT)


# --- debt for goods -----------------------------------------------------------------------------------

def _settlement_status(settlement, to, *, by, case, reason="", extra=()):
    before = settlement.status
    settlement.status = to
    stamp = {GS.ORDERED: "ordered_at", GS.DELIVERED: "delivered_at", GS.SETTLED: "settled_at",
             GS.CANCELLED: "cancelled_at"}.get(to)
    fields = ["status", *extra]
    if stamp:
        setattr(settlement, stamp, timezone.now())
        fields.append(stamp)
    if to == GS.CANCELLED:
        settlement.cancel_reason = str(reason)[:300]
        fields.append("cancel_reason")
    settlement.save(update_fields=fields)
    _record(actor=by, action="debt.goods.status", case=case, before=before, after=to, reason=reason,
            data={"settlement": settlement.pk, "order": settlement.order.number if settlement.order_id else ""})


@transaction.atomic
def propose_goods_settlement(*, by, case_id, claim_id, lines) -> GoodsSettlement:
    """In plan design, legal staff or either party of the claim propose settling part of it with
    the debtor's published products at agreed unit values (which may differ from list prices).
    `lines` is [(product_id, quantity, agreed_unit_value)]. Both companies must be on the
    platform; the agreed total may not exceed what of the claim is not settled or promised."""
    from orders.services import parse_quantity

    found = DebtCase.objects.filter(pk=case_id).exists()
    if not found:
        raise NotFound(_("未找到该债务案件。"))
    case = _locked_case(case_id)
    staff = has_staff_role(by, *CASE_STAFF)
    membership = None if staff else _membership_for(by, case, write=True)
    if case.stage != S.PLAN_DESIGN:
        raise Conflict(_("只有在“方案设计”阶段可以提出以货抵债（当前：%(stage)s）。") % {
            "stage": case.get_stage_display()}, code="not_plan_design")
    claim = _claim_of(case, claim_id)
    debtor, creditor = claim.debtor_company, claim.creditor_company
    if debtor is None or creditor is None:
        raise _invalid("claim", _("以货抵债需要债务人和债权人都是平台企业。"), "party_off_platform")
    if membership is not None and membership.company_id not in (debtor.pk, creditor.pk):
        raise NotAllowed(_("只有该笔债务的债务人或债权人可以提出以货抵债。"), code="not_claim_party")
    lines = list(lines or [])
    if not lines:
        raise _invalid("lines", _("请至少选择一件商品。"), "no_lines")
    built, seen = [], set()
    for index, (product_id, quantity, value) in enumerate(lines):
        product_id = parse_id(product_id)
        product = Product.objects.filter(pk=product_id).first() if product_id else None
        if product is None or product.seller_id != debtor.pk or product.status != Product.Status.PUBLISHED:
            raise _invalid(f"lines-{index}-product", _("第 %(n)s 行：请选择债务人“%(debtor)s”已上架的商品。") % {
                "n": index + 1, "debtor": debtor.name}, "not_debtor_product")
        if product.pk in seen:
            raise _invalid(f"lines-{index}-product", _("第 %(n)s 行：商品重复。") % {"n": index + 1},
                           "duplicate_product")
        seen.add(product.pk)
        quantity = parse_quantity(quantity, f"lines-{index}-quantity")
        value = parse_amount(value, f"lines-{index}-agreed_unit_value")
        built.append(GoodsSettlementLine(product=product, title=product.title, unit=product.get_unit_display(),
                                         quantity=quantity, list_price=product.price, agreed_unit_value=value,
                                         amount=to_money(quantity * value)))
    agreed_total = to_money(sum(line.amount for line in built))
    claim = CaseClaim.objects.select_for_update().get(pk=claim.pk)
    available = claim_uncommitted(claim)
    if agreed_total > available:
        raise _invalid("lines", _("抵债金额 %(total)s 元超过该债务尚未化解或安排的金额 %(amount)s 元。") % {
            "total": agreed_total, "amount": available}, "over_claim")
    settlement = GoodsSettlement.objects.create(case=case, claim=claim, debtor=debtor, creditor=creditor,
                                                agreed_total=agreed_total, proposed_by=by)
    for line in built:
        line.settlement = settlement
    GoodsSettlementLine.objects.bulk_create(built)
    _plan_changed(case)
    _record(actor=by, action="debt.goods.propose", case=case, after=str(agreed_total),
            data={"settlement": settlement.pk, "claim": claim.pk, "lines": len(built)})
    return settlement


@transaction.atomic
def cancel_goods_settlement(*, by, settlement_id, reason="") -> GoodsSettlement:
    """A proposed settlement is dropped in plan design by legal staff or the party that proposed it."""
    case_id = GoodsSettlement.objects.filter(pk=settlement_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    case = _locked_case(case_id)
    settlement = case.goods_settlements.select_for_update().get(pk=settlement_id)
    if not has_staff_role(by, *CASE_STAFF):
        _membership_for(by, case, write=True)
        if settlement.proposed_by_id != by.pk:
            raise NotAllowed(_("只有提出方或平台法务可以取消。"), code="not_proposer")
    if case.stage != S.PLAN_DESIGN or settlement.status != GS.PROPOSED:
        raise Conflict(_("只有方案设计阶段拟定中的以货抵债可以取消。"), code="not_cancellable")
    _settlement_status(settlement, GS.CANCELLED, by=by, case=case, reason=(reason or "").strip() or _("撤销提议"))
    _plan_changed(case)
    return settlement


@transaction.atomic
def place_goods_order(*, by, settlement_id) -> GoodsSettlement:
    """Once the case is in execution, the creditor's member (DEBT, and PURCHASING as every order
    needs) places the settlement's order: a real order through `orders.services.place_orders`
    whose buyer is the creditor and seller the debtor, with stock reserved as usual. It is not
    paid by transfer: it is marked paid by the settlement at once (reason 以货抵债, amount paid =
    the order total), so it goes straight to the debtor for shipment. An order that would wait
    for the creditor's main-account approval is refused (nothing is saved)."""
    from orders.models import Order
    from orders.services import place_orders, settle_order

    case_id = GoodsSettlement.objects.filter(pk=settlement_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound(_("未找到该以货抵债。"))
    case = _locked_case(case_id)
    membership = _membership_for(by, case, write=True)
    settlement = case.goods_settlements.select_for_update(of=("self",)).select_related(
        "debtor", "creditor").get(pk=settlement_id)
    if membership.company_id != settlement.creditor_id:
        raise NotAllowed(_("只有债权人可以下单提货。"), code="creditor_only")
    if case.stage not in (S.EXECUTION, S.MONITORING):
        raise Conflict(_("方案确认、案件进入执行后才能下单提货。"), code="not_execution")
    if settlement.status != GS.PROPOSED:
        raise Conflict(_("该以货抵债已“%(status)s”。") % {"status": settlement.get_status_display()},
                       code="already_ordered")
    items = [(line.product_id, line.quantity) for line in settlement.lines.all()]
    if any(product_id is None for product_id, _quantity in items):
        raise Conflict(_("抵债商品已被删除，请联系平台法务重新拟定。"), code="product_gone")
    orders = place_orders(by=by, items=items, buyer_note=_("以货抵债 %(number)s") % {"number": case.number},
                          payment_method=Order.PaymentMethod.TRANSFER)
    (order,) = orders  # every product is the debtor's: one seller, one order
    if order.status != Order.Status.PENDING_PAYMENT:
        raise BusinessRuleError(_("订单金额超过您的采购审批限额，请由企业主账号下单提货。"), code="needs_main_account")
    order = settle_order(order=order, by=by, payment_method=Order.PaymentMethod.GOODS_FOR_DEBT, reason=GOODS_REASON)
    settlement.order = order
    _settlement_status(settlement, GS.ORDERED, by=by, case=case, extra=["order"])
    notify_company(settlement.debtor, kind="debt.goods", key=f"debt-goods-ordered:{settlement.pk}",
                   title=_("以货抵债订单 %(order)s 请安排发货") % {"order": order.number},
                   body=_("债务案件 %(number)s：%(creditor)s 已按约定下单，抵债金额 %(amount)s 元，无需付款。") % {
                       "number": case.number, "creditor": settlement.creditor.name,
                       "amount": settlement.agreed_total},
                   link=member_case_link(case), permission=CompanyPermission.DEBT)
    return settlement


@transaction.atomic
def sync_goods_settlement(*, settlement_id) -> GoodsSettlement:
    """Follow the settlement's order: shipped → delivered; received (signed) or completed →
    settled, and the agreed value is taken off the claim exactly once; cancelled or refunded
    before receipt → cancelled. Safe to run any number of times."""
    from orders.models import Order

    OS = Order.Status
    case_id = GoodsSettlement.objects.filter(pk=settlement_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    case = _locked_case(case_id)
    settlement = case.goods_settlements.select_for_update(of=("self",)).select_related("order").get(
        pk=settlement_id)
    if settlement.status not in (GS.ORDERED, GS.DELIVERED) or settlement.order is None:
        return settlement
    order_status = settlement.order.status
    if order_status in (OS.RECEIVED, OS.COMPLETED):
        claim = CaseClaim.objects.select_for_update().get(pk=settlement.claim_id)
        settled = min(settlement.agreed_total, claim.outstanding)
        _settle_claim(claim, settled, by=None, reason=_("案件 %(case)s 以货抵债") % {"case": case.number})
        _settlement_status(settlement, GS.SETTLED, by=None, case=case,
                           reason=_("订单 %(order)s 已签收") % {"order": settlement.order.number})
        _notify_parties(case, key=f"goods-settled:{settlement.pk}",
                        title=_("债务案件 %(number)s：以货抵债 %(amount)s 元已完成") % {
                            "number": case.number, "amount": settlement.agreed_total})
    elif order_status in (OS.CANCELLED, OS.REFUNDED):
        _settlement_status(settlement, GS.CANCELLED, by=None, case=case,
                           reason=_("订单 %(order)s %(status)s") % {"order": settlement.order.number,
                                                                  "status": settlement.order.get_status_display()})
    elif order_status == OS.SHIPPED and settlement.status == GS.ORDERED:
        _settlement_status(settlement, GS.DELIVERED, by=None, case=case,
                           reason=_("订单 %(order)s 已发货") % {"order": settlement.order.number})
    return settlement


def sync_goods_settlements() -> int:
    """The scheduled job: follow every settlement whose order is under way; returns how many moved."""
    moved = 0
    for settlement_id, before in GoodsSettlement.objects.filter(status__in=[GS.ORDERED, GS.DELIVERED]).values_list(
            "pk", "status").order_by("pk"):
        if sync_goods_settlement(settlement_id=settlement_id).status != before:
            moved += 1
    return moved
