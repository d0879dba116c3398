"""Customer tiers and their benefits (SPEC §4): the tier review, tier rules, the rebate ladder and
the priority ordering staff queues use.

The review and the rebate accrual are set-based: one SQL statement computes every company's
figures and upserts the result, so 100,000 companies take seconds rather than one query each.
Only the companies whose tier changed come back to Python, to record the change with its reason
and to notify the company and its account managers (again in one INSERT per kind).
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Company
from core import audit
from core.errors import BusinessRuleError, NotAllowed, NotFound
from core.money import ZERO, format_cny, to_money
from core.permissions import StaffRole, has_staff_role
from crm.models import (
    MAJOR_TIERS,
    TIER_RANK,
    ClientProfile,
    RebateAccrual,
    RebateRule,
    Tier,
    TierChange,
    TierReview,
    TierRule,
)
from crm.priority import tier_rank_expression  # noqa: F401 (part of this module's interface)
from orders.models import Order
from orders.selectors import COUNTED

TIER_STAFF = (StaffRole.ADMINISTRATOR, StaffRole.ACCOUNT_MANAGER)
RULE_EDITORS = (StaffRole.ADMINISTRATOR,)
TRAILING_DAYS = 365


# --- benefits: the one table ---------------------------------------------------------------------

@dataclass(frozen=True)
class TierBenefits:
    """What a tier entitles a company to. The rebate rate is not here: it follows the year's
    purchases on the rebate ladder, whatever the tier."""

    priority_service: bool  # served first in every staff queue (tier_rank_expression)
    stock_reservation: bool  # sellers may hold stock for the client
    credit_terms: bool  # may apply for payment on account (账期)
    account_manager: bool  # a primary and an assistant account manager
    chief_manager: bool  # a chief account manager (Platinum and above)
    quarterly_review: bool  # a quarterly review by its manager


TIER_BENEFITS = {
    Tier.ORDINARY: TierBenefits(False, False, False, False, False, False),
    Tier.VIP: TierBenefits(True, True, True, True, False, True),
    Tier.GOLD: TierBenefits(True, True, True, True, False, True),
    Tier.PLATINUM: TierBenefits(True, True, True, True, True, True),
    Tier.DIAMOND: TierBenefits(True, True, True, True, True, True),
}

BENEFIT_LABELS = {
    "priority_service": gettext_lazy("优先服务（后台各类工作队列优先处理）"),
    "stock_reservation": gettext_lazy("库存预留"),
    "credit_terms": gettext_lazy("可申请账期（30/60/90 天）"),
    "account_manager": gettext_lazy("专属客户经理（主客户经理 + 协办客户经理）"),
    "chief_manager": gettext_lazy("首席客户经理"),
    "quarterly_review": gettext_lazy("客户经理季度回顾"),
}


def tier_benefits(tier) -> TierBenefits:
    return TIER_BENEFITS[Tier(tier)]


def benefit_rows(tier):
    """[(label, granted)] in a fixed order, for pages and the API."""
    benefits = tier_benefits(tier)
    return [(str(BENEFIT_LABELS[name]), getattr(benefits, name)) for name in BENEFIT_LABELS]


def is_major(tier) -> bool:
    return tier in MAJOR_TIERS


def tier_of(company) -> str:
    """The company's current tier (ordinary when it was never reviewed)."""
    return ClientProfile.objects.filter(company=company).values_list("tier", flat=True).first() or Tier.ORDINARY


def may_use_credit_terms(company) -> bool:
    """Credit terms are a benefit of the major tiers (the credit services ask here)."""
    return tier_benefits(tier_of(company)).credit_terms


def tier_label(tier) -> str:
    return str(Tier(tier).label)


# --- priority ordering ---------------------------------------------------------------------------

# --- purchases -----------------------------------------------------------------------------------

def _purchase_time():
    # When an order counts: the time it was paid, or when it was placed if it has no payment time.
    return Coalesce("paid_at", "placed_at")


def counted_orders(*, company, since, until):
    """The company's purchases that count for tiers and rebates in [since, until): paid, shipped,
    received or completed orders, dated by payment (or placement)."""
    return (Order.objects.filter(buyer=company, status__in=COUNTED)
            .alias(counted_at=_purchase_time())
            .annotate(net_amount=F("total") - F("amount_refunded"))
            .filter(counted_at__gte=since, counted_at__lt=until)
            .select_related("seller")
            .order_by("paid_at", "placed_at", "id"))


def net_purchases(*, company, since, until) -> Decimal:
    """Purchases net of refunds in [since, until)."""
    total = counted_orders(company=company, since=since, until=until).aggregate(
        amount=Sum(F("total") - F("amount_refunded")))["amount"]
    return to_money(total or 0)


def trailing_window(now=None):
    now = now or timezone.now()
    return now - timedelta(days=TRAILING_DAYS), now


def year_window(year):
    tz = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def purchases_12m(*, company, now=None) -> Decimal:
    since, until = trailing_window(now)
    return net_purchases(company=company, since=since, until=until + timedelta(microseconds=1))


# --- the tier review -----------------------------------------------------------------------------

_REVIEW_SQL = """
WITH rules AS (
    SELECT r.tier, ranks.rank, r.min_purchases_12m AS min_purchases, r.min_years_on_platform AS min_years,
           r.strategic_qualifies
    FROM crm_tierrule r
    JOIN unnest(%(tiers)s::text[], %(ranks)s::int[]) AS ranks(tier, rank) ON ranks.tier = r.tier
    WHERE r.is_active
),
purchases AS (
    SELECT o.buyer_id AS company_id, SUM(o.total - o.amount_refunded) AS amount
    FROM orders_order o
    WHERE o.status = ANY(%(counted)s::text[])
      AND COALESCE(o.paid_at, o.placed_at) >= %(since)s AND COALESCE(o.paid_at, o.placed_at) <= %(now)s
    GROUP BY o.buyer_id
),
facts AS (
    SELECT c.id AS company_id, c.name,
           COALESCE(p.amount, 0)::numeric(16, 2) AS purchases,
           GREATEST(EXTRACT(YEAR FROM age(%(now)s AT TIME ZONE %(tz)s,
                                          COALESCE(c.verified_at, c.created_at) AT TIME ZONE %(tz)s)), 0)::int
               AS years,
           COALESCE(cp.is_strategic, false) AS strategic,
           COALESCE(cp.tier, 'ordinary') AS old_tier
    FROM accounts_company c
    LEFT JOIN purchases p ON p.company_id = c.id
    LEFT JOIN crm_clientprofile cp ON cp.company_id = c.id
    WHERE c.status <> 'deregistered'
),
decided AS (
    SELECT f.*, COALESCE(best.tier, 'ordinary') AS new_tier, best.min_purchases AS rule_min,
           best.min_years AS rule_years, COALESCE(best.via_strategic, false) AS via_strategic
    FROM facts f
    LEFT JOIN LATERAL (
        SELECT r.tier, r.min_purchases, r.min_years,
               NOT (f.purchases >= r.min_purchases AND f.years >= r.min_years) AS via_strategic
        FROM rules r
        WHERE (f.purchases >= r.min_purchases AND f.years >= r.min_years) OR (r.strategic_qualifies AND f.strategic)
        ORDER BY r.rank DESC
        LIMIT 1
    ) best ON true
),
upserted AS (
    INSERT INTO crm_clientprofile (company_id, tier, tier_since, purchases_12m, reviewed_at, is_strategic,
                                   strategic_note, reminders_opted_out)
    SELECT company_id, new_tier, %(now)s, purchases, %(now)s, false, '', false FROM decided
    ON CONFLICT (company_id) DO UPDATE SET
        tier = EXCLUDED.tier,
        tier_since = CASE WHEN crm_clientprofile.tier = EXCLUDED.tier THEN crm_clientprofile.tier_since
                          ELSE EXCLUDED.tier_since END,
        purchases_12m = EXCLUDED.purchases_12m,
        reviewed_at = EXCLUDED.reviewed_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted),
       COALESCE(json_agg(json_build_array(company_id, name, old_tier, new_tier, purchases::text, years,
                                          rule_min::text, rule_years, via_strategic))
                FILTER (WHERE old_tier <> new_tier), '[]'::json)
FROM decided
"""


@dataclass(frozen=True)
class _Change:
    company_id: int
    name: str
    from_tier: str
    to_tier: str
    purchases: Decimal
    years: int
    rule_min: Decimal | None
    rule_years: int | None
    via_strategic: bool


def _active_rules():
    return {rule.tier: rule for rule in TierRule.objects.filter(is_active=True)}


def change_reason(change: _Change, rules) -> str:
    """Why a company moved: the figures the rule used, in words staff and buyers read."""
    amount = format_cny(change.purchases)
    if change.to_tier == Tier.ORDINARY:
        if not rules:
            return _("未启用任何分层规则")
        lowest = min(rules.values(), key=lambda rule: TIER_RANK[rule.tier])
        if change.purchases >= lowest.min_purchases_12m:
            return _("入驻 %(years)s 年，未满%(tier)s要求的 %(min_years)s 年") % {
                "years": change.years, "tier": tier_label(lowest.tier), "min_years": lowest.min_years_on_platform}
        return _("近 12 个月采购额 %(amount)s 未达到%(tier)s门槛 %(threshold)s") % {
            "amount": amount, "tier": tier_label(lowest.tier), "threshold": format_cny(lowest.min_purchases_12m)}
    if change.via_strategic:
        reason = _("战略客户，按规则直接评为%(tier)s（近 12 个月采购额 %(amount)s）") % {
            "tier": tier_label(change.to_tier), "amount": amount}
    else:
        reason = _("近 12 个月采购额 %(amount)s ≥ %(tier)s门槛 %(threshold)s") % {
            "amount": amount, "tier": tier_label(change.to_tier), "threshold": format_cny(change.rule_min)}
        if change.rule_years:
            reason += _("，入驻 %(years)s 年 ≥ %(min_years)s 年") % {
                "years": change.years, "min_years": change.rule_years}
    if TIER_RANK[change.to_tier] < TIER_RANK[change.from_tier]:
        old_rule = rules.get(change.from_tier)
        if old_rule is None:
            reason = _("%(tier)s规则已停用；") % {"tier": tier_label(change.from_tier)} + reason
        else:
            reason = _("未达到%(tier)s门槛 %(threshold)s；") % {
                "tier": tier_label(change.from_tier), "threshold": format_cny(old_rule.min_purchases_12m)} + reason
    return reason[:300]


def review_tiers(*, by=None, now=None) -> TierReview:
    """Recompute every company's tier from its trailing-12-month purchases (net of refunds), its
    years on the platform and the strategic flag: the highest active rule it meets, otherwise
    ordinary. Records a TierChange with its reason for each company that moved, notifies the
    company and its account managers once per change, and accrues the year's rebates. A second
    run with the same data changes and sends nothing."""
    if by is not None and not has_staff_role(by, *TIER_STAFF):
        raise NotAllowed(_("只有管理员或客户经理可以发起客户分层评估。"))
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # One review at a time: a second one waits and then finds nothing to change.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('crm.review_tiers'))")
        review = TierReview.objects.create(started_at=now, started_by=by)
        rules = _active_rules()
        since = now - timedelta(days=TRAILING_DAYS)
        with connection.cursor() as cursor:
            cursor.execute(_REVIEW_SQL, {
                "tiers": list(TIER_RANK), "ranks": list(TIER_RANK.values()), "counted": list(COUNTED),
                "since": since, "now": now, "tz": settings.TIME_ZONE,
            })
            reviewed, rows = cursor.fetchone()
        if isinstance(rows, str):
            rows = json.loads(rows)
        changes = [
            _Change(company_id=row[0], name=row[1], from_tier=row[2], to_tier=row[3], purchases=Decimal(row[4]),
                    years=row[5], rule_min=Decimal(row[6]) if row[6] is not None else None, rule_years=row[7],
                    via_strategic=row[8])
            for row in rows
        ]
        reasons = [change_reason(change, rules) for change in changes]
        _record_changes(review=review, changes=changes, reasons=reasons, by=by, now=now)
        _notify_changes(changes=changes, reasons=reasons, now=now)
        for year in rebate_years_due(timezone.localdate(now)):
            accrue_rebates(year=year, now=now)
        review.finished_at = timezone.now()
        review.companies_reviewed = reviewed
        review.changes = len(changes)
        review.save(update_fields=["finished_at", "companies_reviewed", "changes"])
        audit.record(actor=by, action="crm.tier_review", subject=review, after=str(len(changes)),
                     reason=_("评估 %(companies)s 家企业，%(changes)s 家等级变化") % {
                         "companies": reviewed, "changes": len(changes)},
                     data={"companies": reviewed, "changes": len(changes)})
    return review


def _record_changes(*, review, changes, reasons, by, now):
    if not changes:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO crm_tierchange
                (company_id, review_id, from_tier, to_tier, purchases_12m, years_on_platform, reason,
                 changed_by_id, changed_at)
            SELECT company_id, %s, from_tier, to_tier, purchases, years, reason, %s, %s
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::numeric[], %s::int[], %s::text[])
                 AS x(company_id, from_tier, to_tier, purchases, years, reason)
            """,
            [review.pk, by.pk if by is not None else None, now,
             [c.company_id for c in changes], [c.from_tier for c in changes], [c.to_tier for c in changes],
             [c.purchases for c in changes], [c.years for c in changes], reasons],
        )


def change_key(company_id, to_tier, day):
    """The identity of a tier change, independent of the review that found it."""
    return f"tier:{company_id}:{to_tier}:{day.isoformat()}"


_NOTIFY_MEMBERS_SQL = """
INSERT INTO core_notification
    (recipient_id, kind, dedup_key, title, body, link, send_email, created_at)
SELECT m.user_id, %(kind)s, left(x.key || ':' || m.user_id, 200), left(x.title, 200), x.body, %(link)s,
       COALESCE(u.email, '') <> '', %(now)s
FROM unnest(%(companies)s::bigint[], %(keys)s::text[], %(titles)s::text[], %(bodies)s::text[])
     AS x(company_id, key, title, body)
JOIN accounts_membership m ON m.company_id = x.company_id AND m.is_main AND m.is_active
JOIN accounts_user u ON u.id = m.user_id
ON CONFLICT (recipient_id, dedup_key) DO NOTHING
RETURNING id, send_email
"""

_NOTIFY_MANAGERS_SQL = """
INSERT INTO core_notification
    (recipient_id, kind, dedup_key, title, body, link, send_email, created_at)
SELECT DISTINCT ON (managers.user_id, x.key)
       managers.user_id, %(kind)s, left(x.key || ':manager', 200), left(x.title, 200), x.body, x.link,
       COALESCE(u.email, '') <> '', %(now)s
FROM unnest(%(companies)s::bigint[], %(keys)s::text[], %(titles)s::text[], %(bodies)s::text[], %(links)s::text[])
     AS x(company_id, key, title, body, link)
JOIN crm_clientprofile cp ON cp.company_id = x.company_id
CROSS JOIN LATERAL unnest(ARRAY[cp.primary_manager_id, cp.assistant_manager_id, cp.chief_manager_id])
     AS managers(user_id)
JOIN accounts_user u ON u.id = managers.user_id AND u.is_active
ON CONFLICT (recipient_id, dedup_key) DO NOTHING
RETURNING id, send_email
"""


def _notify_changes(*, changes, reasons, now):
    """Tell each changed company (its main account, as accounts.services.notify_company does) and its
    account managers, in one INSERT each; the dedup keys make a repeat send nothing."""
    if not changes:
        return
    day = timezone.localdate(now)
    keys = [change_key(c.company_id, c.to_tier, day) for c in changes]
    companies = [c.company_id for c in changes]
    company_titles = [_("贵司客户等级已调整为%(tier)s") % {"tier": tier_label(c.to_tier)} for c in changes]
    company_bodies = [_("原等级：%(old)s。%(reason)s") % {"old": tier_label(c.from_tier), "reason": reason}
                      for c, reason in zip(changes, reasons, strict=True)]
    manager_titles = [_("%(company)s 客户等级变化：%(old)s → %(new)s") % {
        "company": c.name, "old": tier_label(c.from_tier), "new": tier_label(c.to_tier)} for c in changes]
    manager_links = [reverse("backoffice-crm:client", args=[c.company_id]) for c in changes]
    sent = []
    with connection.cursor() as cursor:
        cursor.execute(_NOTIFY_MEMBERS_SQL, {
            "kind": "crm.tier_changed", "link": reverse("member-crm:benefits"), "now": now,
            "companies": companies, "keys": keys, "titles": company_titles, "bodies": company_bodies,
        })
        sent += cursor.fetchall()
        cursor.execute(_NOTIFY_MANAGERS_SQL, {
            "kind": "crm.client_tier_changed", "now": now, "companies": companies, "keys": keys,
            "titles": manager_titles, "bodies": reasons, "links": manager_links,
        })
        sent += cursor.fetchall()
    to_email = [notification_id for notification_id, send_email in sent if send_email]
    if to_email:
        from core.tasks import send_notification_email

        def queue_emails():
            for notification_id in to_email:
                send_notification_email.delay(notification_id=notification_id)

        transaction.on_commit(queue_emails, robust=True)


# --- strategic flag ------------------------------------------------------------------------------

def locked_profile(company_id) -> ClientProfile:
    """The company's client profile, created when missing, locked for the caller's transaction."""
    if not Company.objects.filter(pk=company_id).exists():
        raise NotFound(_("未找到该企业。"))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_clientprofile (company_id, tier, tier_since, purchases_12m, is_strategic,"
            " strategic_note, reminders_opted_out) VALUES (%s, %s, %s, 0, false, '', false)"
            " ON CONFLICT (company_id) DO NOTHING",
            [company_id, Tier.ORDINARY, timezone.now()],
        )
    return ClientProfile.objects.select_for_update().select_related("company").get(company_id=company_id)


@transaction.atomic
def set_strategic(*, by, company_id, strategic, note="") -> ClientProfile:
    """Staff mark a company strategic (or not). Tier rules with "strategic qualifies" then rank it
    at the next review."""
    if not has_staff_role(by, *TIER_STAFF):
        raise NotAllowed(_("只有管理员或客户经理可以设置战略客户。"))
    note = (note or "").strip()
    if strategic and not note:
        raise BusinessRuleError(_("请说明设为战略客户的原因。"), code="note_required",
                                details={"note": _("请填写说明。")})
    profile = locked_profile(company_id)
    if profile.is_strategic == bool(strategic):
        raise BusinessRuleError(_("该企业已是战略客户。") if strategic else _("该企业不是战略客户。"),
                                code="unchanged")
    before = profile.is_strategic
    profile.is_strategic = bool(strategic)
    profile.strategic_note = note[:300]
    profile.save(update_fields=["is_strategic", "strategic_note"])
    audit.record(actor=by, action="crm.strategic", subject=profile, company=profile.company,
                 before=_("是") if before else _("否"), after=_("是") if strategic else _("否"), reason=note)
    return profile


# --- tier rules ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleData:
    tier: str
    min_purchases_12m: Decimal
    min_years_on_platform: int
    strategic_qualifies: bool
    is_active: bool


def check_rule_order(rules: list[RuleData]):
    """Active thresholds must rise with the tier: VIP < Gold < Platinum < Diamond."""
    errors = {}
    active = sorted((rule for rule in rules if rule.is_active), key=lambda rule: TIER_RANK[rule.tier])
    for lower, higher in zip(active, active[1:], strict=False):
        if higher.min_purchases_12m <= lower.min_purchases_12m:
            errors[higher.tier] = _("%(higher)s门槛 %(high)s 必须高于%(lower)s门槛 %(low)s。") % {
                "higher": tier_label(higher.tier), "high": format_cny(higher.min_purchases_12m),
                "lower": tier_label(lower.tier), "low": format_cny(lower.min_purchases_12m)}
    for rule in rules:
        if rule.min_purchases_12m < 0:
            errors[rule.tier] = _("门槛金额不能为负数。")
        if rule.tier == Tier.ORDINARY:
            errors[rule.tier] = _("普通客户无需规则。")
    if errors:
        raise BusinessRuleError(_("等级门槛须随等级升高而提高，请检查后重试。") + " " + " ".join(
            str(message) for message in errors.values()), code="rule_order", details=errors)


@transaction.atomic
def update_tier_rules(*, by, rules: list[RuleData]) -> list[TierRule]:
    """Staff change the tier rules together (so thresholds can move past one another); each
    changed rule is audited. Applied at the next review."""
    if not has_staff_role(by, *RULE_EDITORS):
        raise NotAllowed(_("只有管理员可以修改分层规则。"))
    rules = [RuleData(tier=rule.tier, min_purchases_12m=to_money(rule.min_purchases_12m),
                      min_years_on_platform=int(rule.min_years_on_platform),
                      strategic_qualifies=bool(rule.strategic_qualifies), is_active=bool(rule.is_active))
             for rule in rules]
    given = {rule.tier for rule in rules}
    existing = {rule.tier: rule for rule in TierRule.objects.select_for_update()}
    # Rules not in the request stay as they are and still count for the order check.
    merged = rules + [RuleData(tier=rule.tier, min_purchases_12m=rule.min_purchases_12m,
                               min_years_on_platform=rule.min_years_on_platform,
                               strategic_qualifies=rule.strategic_qualifies, is_active=rule.is_active)
                      for tier, rule in existing.items() if tier not in given]
    check_rule_order(merged)
    saved = []
    for data in rules:
        rule = existing.get(data.tier) or TierRule(tier=data.tier, min_purchases_12m=data.min_purchases_12m)
        before = _rule_text(rule) if rule.pk else ""
        fields = ["min_purchases_12m", "min_years_on_platform", "strategic_qualifies", "is_active"]
        if rule.pk and all(getattr(rule, field) == getattr(data, field) for field in fields):
            saved.append(rule)
            continue
        for field in fields:
            setattr(rule, field, getattr(data, field))
        rule.updated_by = by
        if rule.pk:
            rule.save(update_fields=[*fields, "updated_by", "updated_at"])
        else:
            rule.save()
        audit.record(actor=by, action="crm.tier_rule", subject=rule, before=before, after=_rule_text(rule))
        saved.append(rule)
    return saved


def _rule_text(rule):
    text = f"≥ {format_cny(rule.min_purchases_12m)}"
    if rule.min_years_on_platform:
        text += _("，入驻 ≥ %(years)s 年") % {"years": rule.min_years_on_platform}
    if rule.strategic_qualifies:
        text += _("，战略客户直接达到")
    if not rule.is_active:
        text += _("（停用）")
    return text


def tier_rules():
    """Every rule, highest tier first."""
    return sorted(TierRule.objects.select_related("updated_by"), key=lambda rule: -TIER_RANK[rule.tier])


def recent_reviews(limit=10):
    return TierReview.objects.select_related("started_by")[:limit]


# --- rebates -------------------------------------------------------------------------------------

def rebate_years_due(today):
    """The current year, and in January also the last one (late refunds still change it)."""
    return [today.year - 1, today.year] if today.month == 1 else [today.year]


_ACCRUE_SQL = """
WITH purchases AS (
    SELECT o.buyer_id AS company_id, SUM(o.total - o.amount_refunded)::numeric(16, 2) AS amount
    FROM orders_order o
    WHERE o.status = ANY(%(counted)s::text[])
      AND COALESCE(o.paid_at, o.placed_at) >= %(start)s AND COALESCE(o.paid_at, o.placed_at) < %(end)s
    GROUP BY o.buyer_id
),
earning AS (
    SELECT p.company_id, p.amount, COALESCE(step.rate_percent, 0) AS rate_percent
    FROM purchases p
    LEFT JOIN LATERAL (
        SELECT r.rate_percent FROM crm_rebaterule r
        WHERE r.is_active AND r.min_annual_purchases <= p.amount
        ORDER BY r.min_annual_purchases DESC LIMIT 1
    ) step ON true
    UNION ALL
    -- Accruals whose purchases have all been refunded or cancelled since: back to nothing.
    SELECT a.company_id, 0, 0 FROM crm_rebateaccrual a
    WHERE a.year = %(year)s AND NOT EXISTS (SELECT 1 FROM purchases p WHERE p.company_id = a.company_id)
),
upserted AS (
    INSERT INTO crm_rebateaccrual (company_id, year, purchases, rate_percent, amount, computed_at)
    SELECT company_id, %(year)s, amount, rate_percent, round(amount * rate_percent / 100, 2), %(now)s FROM earning
    ON CONFLICT (company_id, year) DO UPDATE SET
        purchases = EXCLUDED.purchases, rate_percent = EXCLUDED.rate_percent, amount = EXCLUDED.amount,
        computed_at = EXCLUDED.computed_at
    WHERE (crm_rebateaccrual.purchases, crm_rebateaccrual.rate_percent, crm_rebateaccrual.amount)
          IS DISTINCT FROM (EXCLUDED.purchases, EXCLUDED.rate_percent, EXCLUDED.amount)
    RETURNING 1
)
SELECT count(*) FROM upserted
"""


@transaction.atomic
def accrue_rebates(*, year, now=None) -> int:
    """Each company's rebate for `year` from its purchases that year (net of refunds) and the
    rate of the highest ladder step they reach. Recomputed, never added to, so running it again
    changes nothing; returns how many accruals were written or changed."""
    year = int(year)
    if not 2000 <= year <= 2100:
        raise BusinessRuleError(_("年度无效。"), code="invalid_year")
    now = now or timezone.now()
    start, end = year_window(year)
    with connection.cursor() as cursor:
        cursor.execute(_ACCRUE_SQL, {"counted": list(COUNTED), "start": start, "end": end, "year": year, "now": now})
        (changed,) = cursor.fetchone()
    return changed


def rebate_rules():
    return list(RebateRule.objects.filter(is_active=True).order_by("min_annual_purchases"))


def rebate_rate_for(amount) -> Decimal:
    step = (RebateRule.objects.filter(is_active=True, min_annual_purchases__lte=amount)
            .order_by("-min_annual_purchases").first())
    return step.rate_percent if step else Decimal("0")


def accruals_of(company):
    return RebateAccrual.objects.filter(company=company).order_by("-year")


def rebate_statement(*, company, year):
    """What the rebate statement PDF shows: the year's counted orders, the total, the rate and
    the rebate (as accrued, or computed now when the year has not been accrued yet)."""
    start, end = year_window(year)
    orders = list(counted_orders(company=company, since=start, until=end))
    purchases = to_money(sum((order.net_amount for order in orders), ZERO))
    accrual = RebateAccrual.objects.filter(company=company, year=year).first()
    rate = rebate_rate_for(purchases)
    return {
        "company": company, "year": year, "orders": orders, "purchases": purchases, "rate_percent": rate,
        "amount": to_money(purchases * rate / 100), "accrual": accrual, "ladder": rebate_rules(),
        "generated_at": timezone.now(),
    }


# --- what a company sees -------------------------------------------------------------------------

def tier_position(*, company, now=None):
    """The company's tier, live trailing-12-month purchases, the next tier and the gap to it,
    the benefits of its tier and its rebate accruals: the member page and the API."""
    profile = ClientProfile.objects.filter(company=company).first()
    tier = profile.tier if profile else Tier.ORDINARY
    now = now or timezone.now()
    amount = purchases_12m(company=company, now=now)
    years = _years_on_platform(company, now)
    rules = _active_rules()
    higher = sorted((rule for rule in rules.values() if TIER_RANK[rule.tier] > TIER_RANK[tier]),
                    key=lambda rule: TIER_RANK[rule.tier])
    next_rule = higher[0] if higher else None
    next_tier = None
    if next_rule is not None:
        gap = max(next_rule.min_purchases_12m - amount, ZERO)
        progress = 100 if next_rule.min_purchases_12m <= 0 else min(
            int(amount * 100 / next_rule.min_purchases_12m), 100)
        next_tier = {
            "tier": next_rule.tier, "label": tier_label(next_rule.tier),
            "threshold": next_rule.min_purchases_12m, "gap": to_money(gap), "progress_percent": progress,
            "min_years": next_rule.min_years_on_platform,
            "years_missing": max(next_rule.min_years_on_platform - years, 0),
        }
    this_year = timezone.localdate(now).year
    year_purchases = net_purchases(company=company, since=year_window(this_year)[0], until=year_window(this_year)[1])
    return {
        "tier": tier, "tier_label": tier_label(tier), "is_major": is_major(tier),
        "tier_since": profile.tier_since if profile else None, "reviewed_at": profile.reviewed_at if profile else None,
        "is_strategic": bool(profile and profile.is_strategic),
        "purchases_12m": amount, "years_on_platform": years, "next_tier": next_tier,
        "benefits": benefit_rows(tier), "benefit_flags": tier_benefits(tier),
        "year": this_year, "year_purchases": year_purchases, "rebate_rate": rebate_rate_for(year_purchases),
        "rebate_ladder": rebate_rules(), "accruals": list(accruals_of(company)),
        "history": list(TierChange.objects.filter(company=company)[:10]),
    }


def _years_on_platform(company, now):
    start = timezone.localdate(company.verified_at or company.created_at)
    today = timezone.localdate(now)
    years = today.year - start.year - ((today.month, today.day) < (start.month, start.day))
    return max(years, 0)


def major_client_filter():
    return Q(client_profile__tier__in=MAJOR_TIERS)
