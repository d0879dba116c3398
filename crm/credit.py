"""Credit (SPEC §5): scoring, credit applications and lines, on-account purchases, receivables,
collections (回款), ageing, overdue reminders and credit holds. Services and selectors.

Scoring
    Features come from the platform's own history in a handful of set-based statements over all
    companies (`company_features`); the maths lives in `crm.scorecard` (see its docstring for the
    features, the definition of a "bad" company, binning, WoE priors and points scaling).
    `score_companies` scores every verified company with the active scorecard, or with the built-in
    expert card (saved once as Scorecard "expert-1", never activated) when none is active, so the
    platform works from day one. Scheduled weekly ("crm.score_companies").

Training: `python manage.py train_scorecard [--activate] [--outcome-months 6]`
    Cut-off = today − outcome months. Sample: companies verified before the cut-off; features as
    of the cut-off (only history before it); outcome = "bad" in (cut-off, today] (definition in
    crm.scorecard). Trains, prints one JSON line (version, sample_size, bads, bad_rate, auc, ks,
    method, information values), saves a Scorecard and activates it with --activate. With few or
    no bads (the demo world) the card is the expert card with its intercept calibrated to the
    smoothed bad rate; AUC and KS are null when the sample has only one class.

Recommended limit range
    Monthly purchases = 12-month purchases / 12; the range is 1–2 months of purchases times the
    score band's factor: A ≥ 660 → 100 %, B 630–659 → 75 %, C 600–629 → 50 %, D 570–599 → 25 %,
    E < 570 → no credit (0). Bounds rounded down to ¥1,000. Staff approve within the range; only
    an administrator may go outside it, and must say why.

On account
    `reserve_credit` (called by checkout for an on-account order) locks the buyer's CreditLine,
    refuses when there is no line, it is on hold or the order exceeds the available credit, then
    raises `outstanding` and creates the Receivable. `release_credit` undoes it for an on-account
    order cancelled or refunded before any payment. Collections settle receivables and lower
    `outstanding`. Lock order everywhere: credit line, then receivables (by id), so concurrent
    writers queue instead of deadlocking.

Holds: a line is put on hold (automatically, reason prefixed "逾期自动暂停：") while any receivable
    is more than CrmSettings.credit_hold_days_overdue days overdue, and released when none is;
    a hold set by staff is only lifted by staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Max, Min, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from accounts.models import Company
from accounts.services import notify_company
from core import audit
from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.money import ZERO, format_cny, to_money
from core.notifications import notify
from core.permissions import CompanyPermission, StaffRole, has_staff_role, staff_roles
from crm import scorecard as engine
from crm import tiers
from crm.models import (
    ClientProfile,
    Collection,
    CollectionAllocation,
    CreditApplication,
    CreditLine,
    CreditScore,
    CrmSettings,
    PaymentTerm,
    Receivable,
    Scorecard,
    Tier,
    TierRule,
)
from crm.priority import tier_rank_expression
from orders.models import Dispute, Order, Refund

COUNTED = [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.RECEIVED, Order.Status.COMPLETED]
SCORED_STATUSES = (Company.Status.VERIFIED, Company.Status.CHANGE_PENDING)
EXPERT_VERSION = "expert-1"
CREDIT_STAFF = (StaffRole.FINANCE, StaffRole.ADMINISTRATOR)
AUTO_HOLD_PREFIX = "逾期自动暂停："
BAD_OVERDUE_DAYS = 60
CREDIT_PAGE = "/member/crm/credit/"

# (lowest score, band, share of the 1–2 months range)
SCORE_BANDS = ((660, "A", Decimal("1")), (630, "B", Decimal("0.75")), (600, "C", Decimal("0.5")),
               (570, "D", Decimal("0.25")))
LIMIT_MONTHS = (Decimal("1"), Decimal("2"))
LIMIT_ROUNDING = Decimal("1000")


def _now(now=None):
    return now or timezone.now()


def _today(now=None):
    return timezone.localdate(_now(now))


crm_settings = CrmSettings.current


def ensure_credit_staff(user):
    if not has_staff_role(user, *CREDIT_STAFF):
        raise NotAllowed(_("仅财务或管理员可以处理账期与回款。"), code="credit_staff_only")


# --- features -------------------------------------------------------------------------------------

def company_features(*, as_of=None, company_ids=None) -> dict[int, dict]:
    """Scorecard features of every company (or `company_ids`) from history before `as_of`.

    Five statements whatever the number of companies: companies, orders, receivables, disputes,
    refunds, each grouped by company.
    """
    as_of = _now(as_of)
    as_of_date = timezone.localdate(as_of)
    year_ago, half_year_ago = as_of - timedelta(days=365), as_of - timedelta(days=182)
    companies = Company.objects.all()
    if company_ids is not None:
        companies = companies.filter(pk__in=company_ids)
    rows = {
        company["id"]: {
            "registered_capital": float(company["registered_capital"]) if company["registered_capital"] else None,
            "years_in_business": (round((as_of_date - company["established_on"]).days / 365.25, 2)
                                  if company["established_on"] and company["established_on"] <= as_of_date else None),
            "months_active": None, "volume_12m": 0.0, "volume_trend": None, "on_time_rate": None,
            "worst_overdue_days": None, "dispute_rate": None, "refund_rate": None,
        }
        for company in companies.values("id", "registered_capital", "established_on")
    }
    if not rows:
        return rows

    def scoped(queryset, field):
        return queryset.filter(**{f"{field}__in": list(rows)}) if company_ids is not None else queryset

    counted = Q(status__in=COUNTED)
    net = F("total") - F("amount_refunded")
    went_ahead = Q(placed_at__gte=year_ago) & ~Q(status__in=[Order.Status.CANCELLED,
                                                           Order.Status.AWAITING_APPROVAL])
    due_window = (Q(payment_due_at__gte=year_ago, payment_due_at__lt=as_of)
                  & ~Q(status=Order.Status.CANCELLED) & ~Q(payment_method=Order.PaymentMethod.ON_ACCOUNT))
    orders = scoped(Order.objects.filter(placed_at__lt=as_of), "buyer_id").values("buyer_id").annotate(
        first_purchase=Min("placed_at", filter=counted),
        volume_12m=Sum(net, filter=counted & Q(placed_at__gte=year_ago)),
        volume_last6=Sum(net, filter=counted & Q(placed_at__gte=half_year_ago)),
        volume_prev6=Sum(net, filter=counted & Q(placed_at__gte=year_ago, placed_at__lt=half_year_ago)),
        orders_12m=Count("id", filter=went_ahead),
        refunded_12m=Count("id", filter=went_ahead & (Q(amount_refunded__gt=0) | Q(
            status__in=[Order.Status.REFUNDED, Order.Status.REFUND_REQUESTED]))),
        due_12m=Count("id", filter=due_window),
        on_time_12m=Count("id", filter=due_window & Q(paid_at__lte=F("payment_due_at"))),
    )
    obligations, orders_12m = {}, {}
    for row in orders:
        features = rows.get(row["buyer_id"])
        if features is None:
            continue
        if row["first_purchase"]:
            features["months_active"] = _whole_months(row["first_purchase"], as_of)
        features["volume_12m"] = float(row["volume_12m"] or 0)
        previous, last = float(row["volume_prev6"] or 0), float(row["volume_last6"] or 0)
        features["volume_trend"] = round(last / previous - 1, 4) if previous > 0 else None
        orders_12m[row["buyer_id"]] = row["orders_12m"]
        if row["orders_12m"]:
            features["refund_rate"] = round(row["refunded_12m"] / row["orders_12m"], 4)
            features["dispute_rate"] = 0.0
        obligations[row["buyer_id"]] = [row["due_12m"], row["on_time_12m"]]

    known_settled = Q(settled_at__isnull=False, settled_at__lt=as_of)
    overdue_days = ExpressionWrapper(
        Case(When(known_settled, then=TruncDate("settled_at")), default=Value(as_of_date)) - F("due_on"),
        output_field=DurationField(),
    )
    receivables = scoped(Receivable.objects.exclude(status=Receivable.Status.CANCELLED).filter(
        due_on__lt=as_of_date, issued_on__lt=as_of_date,
    ).filter(Q(due_on__gte=as_of_date - timedelta(days=365)) | ~known_settled), "company_id")
    for row in receivables.values("company_id").annotate(
        due=Count("id"), on_time=Count("id", filter=known_settled & Q(settled_at__date__lte=F("due_on"))),
        worst=Max(overdue_days),
    ):
        features = rows.get(row["company_id"])
        if features is None:
            continue
        worst = row["worst"]
        features["worst_overdue_days"] = float(max(worst.days if isinstance(worst, timedelta) else int(worst or 0), 0))
        counts = obligations.setdefault(row["company_id"], [0, 0])
        counts[0] += row["due"]
        counts[1] += row["on_time"]
    for company_id, (due, on_time) in obligations.items():
        if due and company_id in rows:
            rows[company_id]["on_time_rate"] = round(on_time / due, 4)

    disputes = scoped(Dispute.objects.filter(opened_at__gte=year_ago, opened_at__lt=as_of), "order__buyer_id")
    for row in disputes.values("order__buyer_id").annotate(n=Count("order_id", distinct=True)):
        features, count = rows.get(row["order__buyer_id"]), orders_12m.get(row["order__buyer_id"])
        if features is not None and count:
            features["dispute_rate"] = round(min(row["n"] / count, 1.0), 4)
    return rows


def _whole_months(start, end):
    start, end = timezone.localtime(start), timezone.localtime(end)
    months = (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)
    return max(months, 0)


def bad_companies(*, start, end) -> set[int]:
    """Companies that went "bad" in (start, end] (definition in crm.scorecard)."""
    start_date, end_date = timezone.localdate(start), timezone.localdate(end)
    limit = timedelta(days=BAD_OVERDUE_DAYS)
    # (a) more than 60 days overdue: day 61 after due_on falls in the window, not settled by then.
    overdue = Receivable.objects.exclude(status=Receivable.Status.CANCELLED).filter(
        due_on__gt=start_date - limit - timedelta(days=1), due_on__lte=end_date - limit - timedelta(days=1),
    ).filter(Q(settled_at__isnull=True) | Q(settled_at__date__gt=F("due_on") + limit))
    bad = set(overdue.values_list("company_id", flat=True))
    # (b) non-payment: an on-account order cancelled or refunded after its receivable fell due.
    bad |= set(Receivable.objects.filter(
        order__cancelled_at__gt=start, order__cancelled_at__lte=end, order__cancelled_at__date__gt=F("due_on"),
    ).values_list("company_id", flat=True))
    bad |= set(Refund.objects.filter(
        status=Refund.Status.REFUNDED, paid_out_at__gt=start, paid_out_at__lte=end,
        order__receivable__isnull=False, paid_out_at__date__gt=F("order__receivable__due_on"),
    ).values_list("order__buyer_id", flat=True))
    # (c) a seller's dispute against the buyer.
    bad |= set(Dispute.objects.filter(opened_by_seller=True, opened_at__gt=start, opened_at__lte=end)
               .values_list("order__buyer_id", flat=True))
    return bad


# --- scorecards ------------------------------------------------------------------------------------

def active_scorecard() -> Scorecard:
    """The active card, or the built-in expert card (saved once, inactive) when none is active."""
    card = Scorecard.objects.filter(is_active=True).first()
    if card is not None:
        return card
    card, _created = Scorecard.objects.get_or_create(
        version=EXPERT_VERSION,
        defaults={"specification": engine.expert_specification(version=EXPERT_VERSION),
                  "metrics": {"method": "expert"}},
    )
    return card


@transaction.atomic
def train_scorecard(*, by=None, outcome_months=6, now=None, activate=False):
    """Train a card on the platform's history (cut-off = now − outcome months) and save it."""
    if outcome_months < 1 or outcome_months > 24:
        raise BusinessRuleError(_("观察期应为 1–24 个月。"), code="invalid_outcome_window")
    now = _now(now)
    cutoff = now - timedelta(days=round(outcome_months * 30.4375))
    sample = list(Company.objects.filter(verified_at__lt=cutoff).order_by("pk").values_list("pk", flat=True))
    if not sample:
        raise BusinessRuleError(_("截止日 %(date)s 前没有已认证的企业，无法训练评分卡。")
                                % {"date": timezone.localdate(cutoff)}, code="no_training_sample")
    features = company_features(as_of=cutoff, company_ids=sample)
    bad = bad_companies(start=cutoff, end=now)
    version = f"trained-{timezone.localtime(now):%Y%m%d-%H%M%S}"
    specification, metrics = engine.train([features[pk] for pk in sample], [int(pk in bad) for pk in sample],
                                          version=version)
    metrics = {"version": version, **metrics, "cutoff": timezone.localdate(cutoff).isoformat(),
               "outcome_months": outcome_months}
    card = Scorecard.objects.create(version=version, trained_at=now, trained_by=by, specification=specification,
                                    metrics=metrics, sample_size=metrics["sample_size"])
    audit.record(actor=by, action="crm.scorecard_trained", subject=card, after=version,
                 data={key: value for key, value in metrics.items() if key != "information_value"})
    if activate:
        activate_scorecard(by=by, scorecard_id=card.pk)
        card.refresh_from_db()
    return card, metrics


@transaction.atomic
def activate_scorecard(*, by, scorecard_id):
    card = Scorecard.objects.select_for_update().filter(pk=scorecard_id).first()
    if card is None:
        raise NotFound(_("评分卡不存在。"))
    previous = Scorecard.objects.select_for_update().filter(is_active=True).exclude(pk=card.pk).first()
    if previous is not None:
        previous.is_active = False
        previous.save(update_fields=["is_active"])
    if not card.is_active:
        card.is_active = True
        card.save(update_fields=["is_active"])
        audit.record(actor=by, action="crm.scorecard_activated", subject=card,
                     before=previous.version if previous else EXPERT_VERSION, after=card.version)
    return card


def score_band(score):
    for lowest, band, _share in SCORE_BANDS:
        if score >= lowest:
            return band
    return "E"


def recommended_limit_range(*, score, volume_12m) -> tuple[Decimal, Decimal]:
    """1–2 months of purchases scaled by the score band, rounded down to ¥1,000 (see module doc)."""
    share = next((share for lowest, _band, share in SCORE_BANDS if score >= lowest), Decimal("0"))
    monthly = to_money(volume_12m) / 12

    def rounded(months):
        return to_money((monthly * months * share / LIMIT_ROUNDING).to_integral_value(ROUND_DOWN) * LIMIT_ROUNDING)

    return rounded(LIMIT_MONTHS[0]), rounded(LIMIT_MONTHS[1])


def _score_row(*, company_id, card, values, now):
    result = engine.score(card.specification, values)
    low, high = recommended_limit_range(score=result.score, volume_12m=Decimal(str(values.get("volume_12m") or 0)))
    return CreditScore(
        company_id=company_id, scorecard=card, score=result.score,
        probability_of_default=Decimal(f"{result.probability_of_default:.6f}"),
        features={key: value for key, value in values.items() if not key.startswith("_")},
        reasons=result.reasons, recommended_limit_min=low, recommended_limit_max=high, scored_at=now,
    )


def score_companies(*, now=None) -> int:
    """Score every verified company with the active card; a company already scored today with the
    same card is skipped, so running twice in a day writes once. Returns the number of new scores."""
    now = _now(now)
    card = active_scorecard()
    today = timezone.localdate(now)
    start_of_day = timezone.make_aware(datetime.combine(today, time.min))
    companies = set(Company.objects.filter(status__in=SCORED_STATUSES).values_list("pk", flat=True))
    done = set(CreditScore.objects.filter(scorecard=card, scored_at__gte=start_of_day,
                                          scored_at__lt=start_of_day + timedelta(days=1))
               .values_list("company_id", flat=True))
    todo = sorted(companies - done)
    if not todo:
        return 0
    features = company_features(as_of=now, company_ids=todo if len(todo) < 5000 else None)
    scores = [_score_row(company_id=pk, card=card, values=features[pk], now=now) for pk in todo if pk in features]
    CreditScore.objects.bulk_create(scores, batch_size=1000)
    return len(scores)


def score_company(*, company, now=None) -> CreditScore:
    """A fresh score for one company (applications and the staff decision page)."""
    now = _now(now)
    card = active_scorecard()
    values = company_features(as_of=now, company_ids=[company.pk])[company.pk]
    row = _score_row(company_id=company.pk, card=card, values=values, now=now)
    row.save(force_insert=True)
    return row


def latest_score(company) -> CreditScore | None:
    return CreditScore.objects.filter(company=company).select_related("scorecard").order_by("-scored_at", "-id").first()


# --- applications and lines -----------------------------------------------------------------------

def application_refusal(company) -> str | None:
    """Why the company may not apply for credit terms now, or None."""
    if not rules.company_may(company, rules.Activity.PLACE_ORDERS):
        return rules.refusal_reason(company)
    if not tiers.may_use_credit_terms(company):
        tier = tiers.tier_of(company)
        message = _("账期仅向 VIP 及以上大客户开放，贵司当前为%(tier)s。") % {"tier": Tier(tier).label}
        rule = TierRule.objects.filter(tier=Tier.VIP, is_active=True).first()
        if rule is not None:
            message += _("近 12 个月采购额达到 %(amount)s 即可成为 VIP 客户。") % {
                "amount": format_cny(rule.min_purchases_12m)}
        return message
    if open_application(company) is not None:
        return _("贵司已有一份待审批的账期申请，请等待审批结果或先撤回。")
    return None


def open_application(company):
    return CreditApplication.objects.filter(company=company, status=CreditApplication.Status.SUBMITTED).first()


def _check_term(term_days, field="term_days"):
    try:
        term = int(term_days)
    except (TypeError, ValueError):
        term = None
    if term not in PaymentTerm.values:
        raise BusinessRuleError(_("账期只能是 30、60 或 90 天。"), code="invalid_term",
                                details={field: _("请选择 30、60 或 90 天。")})
    return term


def _positive_money(value, field, message):
    try:
        amount = to_money(value)
    except (TypeError, ValueError):
        amount = None
    if amount is None or amount <= 0:
        raise BusinessRuleError(message, code="invalid_amount", details={field: message})
    return amount


@transaction.atomic
def submit_credit_application(*, by, requested_limit, term_days, purpose=""):
    """A major client's main account (or a FINANCE sub-account) applies for credit terms; one open
    application per company. The company is scored now so staff decide on a fresh score."""
    membership = rules.ensure_member_may(by, CompanyPermission.FINANCE)
    company = Company.objects.select_for_update().get(pk=membership.company_id)
    refusal = application_refusal(company)
    if refusal is not None:
        raise (Conflict if open_application(company) else NotAllowed)(refusal, code="credit_application_refused")
    limit = _positive_money(requested_limit, "requested_limit", _("申请额度应大于 0。"))
    term = _check_term(term_days, "requested_term_days")
    score = score_company(company=company)
    try:
        with transaction.atomic():
            application = CreditApplication.objects.create(
                company=company, requested_limit=limit, requested_term_days=term, purpose=(purpose or "").strip(),
                score=score, submitted_by=by,
            )
    except IntegrityError as exc:
        raise Conflict(_("贵司已有一份待审批的账期申请，请等待审批结果或先撤回。")) from exc
    audit.record(actor=by, action="crm.credit_application_submitted", subject=application, company=company,
                 after=f"{format_cny(limit)} / {term} 天")
    return application


@transaction.atomic
def withdraw_credit_application(*, by, application_id):
    membership = rules.ensure_member_may(by, CompanyPermission.FINANCE)
    application = CreditApplication.objects.select_for_update().filter(
        pk=application_id, company_id=membership.company_id).first()
    if application is None:
        raise NotFound(_("账期申请不存在。"))
    if application.status != CreditApplication.Status.SUBMITTED:
        raise Conflict(_("该申请已处理，不能撤回。"))
    application.status = CreditApplication.Status.WITHDRAWN
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    audit.record(actor=by, action="crm.credit_application_withdrawn", subject=application,
                 before=CreditApplication.Status.SUBMITTED, after=application.status)
    return application


def _locked_open_application(application_id):
    application = (CreditApplication.objects.select_for_update().select_related("company")
                   .filter(pk=application_id).first())
    if application is None:
        raise NotFound(_("账期申请不存在。"))
    if application.status != CreditApplication.Status.SUBMITTED:
        raise Conflict(_("该申请已处理（%(status)s）。") % {"status": application.get_status_display()})
    return application


@transaction.atomic
def approve_credit_application(*, by, application_id, limit, term_days, note=""):
    """Grant a limit and term. The limit must lie in the latest score's recommended range; only an
    administrator may go outside it, with a note saying why. Creates or updates the CreditLine."""
    ensure_credit_staff(by)
    application = _locked_open_application(application_id)
    company = application.company
    amount = _positive_money(limit, "limit", _("批准额度应大于 0。"))
    term = _check_term(term_days)
    note = (note or "").strip()
    score = latest_score(company) or score_company(company=company)
    low, high = score.recommended_limit_min, score.recommended_limit_max
    outside = not (low <= amount <= high)
    if outside:
        if StaffRole.ADMINISTRATOR not in staff_roles(by):
            raise BusinessRuleError(
                _("批准额度 %(amount)s 不在建议范围 %(low)s – %(high)s 内。超出建议范围须由管理员审批并填写说明。")
                % {"amount": format_cny(amount), "low": format_cny(low), "high": format_cny(high)},
                code="limit_outside_range", details={"limit": _("超出建议范围。")})
        if not note:
            raise BusinessRuleError(_("超出建议范围批准时必须填写说明。"), code="override_note_required",
                                    details={"note": _("请说明超出建议范围的理由。")})
    line = CreditLine.objects.select_for_update().filter(company=company).first()
    before = f"{format_cny(line.limit)} / {line.term_days} 天" if line else ""
    if line is None:
        line = CreditLine.objects.create(company=company, limit=amount, term_days=term, granted_by=by)
    else:
        line.limit, line.term_days, line.granted_by = amount, term, by
        line.save(update_fields=["limit", "term_days", "granted_by", "updated_at"])
    application.status = CreditApplication.Status.APPROVED
    application.approved_limit, application.approved_term_days = amount, term
    application.decision_note = note[:300]
    application.decided_by, application.decided_at = by, timezone.now()
    application.score = score
    application.save(update_fields=["status", "approved_limit", "approved_term_days", "decision_note", "decided_by",
                                    "decided_at", "score"])
    after = f"{format_cny(amount)} / {term} 天"
    reason = note if not outside else _("超出建议范围（%(low)s – %(high)s）：%(note)s") % {
        "low": format_cny(low), "high": format_cny(high), "note": note}
    audit.record(actor=by, action="crm.credit_application_approved", subject=application, company=company,
                 before=CreditApplication.Status.SUBMITTED, after=after, reason=reason,
                 data={"score": score.score, "recommended": [str(low), str(high)], "override": outside})
    audit.record(actor=by, action="crm.credit_line_set", subject=line, company=company, before=before, after=after,
                 reason=reason)
    notify_company(company, kind="credit_application", key=f"credit-application:{application.pk}:decided",
                   title=_("账期申请已批准：额度 %(amount)s，账期 %(term)s 天") % {"amount": format_cny(amount),
                                                                           "term": term},
                   body=note, link=CREDIT_PAGE, permission=CompanyPermission.FINANCE)
    return application


@transaction.atomic
def reject_credit_application(*, by, application_id, note):
    ensure_credit_staff(by)
    note = (note or "").strip()
    if not note:
        raise BusinessRuleError(_("请填写不批准的理由。"), code="reason_required", details={"note": _("必填。")})
    application = _locked_open_application(application_id)
    application.status = CreditApplication.Status.REJECTED
    application.decision_note = note[:300]
    application.decided_by, application.decided_at = by, timezone.now()
    application.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    audit.record(actor=by, action="crm.credit_application_rejected", subject=application,
                 before=CreditApplication.Status.SUBMITTED, after=application.status, reason=note)
    notify_company(application.company, kind="credit_application",
                   key=f"credit-application:{application.pk}:decided", title=_("账期申请未获批准"), body=note,
                   link=CREDIT_PAGE, permission=CompanyPermission.FINANCE)
    return application


@transaction.atomic
def set_credit_hold(*, by, company_id, on_hold, reason=""):
    """Staff put a line on hold or lift a hold (their own or an automatic one) by hand."""
    ensure_credit_staff(by)
    reason = (reason or "").strip()
    if not reason:
        raise BusinessRuleError(_("请填写原因。"), code="reason_required", details={"reason": _("必填。")})
    line = CreditLine.objects.select_for_update().filter(company_id=company_id).first()
    if line is None:
        raise NotFound(_("该企业没有信用额度。"))
    if line.on_hold == bool(on_hold):
        return line
    line.on_hold, line.hold_reason = bool(on_hold), reason[:300] if on_hold else ""
    line.save(update_fields=["on_hold", "hold_reason", "updated_at"])
    audit.record(actor=by, action="crm.credit_hold" if on_hold else "crm.credit_hold_released", subject=line,
                 before=str(not on_hold), after=str(bool(on_hold)), reason=reason)
    return line


# --- on-account purchases ---------------------------------------------------------------------

@transaction.atomic
def reserve_credit(*, order, term_days=None, by=None) -> Receivable:
    """Put an on-account order on the buyer's credit: the line is locked, the order must fit in
    limit − outstanding (equal fits), then outstanding rises and a receivable is issued today, due
    after `term_days` (the line's term by default; never longer)."""
    line = CreditLine.objects.select_for_update().filter(company_id=order.buyer_id).first()
    if line is None:
        raise BusinessRuleError(_("贵司尚未开通账期额度，请选择对公转账，或在会员中心申请账期。"),
                                code="no_credit_line")
    if line.on_hold:
        raise BusinessRuleError(_("账期额度已暂停使用：%(reason)s 请先结清逾期账款或联系客户经理。")
                                % {"reason": line.hold_reason or _("平台已暂停赊销。")}, code="credit_on_hold")
    term = line.term_days if term_days is None else _check_term(term_days)
    if term > line.term_days:
        raise BusinessRuleError(_("本单账期 %(term)s 天超过贵司获批的 %(granted)s 天。")
                                % {"term": term, "granted": line.term_days}, code="term_too_long")
    total = to_money(order.total)
    if total <= 0:
        raise BusinessRuleError(_("订单金额为 0，无需使用账期。"), code="nothing_to_finance")
    if Receivable.objects.filter(order_id=order.pk).exists():
        raise Conflict(_("该订单已使用账期。"), code="already_on_account")
    available = to_money(line.available)
    if total > available:
        raise BusinessRuleError(
            _("可用额度 %(available)s，本单 %(total)s，超出 %(excess)s。")
            % {"available": format_cny(available), "total": format_cny(total),
               "excess": format_cny(total - available)},
            code="credit_limit_exceeded", details={"available": str(available), "total": str(total)})
    line.outstanding = to_money(line.outstanding + total)
    line.save(update_fields=["outstanding", "updated_at"])
    today = timezone.localdate()
    receivable = Receivable.objects.create(company_id=order.buyer_id, order=order, amount=total, issued_on=today,
                                           due_on=today + timedelta(days=term))
    audit.record(actor=by, action="crm.credit_reserved", subject=receivable, company=line.company,
                 before=format_cny(line.outstanding - total), after=format_cny(line.outstanding),
                 reason=order.number)
    return receivable


@transaction.atomic
def release_credit(*, order, by=None, reason=""):
    """An on-account order cancelled or refunded before any payment: its receivable is cancelled and
    the credit comes back. Safe to call twice; refused once a collection settled part of it."""
    line = CreditLine.objects.select_for_update().filter(company_id=order.buyer_id).first()
    receivable = Receivable.objects.select_for_update().filter(order_id=order.pk).first()
    if receivable is None or receivable.status == Receivable.Status.CANCELLED:
        return receivable
    if receivable.settled > 0 or receivable.status == Receivable.Status.SETTLED:
        raise Conflict(_("该笔应收账款已有回款 %(settled)s，不能直接取消，请由财务处理退款。")
                       % {"settled": format_cny(receivable.settled)}, code="receivable_has_collections")
    receivable.status = Receivable.Status.CANCELLED
    receivable.save(update_fields=["status"])
    if line is not None:
        line.outstanding = max(to_money(line.outstanding - receivable.amount), ZERO)
        line.save(update_fields=["outstanding", "updated_at"])
    audit.record(actor=by, action="crm.credit_released", subject=receivable, before=Receivable.Status.OPEN,
                 after=receivable.status, reason=reason or order.number)
    return receivable


@transaction.atomic
def credit_refund(*, order, amount, by=None, reason="") -> Decimal:
    """A refund on an on-account order first reduces what the buyer still owes on it (a credit
    note): the receivable shrinks and the credit comes back. Returns the part of `amount` that the
    receivable could not absorb because the buyer had already paid it; finance transfers that."""
    amount = to_money(amount)
    line = CreditLine.objects.select_for_update().filter(company_id=order.buyer_id).first()
    receivable = Receivable.objects.select_for_update().filter(order_id=order.pk).first()
    if receivable is None or receivable.status != Receivable.Status.OPEN or amount <= 0:
        return amount if amount > 0 else ZERO
    absorbed = min(amount, receivable.balance)
    before = receivable.balance
    if absorbed == receivable.amount:  # nothing collected yet and all of it refunded
        receivable.status = Receivable.Status.CANCELLED
    else:
        receivable.amount = to_money(receivable.amount - absorbed)
        if receivable.balance == 0:
            receivable.status, receivable.settled_at = Receivable.Status.SETTLED, timezone.now()
    receivable.save(update_fields=["amount", "status", "settled_at"])
    if line is not None:
        line.outstanding = max(to_money(line.outstanding - absorbed), ZERO)
        line.save(update_fields=["outstanding", "updated_at"])
    audit.record(actor=by, action="crm.credit_note", subject=receivable, company=line.company if line else None,
                 before=format_cny(before), after=format_cny(receivable.balance), reason=reason or order.number)
    return to_money(amount - absorbed)


# --- collections --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Allocation:
    receivable_id: int
    amount: Decimal


def _validate_collection(*, company_id, received_on, document_number, amount, method, receiving_bank, acceptor,
                         today):
    errors = {}
    try:
        amount = to_money(amount)
    except (TypeError, ValueError):
        amount = None
    if amount is None or amount <= 0:
        errors["amount"] = _("回款金额应大于 0。")
    if not document_number:
        errors["document_number"] = _("请填写单据号。")
    elif Collection.objects.filter(company_id=company_id, document_number=document_number).exists():
        errors["document_number"] = _("单据号 %(number)s 已登记过。") % {"number": document_number}
    if not receiving_bank:
        errors["receiving_bank"] = _("请填写收款银行。")
    if method not in Collection.Method.values:
        errors["method"] = _("请选择回款方式。")
    elif method == Collection.Method.ACCEPTANCE_BILL and not acceptor:
        errors["acceptor"] = _("银行承兑汇票必须填写承兑人。")
    if not isinstance(received_on, date):
        errors["received_on"] = _("请填写回款日期。")
    elif received_on > today:
        errors["received_on"] = _("回款日期不能晚于今天。")
    if errors:
        raise BusinessRuleError(next(iter(errors.values())) if len(errors) == 1 else _("回款信息有误，请检查后重试。"),
                                code="invalid_collection", details=errors)
    return amount


@transaction.atomic
def record_collection(*, by, company_id, received_on, document_number, amount, receiving_bank,
                      method=Collection.Method.TRANSFER, acceptor="", department="", note="", order_id=None,
                      receivable_ids=None, allocations=None) -> Collection:
    """Record a payment received from a customer and settle receivables with it: the explicit
    `allocations`, or else the open receivables (of `order_id` / `receivable_ids` when given) oldest
    due first. Allocations never exceed the collection or a receivable's balance; whatever is
    left stays unallocated on the collection."""
    ensure_credit_staff(by)
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        raise NotFound(_("客户不存在。"))
    document_number, receiving_bank = (document_number or "").strip(), (receiving_bank or "").strip()
    acceptor, department = (acceptor or "").strip(), (department or "").strip()
    amount = _validate_collection(company_id=company_id, received_on=received_on, document_number=document_number,
                                  amount=amount, method=method, receiving_bank=receiving_bank, acceptor=acceptor,
                                  today=timezone.localdate())
    if order_id is not None:
        receivable_id = Receivable.objects.filter(order_id=order_id, company_id=company_id).values_list(
            "pk", flat=True).first()
        if receivable_id is None:
            raise BusinessRuleError(_("该订单不是此客户的账期订单。"), code="order_not_on_account",
                                    details={"order": _("没有对应的应收账款。")})
        receivable_ids = [receivable_id]
    line = CreditLine.objects.select_for_update().filter(company_id=company_id).first()
    try:
        with transaction.atomic():
            collection = Collection.objects.create(
                company=company, received_on=received_on, document_number=document_number, amount=amount,
                method=method, receiving_bank=receiving_bank,
                acceptor=acceptor if method == Collection.Method.ACCEPTANCE_BILL else "",
                department=department, note=(note or "").strip()[:300], recorded_by=by,
            )
    except IntegrityError as exc:
        raise Conflict(_("单据号 %(number)s 已登记过。") % {"number": document_number}) from exc
    audit.record(actor=by, action="crm.collection_recorded", subject=collection, company=company,
                 after=format_cny(amount), reason=document_number)
    _allocate(collection=collection, line=line, by=by, receivable_ids=receivable_ids, allocations=allocations)
    notify_company(company, kind="collection", key=f"collection:{collection.pk}",
                   title=_("平台已收到回款 %(amount)s") % {"amount": format_cny(amount)},
                   body=_("单据号 %(number)s，回款日期 %(date)s。") % {"number": document_number, "date": received_on},
                   link=CREDIT_PAGE, permission=CompanyPermission.FINANCE)
    return collection


@transaction.atomic
def allocate_collection(*, by, collection_id, receivable_ids=None, allocations=None) -> Collection:
    """Apply what is still unallocated on a collection (same rules as when it was recorded)."""
    ensure_credit_staff(by)
    collection = Collection.objects.filter(pk=collection_id).first()
    if collection is None:
        raise NotFound(_("回款记录不存在。"))
    line = CreditLine.objects.select_for_update().filter(company_id=collection.company_id).first()
    collection = Collection.objects.select_for_update().get(pk=collection_id)
    _allocate(collection=collection, line=line, by=by, receivable_ids=receivable_ids, allocations=allocations)
    return collection


def unallocated(collection) -> Decimal:
    used = collection.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    return to_money(collection.amount - used)


def _allocate(*, collection, line, by, receivable_ids=None, allocations=None):
    remaining = unallocated(collection)
    open_receivables = Receivable.objects.select_for_update().filter(
        company_id=collection.company_id, status=Receivable.Status.OPEN).order_by("pk")
    if allocations:
        wanted = {}
        for allocation in allocations:
            if allocation.receivable_id in wanted:
                raise BusinessRuleError(_("同一笔应收账款不能重复核销。"), code="duplicate_allocation")
            wanted[allocation.receivable_id] = _positive_money(allocation.amount, "allocations",
                                                               _("核销金额应大于 0。"))
        locked = {r.pk: r for r in open_receivables.filter(pk__in=list(wanted))}
        missing = [pk for pk in wanted if pk not in locked]
        if missing:
            raise BusinessRuleError(_("应收账款 %(ids)s 不属于此客户或已结清。")
                                    % {"ids": ", ".join(map(str, missing))}, code="receivable_not_open")
        plan = []
        for pk, amount in wanted.items():
            receivable = locked[pk]
            if amount > receivable.balance:
                raise BusinessRuleError(
                    _("订单 %(order)s 的应收余额为 %(balance)s，核销 %(amount)s 超出余额。")
                    % {"order": receivable.order.number, "balance": format_cny(receivable.balance),
                       "amount": format_cny(amount)}, code="allocation_exceeds_balance")
            plan.append((receivable, amount))
        total = sum((amount for _r, amount in plan), ZERO)
        if total > remaining:
            raise BusinessRuleError(_("核销合计 %(total)s 超过可核销的回款金额 %(remaining)s。")
                                    % {"total": format_cny(total), "remaining": format_cny(remaining)},
                                    code="allocation_exceeds_collection")
    else:
        candidates = open_receivables if receivable_ids is None else open_receivables.filter(pk__in=receivable_ids)
        candidates = sorted(candidates, key=lambda r: (r.due_on, r.pk))
        if receivable_ids is not None and not candidates:
            raise BusinessRuleError(_("所选应收账款不属于此客户或已结清。"), code="receivable_not_open")
        plan = []
        for receivable in candidates:
            if remaining - sum((amount for _r, amount in plan), ZERO) <= 0:
                break
            left = remaining - sum((amount for _r, amount in plan), ZERO)
            plan.append((receivable, min(receivable.balance, left)))
    settled_at = _settlement_time(collection.received_on)
    allocated = ZERO
    for receivable, amount in plan:
        CollectionAllocation.objects.create(collection=collection, receivable=receivable, amount=amount)
        before = receivable.settled
        receivable.settled = to_money(receivable.settled + amount)
        fields = ["settled"]
        if receivable.settled == receivable.amount:
            receivable.status, receivable.settled_at = Receivable.Status.SETTLED, settled_at
            fields += ["status", "settled_at"]
        receivable.save(update_fields=fields)
        allocated += amount
        audit.record(actor=by, action="crm.receivable_settled", subject=receivable, before=format_cny(before),
                     after=format_cny(receivable.settled), reason=collection.document_number)
    if line is not None and allocated:
        line.outstanding = max(to_money(line.outstanding - allocated), ZERO)
        line.save(update_fields=["outstanding", "updated_at"])
        _refresh_hold(line=line, today=timezone.localdate(), threshold=crm_settings().credit_hold_days_overdue)
    return allocated


def _settlement_time(received_on):
    """Settled when the money arrived: noon of the receiving day (now, if that is still ahead)."""
    moment = timezone.make_aware(datetime.combine(received_on, time(12)))
    return min(moment, timezone.now())


# --- holds and reminders --------------------------------------------------------------------------

def _worst_overdue(company_id, today):
    oldest = Receivable.objects.filter(company_id=company_id, status=Receivable.Status.OPEN).aggregate(
        due=Min("due_on"))["due"]
    return (today - oldest).days if oldest else 0


def _refresh_hold(*, line, today, threshold, by=None):
    """Hold a locked line while a receivable is more than `threshold` days overdue; lift an
    automatic hold when none is. Returns "held", "released" or None."""
    worst = _worst_overdue(line.company_id, today)
    if worst > threshold and not line.on_hold:
        line.on_hold = True
        line.hold_reason = AUTO_HOLD_PREFIX + _("存在逾期超过 %(days)s 天的应收账款（最长逾期 %(worst)s 天）。") % {
            "days": threshold, "worst": worst}
        line.save(update_fields=["on_hold", "hold_reason", "updated_at"])
        audit.record(actor=by, action="crm.credit_hold", subject=line, before="False", after="True",
                     reason=line.hold_reason)
        notify_company(line.company, kind="credit_hold", key=f"credit-hold:{line.pk}:{today}",
                       title=_("账期额度已暂停"), body=line.hold_reason, link=CREDIT_PAGE,
                       permission=CompanyPermission.FINANCE)
        return "held"
    if worst <= threshold and line.on_hold and line.hold_reason.startswith(AUTO_HOLD_PREFIX):
        previous = line.hold_reason
        line.on_hold, line.hold_reason = False, ""
        line.save(update_fields=["on_hold", "hold_reason", "updated_at"])
        audit.record(actor=by, action="crm.credit_hold_released", subject=line, before="True", after="False",
                     reason=_("逾期账款已结清（原因：%(previous)s）") % {"previous": previous})
        notify_company(line.company, kind="credit_hold", key=f"credit-hold-released:{line.pk}:{today}",
                       title=_("账期额度已恢复使用"), link=CREDIT_PAGE, permission=CompanyPermission.FINANCE)
        return "released"
    return None


def apply_credit_holds(*, now=None) -> dict:
    """Daily: hold lines with a receivable more than CrmSettings.credit_hold_days_overdue days
    overdue, release automatic holds where none is. Idempotent."""
    today = _today(now)
    threshold = crm_settings().credit_hold_days_overdue
    overdue = set(Receivable.objects.filter(status=Receivable.Status.OPEN,
                                            due_on__lt=today - timedelta(days=threshold))
                  .values_list("company_id", flat=True))
    to_hold = CreditLine.objects.filter(company_id__in=overdue, on_hold=False)
    to_release = CreditLine.objects.filter(on_hold=True, hold_reason__startswith=AUTO_HOLD_PREFIX).exclude(
        company_id__in=overdue)
    outcome = {"held": 0, "released": 0}
    for line_id in list(to_hold.values_list("pk", flat=True)) + list(to_release.values_list("pk", flat=True)):
        with transaction.atomic():
            line = CreditLine.objects.select_for_update().select_related("company").get(pk=line_id)
            change = _refresh_hold(line=line, today=today, threshold=threshold)
            if change:
                outcome[change] += 1
    return outcome


def remind_overdue_receivables(*, now=None) -> int:
    """Daily: tell each company (finance) and its primary manager about each overdue receivable,
    at most once a day per receivable. Returns the number of receivables reminded."""
    today = _today(now)
    reminded = 0
    with transaction.atomic():
        due = list(Receivable.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("company", "order")
                   .filter(status=Receivable.Status.OPEN, due_on__lt=today)
                   .filter(Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today)).order_by("pk"))
        managers = dict(ClientProfile.objects.filter(company_id__in={r.company_id for r in due},
                                                     primary_manager__isnull=False)
                        .values_list("company_id", "primary_manager"))
        manager_users = {user.pk: user for user in _users(set(managers.values()))}
        hold_after = crm_settings().credit_hold_days_overdue
        for receivable in due:
            days = (today - receivable.due_on).days
            title = _("订单 %(order)s 的应付账款已逾期 %(days)s 天") % {"order": receivable.order.number, "days": days}
            body = _("应付余额 %(balance)s，到期日 %(due)s。请尽快付款，逾期超过 %(limit)s 天将暂停账期额度。") % {
                "balance": format_cny(receivable.balance), "due": receivable.due_on,
                "limit": hold_after}
            key = f"receivable-overdue:{receivable.pk}:{today.isoformat()}"
            notify_company(receivable.company, kind="receivable_overdue", key=key, title=title, body=body,
                           link=CREDIT_PAGE, permission=CompanyPermission.FINANCE)
            manager = manager_users.get(managers.get(receivable.company_id))
            if manager is not None:
                notify(recipient=manager, kind="receivable_overdue", key=f"{key}:manager",
                       title=_("%(company)s：%(title)s") % {"company": receivable.company.name, "title": title},
                       body=body, link=f"/backoffice/crm/receivables/?company={receivable.company_id}")
            reminded += 1
        Receivable.objects.filter(pk__in=[r.pk for r in due]).update(last_reminded_on=today)
    return reminded


def _users(ids):
    from accounts.models import User

    return User.objects.filter(pk__in=ids, is_active=True)


# --- selectors ---------------------------------------------------------------------------------

AGEING_BUCKETS = (
    ("not_due", _("未到期")),
    ("days_0_30", "0–30 天"),
    ("days_31_60", "31–60 天"),
    ("days_61_90", "61–90 天"),
    ("days_90_plus", "90 天以上"),
)


def ageing_bucket(days_overdue: int) -> str:
    if days_overdue < 0:
        return "not_due"
    if days_overdue <= 30:
        return "days_0_30"
    if days_overdue <= 60:
        return "days_31_60"
    if days_overdue <= 90:
        return "days_61_90"
    return "days_90_plus"


def ageing_report(*, as_of=None, company_id=None):
    """Open balances by days overdue (as_of − due_on), per customer and in total, one statement."""
    as_of = as_of or timezone.localdate()
    balance = F("amount") - F("settled")

    def between(newest, oldest=None):
        condition = Q(due_on__lte=as_of - timedelta(days=newest))
        if oldest is not None:
            condition &= Q(due_on__gte=as_of - timedelta(days=oldest))
        return Sum(balance, filter=condition, default=ZERO)

    receivables = Receivable.objects.filter(status=Receivable.Status.OPEN)
    if company_id:
        receivables = receivables.filter(company_id=company_id)
    rows = list(receivables.values("company_id", "company__name").annotate(
        not_due=Sum(balance, filter=Q(due_on__gt=as_of), default=ZERO),
        days_0_30=between(0, 30), days_31_60=between(31, 60), days_61_90=between(61, 90),
        days_90_plus=between(91), total=Sum(balance, default=ZERO), count=Count("id"),
    ).order_by("company__name", "company_id"))
    totals = {key: sum((row[key] for row in rows), ZERO) for key, _label in AGEING_BUCKETS}
    totals["total"] = sum((row["total"] for row in rows), ZERO)
    totals["count"] = sum(row["count"] for row in rows)
    return rows, totals


def receivables_for_staff(*, company_id=None, status=None, overdue=False, today=None):
    today = today or timezone.localdate()
    receivables = Receivable.objects.select_related("company", "order").order_by("due_on", "pk")
    if company_id:
        receivables = receivables.filter(company_id=company_id)
    if status:
        receivables = receivables.filter(status=status)
    if overdue:
        receivables = receivables.filter(status=Receivable.Status.OPEN, due_on__lt=today)
    return receivables


def receivables_of(company, *, status=None):
    receivables = Receivable.objects.filter(company=company).select_related("order").order_by("due_on", "pk")
    return receivables.filter(status=status) if status else receivables


def collections_of(company):
    return Collection.objects.filter(company=company).prefetch_related("allocations__receivable__order")


def pending_applications():
    return (CreditApplication.objects.filter(status=CreditApplication.Status.SUBMITTED)
            .select_related("company", "score", "submitted_by")
            .order_by(tier_rank_expression("company").desc(), "submitted_at", "pk"))


def credit_position(company) -> dict:
    """What the member page and the API show: the line, what is available, the latest score."""
    line = CreditLine.objects.filter(company=company).first()
    score = latest_score(company)
    return {
        "line": line,
        "limit": line.limit if line else ZERO,
        "term_days": line.term_days if line else None,
        "outstanding": line.outstanding if line else ZERO,
        "available": to_money(line.available) if line else ZERO,
        "on_hold": bool(line and line.on_hold),
        "hold_reason": line.hold_reason if line else "",
        "score": score,
        "band": score_band(score.score) if score else None,
    }


def days_overdue(receivable, today=None) -> int:
    today = today or timezone.localdate()
    return max((today - receivable.due_on).days, 0) if receivable.status == Receivable.Status.OPEN else 0


def probability_percent(score) -> str:
    return f"{float(score.probability_of_default) * 100:.2f}%" if score else ""

