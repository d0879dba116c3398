"""The obligations registry (债务登记): services that write and selectors that read.

The creditor registers an obligation; it counts (enters clearing runs) only once the debtor has
confirmed it. The debtor may dispute it instead; the creditor then corrects it (back to awaiting
confirmation) or withdraws it. A confirmed obligation is settled when set-off brings its
outstanding amount to zero. Every status change goes through `obligation_transition`.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from accounts.documents import validate_document
from accounts.models import Company
from accounts.services import notify_company
from core import audit
from core.errors import BusinessRuleError, InvalidTransition, NotAllowed, NotFound
from core.inputs import parse_money
from core.money import ZERO, format_cny
from core.permissions import CompanyPermission, StaffRole, has_staff_role
from debt.models import Obligation, ObligationDispute, ObligationEvidence

S = Obligation.Status
DEBT = CompanyPermission.DEBT
MAX_AMOUNT = Decimal("99999999999999.99")
DEBTOR, CREDITOR = "debtor", "creditor"

TRANSITIONS = {
    S.PENDING: {S.CONFIRMED, S.DISPUTED, S.WITHDRAWN},
    S.DISPUTED: {S.PENDING, S.WITHDRAWN},
    S.CONFIRMED: {S.SETTLED},
    S.WITHDRAWN: set(),
    S.SETTLED: set(),
}
TIMESTAMPS = {S.CONFIRMED: "confirmed_at", S.SETTLED: "settled_at"}


def _invalid(field, message, code):
    return BusinessRuleError(message, code=code, details={field: message})


def _acting_company(user):
    """The member's company, which must hold the DEBT permission and be allowed to do debt."""
    membership = rules.ensure_member_may(user, DEBT)
    rules.ensure_company_may(membership.company, rules.Activity.DEBT)
    return membership.company


# --- the transition ----------------------------------------------------------------------------

def obligation_transition(*, obligation_id, to, actor, reason="", updates=None):
    """Lock the obligation, check the table, save the status (and `updates`, a dict of other
    fields to change with it) and write the audit row. Call inside the service's transaction."""
    obligation = Obligation.objects.select_for_update().get(pk=obligation_id)
    if to not in TRANSITIONS[obligation.status]:
        raise InvalidTransition(obligation.status, to, label=lambda value: S(value).label)
    previous, obligation.status = obligation.status, to
    fields = ["status", "updated_at"]
    if to in TIMESTAMPS:
        setattr(obligation, TIMESTAMPS[to], timezone.now())
        fields.append(TIMESTAMPS[to])
    for name, value in (updates or {}).items():
        setattr(obligation, name, value)
        fields.append(name)
    obligation.save(update_fields=fields)
    audit.record(actor=actor, action="debt.obligation.status", subject=obligation, company=obligation.creditor,
                 before=previous, after=to, reason=reason)
    return obligation


def recover_through_case(*, obligation_id, amount, by, reason) -> Obligation:
    """A debt case recovered `amount` of this registered obligation (an instalment paid, goods
    received): its outstanding goes down by as much, never below zero, and it is settled when
    nothing remains, so set-off never counts money already recovered. An obligation no longer
    confirmed (settled by a clearing run meanwhile) is left as it is. Call inside the case's
    transaction."""
    obligation = Obligation.objects.select_for_update().get(pk=obligation_id)
    if obligation.status != S.CONFIRMED:
        return obligation
    before = obligation.outstanding
    obligation.outstanding = before - min(amount, before)
    obligation.save(update_fields=["outstanding", "updated_at"])
    audit.record(actor=by, action="debt.obligation.recovered", subject=obligation, company=obligation.creditor,
                 before=str(before), after=str(obligation.outstanding), reason=reason)
    if obligation.outstanding == ZERO:
        obligation = obligation_transition(obligation_id=obligation.pk, to=S.SETTLED, actor=by, reason=reason)
    return obligation


# --- input -------------------------------------------------------------------------------------

def parse_amount(value):
    """A positive amount in CNY (`core.inputs.parse_money`), or a clear refusal."""
    amount = parse_money(value, "amount")
    if amount <= ZERO:
        raise _invalid("amount", _("金额必须大于零。"), "amount_not_positive")
    if amount > MAX_AMOUNT:
        raise _invalid("amount", _("金额过大。"), "amount_too_large")
    return amount


def _parse_due_on(value):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise _invalid("due_on", _("请填写到期日（YYYY-MM-DD）。"), "invalid_due_on") from None


def _clean_reference(value):
    reference = (value or "").strip()
    if not reference:
        raise _invalid("reference", _("请填写合同号或发票号。"), "reference_required")
    if len(reference) > 60:
        raise _invalid("reference", _("合同号或发票号不能超过 60 个字符。"), "reference_too_long")
    return reference


def find_debtor(*, credit_code=None, company_id=None):
    """The debtor by unified social credit code or id: it must be a verified company that may do
    debt resolution."""
    code = (credit_code or "").strip().upper()
    found = None
    if code:
        found = Company.objects.exclude(status=Company.Status.DEREGISTERED).filter(
            unified_social_credit_code=code).first()
    elif company_id not in (None, ""):
        try:
            found = Company.objects.filter(pk=int(company_id)).first()
        except (TypeError, ValueError):
            found = None
    else:
        raise _invalid("debtor", _("请填写债务人的统一社会信用代码或从企业列表中选择。"), "debtor_required")
    if found is None:
        raise _invalid("debtor", _("平台上没有这家企业，请核对统一社会信用代码。"), "debtor_unknown")
    if not rules.company_may(found, rules.Activity.DEBT):
        raise _invalid("debtor", _("债务人“%(name)s”尚未通过平台认证或已暂停交易，不能登记。") % {"name": found.name},
                       "debtor_not_verified")
    return found


def _validated_uploads(uploads):
    types = []
    for upload in uploads:
        try:
            types.append(validate_document(upload))
        except ValidationError as error:
            raise _invalid("evidence", error.messages[0], "evidence_invalid") from None
    return types


def _store_evidence(*, obligation, company, upload, content_type, note, by):
    evidence = ObligationEvidence(obligation=obligation, company=company,
                                  original_name=(upload.name or "evidence")[:200], content_type=content_type,
                                  note=(note or "").strip()[:300], uploaded_by=by)
    evidence.file.save(upload.name or "evidence", upload, save=False)
    evidence.save()
    audit.record(actor=by, action="debt.obligation.evidence", subject=obligation, company=company,
                 after=evidence.original_name, reason=evidence.note)
    return evidence


def _notify(obligation, side, *, key, title, body):
    from django.urls import reverse

    company = obligation.debtor if side == DEBTOR else obligation.creditor
    link = reverse("member-debt:obligation", args=[obligation.pk])
    transaction.on_commit(lambda: notify_company(company, kind="debt_obligation", key=key, title=title, body=body,
                                                 link=link, permission=DEBT), robust=True)


# --- services ----------------------------------------------------------------------------------

@transaction.atomic
def register_obligation(*, by, amount, due_on, reference, debtor_credit_code=None, debtor_id=None,
                        description="", evidence=()):
    """The creditor (a member with the DEBT permission) registers what a debtor owes it. It waits
    for the debtor's confirmation before it counts."""
    creditor = _acting_company(by)
    debtor = find_debtor(credit_code=debtor_credit_code, company_id=debtor_id)
    if debtor.pk == creditor.pk:
        raise _invalid("debtor", _("债务人不能是本企业。"), "debtor_is_creditor")
    amount = parse_amount(amount)
    due_on = _parse_due_on(due_on)
    reference = _clean_reference(reference)
    description = (description or "").strip()[:2000]
    uploads = list(evidence or [])
    types = _validated_uploads(uploads)
    obligation = Obligation.objects.create(
        debtor=debtor, creditor=creditor, amount=amount, outstanding=amount, due_on=due_on, reference=reference,
        description=description, registered_by=by,
    )
    audit.record(actor=by, action="debt.obligation.register", subject=obligation, company=creditor,
                 after=S.PENDING, data={"debtor": debtor.pk, "amount": str(amount), "due_on": due_on.isoformat()})
    for upload, content_type in zip(uploads, types, strict=True):
        _store_evidence(obligation=obligation, company=creditor, upload=upload, content_type=content_type, note="",
                        by=by)
    _notify(obligation, DEBTOR, key=f"obligation:{obligation.pk}:registered",
            title=_("%(creditor)s 登记了一笔待您确认的债务") % {"creditor": creditor.name},
            body=_("%(reference)s，金额 %(amount)s，到期日 %(due)s。请确认或提出异议。") % {
                "reference": reference, "amount": format_cny(amount), "due": due_on.isoformat()})
    return obligation


def _party_obligation(user, obligation_id, side):
    """The obligation where the user's company is on `side`; another company's is a 404."""
    company = _acting_company(user)
    found = Obligation.objects.filter(pk=obligation_id).filter(Q(debtor=company) | Q(creditor=company)).first()
    if found is None:
        raise NotFound(_("未找到该债务。"))
    if getattr(found, f"{side}_id") != company.pk:
        raise NotAllowed(_("只有债务人可以确认或提出异议。") if side == DEBTOR else
                         _("只有登记该债务的债权人可以进行此操作。"), code=f"not_{side}")
    return found


@transaction.atomic
def confirm_obligation(*, by, obligation_id):
    """The debtor confirms it owes the obligation; from now on it counts."""
    obligation = _party_obligation(by, obligation_id, DEBTOR)
    obligation = obligation_transition(obligation_id=obligation.pk, to=S.CONFIRMED, actor=by,
                                       updates={"confirmed_by": by})
    _notify(obligation, CREDITOR, key=f"obligation:{obligation.pk}:confirmed",
            title=_("%(debtor)s 已确认债务 %(reference)s") % {"debtor": obligation.debtor.name,
                                                             "reference": obligation.reference},
            body=_("金额 %(amount)s，将参与后续的多边清算。") % {"amount": format_cny(obligation.outstanding)})
    return obligation


@transaction.atomic
def dispute_obligation(*, by, obligation_id, reason):
    """The debtor objects to a registered obligation, saying why; the creditor corrects or
    withdraws it."""
    obligation = _party_obligation(by, obligation_id, DEBTOR)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("请说明异议理由。"), "reason_required")
    obligation = obligation_transition(obligation_id=obligation.pk, to=S.DISPUTED, actor=by, reason=reason)
    ObligationDispute.objects.create(obligation=obligation, raised_by=by, reason=reason[:2000])
    _notify(obligation, CREDITOR, key=f"obligation:{obligation.pk}:disputed:{timezone.now().timestamp()}",
            title=_("%(debtor)s 对债务 %(reference)s 提出异议") % {"debtor": obligation.debtor.name,
                                                                 "reference": obligation.reference},
            body=reason)
    return obligation


def _resolve_open_dispute(obligation, *, by, resolution, note):
    open_dispute = obligation.disputes.select_for_update().filter(resolution="").first()
    if open_dispute is not None:
        open_dispute.resolution, open_dispute.resolution_note = resolution, (note or "").strip()[:2000]
        open_dispute.resolved_by, open_dispute.resolved_at = by, timezone.now()
        open_dispute.save(update_fields=["resolution", "resolution_note", "resolved_by", "resolved_at"])


@transaction.atomic
def correct_obligation(*, by, obligation_id, amount=None, due_on=None, reference=None, description=None, note=""):
    """The creditor corrects a disputed obligation; it goes back to the debtor for confirmation."""
    obligation = _party_obligation(by, obligation_id, CREDITOR)
    if obligation.status != S.DISPUTED:
        raise InvalidTransition(obligation.status, S.PENDING, label=lambda value: S(value).label)
    updates = {}
    if amount not in (None, ""):
        updates["amount"] = updates["outstanding"] = parse_amount(amount)
    if due_on not in (None, ""):
        updates["due_on"] = _parse_due_on(due_on)
    if reference not in (None, ""):
        updates["reference"] = _clean_reference(reference)
    if description is not None:
        updates["description"] = description.strip()[:2000]
    obligation = obligation_transition(obligation_id=obligation.pk, to=S.PENDING, actor=by, reason=note,
                                       updates=updates)
    _resolve_open_dispute(obligation, by=by, resolution=ObligationDispute.Resolution.CORRECTED, note=note)
    _notify(obligation, DEBTOR, key=f"obligation:{obligation.pk}:corrected:{timezone.now().timestamp()}",
            title=_("%(creditor)s 已更正债务 %(reference)s，请重新确认") % {
                "creditor": obligation.creditor.name, "reference": obligation.reference},
            body=_("更正后金额 %(amount)s，到期日 %(due)s。") % {"amount": format_cny(obligation.amount),
                                                             "due": obligation.due_on.isoformat()})
    return obligation


@transaction.atomic
def withdraw_obligation(*, by, obligation_id, reason=""):
    """The creditor that registered it withdraws it before the debtor confirms."""
    obligation = _party_obligation(by, obligation_id, CREDITOR)
    obligation = obligation_transition(obligation_id=obligation.pk, to=S.WITHDRAWN, actor=by, reason=reason)
    _resolve_open_dispute(obligation, by=by, resolution=ObligationDispute.Resolution.WITHDRAWN, note=reason)
    _notify(obligation, DEBTOR, key=f"obligation:{obligation.pk}:withdrawn",
            title=_("%(creditor)s 撤回了债务 %(reference)s") % {"creditor": obligation.creditor.name,
                                                              "reference": obligation.reference},
            body=reason)
    return obligation


@transaction.atomic
def add_evidence(*, by, obligation_id, upload, note=""):
    """Either party adds a PDF/JPEG/PNG file (≤10 MB) while the obligation is not withdrawn."""
    company = _acting_company(by)
    obligation = obligation_for_company(company=company, obligation_id=obligation_id)
    if obligation.status == S.WITHDRAWN:
        raise BusinessRuleError(_("债务已撤回，不能再提交证据。"), code="obligation_withdrawn")
    if upload is None:
        raise _invalid("evidence", _("请选择证据文件。"), "evidence_required")
    (content_type,) = _validated_uploads([upload])
    evidence = _store_evidence(obligation=obligation, company=company, upload=upload, content_type=content_type,
                               note=note, by=by)
    other = DEBTOR if company.pk == obligation.creditor_id else CREDITOR
    _notify(obligation, other, key=f"obligation:{obligation.pk}:evidence:{evidence.pk}",
            title=_("债务 %(reference)s 有新证据") % {"reference": obligation.reference},
            body=_("对方提交了“%(name)s”。") % {"name": evidence.original_name})
    return evidence


# --- selectors ---------------------------------------------------------------------------------

def obligations_for_company(*, company, role="", status="", query=""):
    """The company's obligations as debtor, creditor or both, newest first."""
    found = Obligation.objects.select_related("debtor", "creditor")
    if role == DEBTOR:
        found = found.filter(debtor=company)
    elif role == CREDITOR:
        found = found.filter(creditor=company)
    else:
        found = found.filter(Q(debtor=company) | Q(creditor=company))
    if status in S.values:
        found = found.filter(status=status)
    if query:
        found = found.filter(Q(reference__icontains=query) | Q(debtor__name__icontains=query)
                             | Q(creditor__name__icontains=query))
    return found


def obligation_for_company(*, company, obligation_id):
    found = obligations_for_company(company=company).filter(pk=obligation_id).first()
    if found is None:
        raise NotFound(_("未找到该债务。"))
    return found


def all_obligations(*, status="", query="", company_id=None):
    """Every obligation, for staff, with the same filters."""
    found = Obligation.objects.select_related("debtor", "creditor")
    if status in S.values:
        found = found.filter(status=status)
    if query:
        found = found.filter(Q(reference__icontains=query) | Q(debtor__name__icontains=query)
                             | Q(creditor__name__icontains=query)
                             | Q(debtor__unified_social_credit_code=query.upper())
                             | Q(creditor__unified_social_credit_code=query.upper()))
    if company_id:
        found = found.filter(Q(debtor_id=company_id) | Q(creditor_id=company_id))
    return found


def evidence_for(*, user, evidence_id):
    """An evidence file the user may read: the staff who work obligations (legal, finance), and
    the two parties' members with DEBT. None otherwise."""
    evidence = ObligationEvidence.objects.select_related("obligation").filter(pk=evidence_id).first()
    if evidence is None or not evidence.file:
        return None
    if has_staff_role(user, StaffRole.LEGAL, StaffRole.FINANCE):
        return evidence
    membership = getattr(user, "membership", None)
    if membership is None or not membership.allows(DEBT):
        return None
    if membership.company_id not in (evidence.obligation.debtor_id, evidence.obligation.creditor_id):
        return None
    return evidence


def obligation_history(obligation):
    from django.contrib.contenttypes.models import ContentType

    from core.models import AuditEvent

    return AuditEvent.objects.filter(subject_type=ContentType.objects.get_for_model(Obligation),
                                     subject_id=str(obligation.pk)).order_by("occurred_at", "id")


def side_of(obligation, company):
    return DEBTOR if obligation.debtor_id == company.pk else CREDITOR
