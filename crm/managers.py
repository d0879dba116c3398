"""Account managers (SPEC §4): who manages which client, handovers, quarterly review tasks, visits
and notes, and the customer 360 view staff work from."""

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, User
from core import audit
from core.errors import BusinessRuleError, NotAllowed, NotFound
from core.notifications import notify
from core.permissions import StaffRole, has_staff_role
from crm import tiers
from crm.models import (
    MAJOR_TIERS,
    TIER_RANK,
    ClientNote,
    ClientProfile,
    Handover,
    ManagerRole,
    ReviewTask,
    Tier,
    TierChange,
    Visit,
)

MANAGER_STAFF = (StaffRole.ADMINISTRATOR, StaffRole.ACCOUNT_MANAGER)
ROLE_FIELDS = {
    ManagerRole.PRIMARY: "primary_manager",
    ManagerRole.ASSISTANT: "assistant_manager",
    ManagerRole.CHIEF: "chief_manager",
}
CHIEF_MIN_TIER = Tier.PLATINUM


def _ensure_staff(user):
    if not has_staff_role(user, *MANAGER_STAFF):
        raise NotAllowed(_("只有管理员或客户经理可以执行此操作。"))


def is_account_manager(user) -> bool:
    return user is not None and user.is_active and has_staff_role(user, StaffRole.ACCOUNT_MANAGER)


def managers_of(profile):
    return {user.pk for user in (profile.primary_manager, profile.assistant_manager, profile.chief_manager) if user}


def account_managers():
    """Active staff who hold the account-manager role (or are administrators)."""
    return (User.objects.filter(is_active=True, is_staff=True)
            .filter(Q(groups__name=StaffRole.ACCOUNT_MANAGER) | Q(groups__name=StaffRole.ADMINISTRATOR)
                    | Q(is_superuser=True))
            .distinct().order_by("full_name", "id"))


# --- assigning managers --------------------------------------------------------------------------

@transaction.atomic
def assign_manager(*, by, company_id, role, manager_id, notes="") -> Handover:
    """Give a client a primary, assistant or chief account manager (or take one away with
    manager_id=None), recording the handover: from whom, to whom, who did it, when, notes.
    The manager must be staff with the account-manager role; a chief manager is for Platinum
    and above; one person cannot be both primary and assistant. An account manager may hand
    over only the clients they manage; administrators any."""
    _ensure_staff(by)
    try:
        role = ManagerRole(role)
    except ValueError:
        raise BusinessRuleError(_("客户经理角色无效。"), code="invalid_role",
                                details={"role": _("请选择角色。")}) from None
    profile = tiers.locked_profile(company_id)
    if not has_staff_role(by, StaffRole.ADMINISTRATOR) and by.pk not in managers_of(profile):
        raise NotAllowed(_("您不是该客户的客户经理，只能由管理员或现任客户经理办理交接。"))
    manager = None
    if manager_id:
        manager = User.objects.filter(pk=manager_id).first()
        if manager is None or not is_account_manager(manager):
            raise BusinessRuleError(_("接手人必须是具有“客户经理”角色的在职员工。"), code="not_account_manager",
                                    details={"manager": _("请选择客户经理。")})
    if role == ManagerRole.CHIEF and manager is not None and TIER_RANK[profile.tier] < TIER_RANK[CHIEF_MIN_TIER]:
        raise BusinessRuleError(
            _("首席客户经理只配备给铂金及以上客户；%(company)s 当前为%(tier)s。") % {
                "company": profile.company.name, "tier": profile.get_tier_display()},
            code="chief_needs_platinum", details={"role": _("该客户等级不足铂金。")})
    field = ROLE_FIELDS[role]
    current = getattr(profile, field)
    if (current.pk if current else None) == (manager.pk if manager else None):
        raise BusinessRuleError(_("该客户的%(role)s已是此人，无需交接。") % {"role": role.label}, code="unchanged")
    other = {ManagerRole.PRIMARY: profile.assistant_manager_id, ManagerRole.ASSISTANT: profile.primary_manager_id}
    if manager is not None and other.get(role) == manager.pk:
        raise BusinessRuleError(_("主客户经理与协办客户经理不能是同一人。"), code="same_manager",
                                details={"manager": _("请选择另一位客户经理。")})
    setattr(profile, field, manager)
    profile.save(update_fields=[field])
    handover = Handover.objects.create(
        company=profile.company, role=role, from_manager=current, to_manager=manager, notes=(notes or "").strip(),
        handed_over_by=by, handed_over_at=timezone.now(),
    )
    audit.record(actor=by, action="crm.handover", subject=handover, company=profile.company,
                 before=_label(current), after=_label(manager), reason=handover.notes,
                 data={"role": role.value})
    link = reverse("backoffice-crm:client", args=[profile.company_id])
    if manager is not None:
        notify(recipient=manager, kind="crm.client_assigned", key=f"handover:{handover.pk}:to",
               title=_("您已成为 %(company)s 的%(role)s") % {"company": profile.company.name, "role": role.label},
               body=handover.notes, link=link)
    if current is not None and current.is_active:
        notify(recipient=current, kind="crm.client_handed_over", key=f"handover:{handover.pk}:from",
               title=_("%(company)s 的%(role)s已交接给 %(to)s") % {
                   "company": profile.company.name, "role": role.label, "to": _label(manager)},
               body=handover.notes, link=link)
    return handover


def _label(user):
    if user is None:
        return _("（无）")
    return user.full_name or user.email or str(user.pk)


# --- quarterly reviews ---------------------------------------------------------------------------

def quarter_of(day: date):
    """("2026Q4", last day of that quarter)."""
    quarter = (day.month - 1) // 3 + 1
    last_month = quarter * 3
    next_month_first = date(day.year + (last_month == 12), last_month % 12 + 1, 1)
    return f"{day.year}Q{quarter}", next_month_first - timedelta(days=1)


def create_quarterly_review_tasks(*, now=None) -> list[ReviewTask]:
    """One review task per major client (VIP and above) with a primary manager per quarter, due
    at the quarter's end, for that manager, who is notified. Safe to run every day: a client
    already having this quarter's task gets no second one."""
    now = now or timezone.now()
    quarter, due_on = quarter_of(timezone.localdate(now))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO crm_reviewtask (company_id, manager_id, quarter, due_on, status, summary,
                                                     created_at)
            SELECT cp.company_id, cp.primary_manager_id, %s, %s, %s, '', %s
            FROM crm_clientprofile cp
            JOIN accounts_company c ON c.id = cp.company_id AND c.status <> 'deregistered'
            WHERE cp.tier = ANY(%s::text[]) AND cp.primary_manager_id IS NOT NULL
            ON CONFLICT (company_id, quarter) DO NOTHING
            RETURNING id
            """,
            [quarter, due_on, ReviewTask.Status.OPEN, now, list(MAJOR_TIERS)],
        )
        created_ids = [row[0] for row in cursor.fetchall()]
        created = list(ReviewTask.objects.filter(pk__in=created_ids).select_related("company", "manager"))
        for task in created:
            notify(recipient=task.manager, kind="crm.review_task",
                   key=f"review-task:{task.company_id}:{task.quarter}",
                   title=_("%(quarter)s 季度回顾：%(company)s") % {
                       "quarter": task.quarter, "company": task.company.name},
                   body=_("请在 %(due)s 前完成对该客户的季度回顾。") % {"due": task.due_on.isoformat()},
                   link=reverse("backoffice-crm:client", args=[task.company_id]))
    return created


@transaction.atomic
def complete_review_task(*, by, task_id, summary) -> ReviewTask:
    """The task's manager (or an administrator) closes a quarterly review with its summary."""
    _ensure_staff(by)
    task = ReviewTask.objects.select_for_update().select_related("company").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("未找到该回顾任务。"))
    if task.manager_id != by.pk and not has_staff_role(by, StaffRole.ADMINISTRATOR):
        raise NotAllowed(_("只有该任务的客户经理或管理员可以完成此回顾。"))
    if task.status != ReviewTask.Status.OPEN:
        raise BusinessRuleError(_("该回顾任务已完成。"), code="already_done")
    summary = (summary or "").strip()
    if not summary:
        raise BusinessRuleError(_("请填写回顾总结。"), code="summary_required",
                                details={"summary": _("请填写回顾总结。")})
    task.status, task.summary, task.completed_at = ReviewTask.Status.DONE, summary, timezone.now()
    task.save(update_fields=["status", "summary", "completed_at"])
    audit.record(actor=by, action="crm.review_done", subject=task, company=task.company,
                 before=ReviewTask.Status.OPEN.label, after=ReviewTask.Status.DONE.label, reason=summary[:200])
    return task


# --- visits and notes ----------------------------------------------------------------------------

@transaction.atomic
def record_visit(*, by, company_id, kind, occurred_on, summary, attendees="", next_steps="") -> Visit:
    """Staff record a visit, meeting or call with a client; it cannot be dated in the future."""
    _ensure_staff(by)
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        raise NotFound(_("未找到该企业。"))
    errors = {}
    if kind not in Visit.Kind.values:
        errors["kind"] = _("请选择类型。")
    if occurred_on is None:
        errors["occurred_on"] = _("请填写日期。")
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = _("拜访日期不能晚于今天。")
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = _("请填写纪要。")
    if errors:
        raise BusinessRuleError(_("拜访记录有误：") + " ".join(str(message) for message in errors.values()),
                                code="invalid_visit", details=errors)
    visit = Visit.objects.create(company=company, kind=kind, occurred_on=occurred_on, attendees=(attendees or "")[:300],
                                 summary=summary, next_steps=(next_steps or "").strip(), recorded_by=by)
    audit.record(actor=by, action="crm.visit", subject=visit, company=company, after=visit.get_kind_display(),
                 reason=summary[:200])
    return visit


@transaction.atomic
def add_client_note(*, by, company_id, body) -> ClientNote:
    _ensure_staff(by)
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        raise NotFound(_("未找到该企业。"))
    body = (body or "").strip()
    if not body:
        raise BusinessRuleError(_("备注内容不能为空。"), code="empty_note", details={"body": _("请填写内容。")})
    note = ClientNote.objects.create(company=company, body=body, author=by)
    audit.record(actor=by, action="crm.note", subject=note, company=company, reason=body[:200])
    return note


# --- selectors -----------------------------------------------------------------------------------

def open_review_tasks(*, manager=None):
    tasks = ReviewTask.objects.filter(status=ReviewTask.Status.OPEN).select_related("company", "manager")
    if manager is not None:
        tasks = tasks.filter(manager=manager)
    return tasks.order_by("due_on", "id")


def _profiles():
    return (ClientProfile.objects.select_related("company", "primary_manager", "assistant_manager", "chief_manager")
            .annotate(open_tasks=Count("company__review_tasks",
                                       filter=Q(company__review_tasks__status=ReviewTask.Status.OPEN)))
            .order_by(tiers.tier_rank_expression("company_id").desc(), "-purchases_12m", "company__name"))


def clients_of(*, manager):
    """The clients a staff member manages in any role, highest tier first."""
    return _profiles().filter(Q(primary_manager=manager) | Q(assistant_manager=manager) | Q(chief_manager=manager))


def major_clients(*, tier="", manager_id=None, strategic=None, text=""):
    """Major clients (VIP and above, or strategic), filtered by tier, manager, strategic flag, name."""
    profiles = _profiles().filter(Q(tier__in=MAJOR_TIERS) | Q(is_strategic=True))
    if tier:
        profiles = profiles.filter(tier=tier)
    if manager_id:
        profiles = profiles.filter(Q(primary_manager_id=manager_id) | Q(assistant_manager_id=manager_id)
                                   | Q(chief_manager_id=manager_id))
    if strategic is not None:
        profiles = profiles.filter(is_strategic=strategic)
    if text:
        profiles = profiles.filter(company__name__icontains=text)
    return profiles


def client_360(*, company_id):
    """Everything staff need on one client: company, tier and history, purchases, recent orders,
    payments, credit (line, latest score, open receivables), managers and handovers, review
    tasks, visits and notes."""
    from crm.models import CreditLine, CreditScore, Receivable
    from orders.models import Payment
    from orders.selectors import orders_for_company

    company = Company.objects.select_related("province", "city").filter(pk=company_id).first()
    if company is None:
        raise NotFound(_("未找到该企业。"))
    profile = (ClientProfile.objects.select_related("primary_manager", "assistant_manager", "chief_manager")
               .filter(company=company).first())
    tier = profile.tier if profile else Tier.ORDINARY
    open_receivables = Receivable.objects.filter(company=company, status=Receivable.Status.OPEN).select_related("order")
    return {
        "company": company,
        "profile": profile,
        "tier": tier,
        "tier_label": tiers.tier_label(tier),
        "chief_allowed": TIER_RANK[tier] >= TIER_RANK[CHIEF_MIN_TIER],
        "position": tiers.tier_position(company=company),
        "tier_history": TierChange.objects.filter(company=company).select_related("changed_by")[:20],
        "orders": orders_for_company(company=company, side="buyer")[:10],
        "payments": Payment.objects.filter(order__buyer=company).select_related("order").order_by("-recorded_at")[:10],
        "credit_line": CreditLine.objects.filter(company=company).first(),
        "credit_score": CreditScore.objects.filter(company=company).select_related("scorecard").first(),
        "receivables": open_receivables.order_by("due_on")[:20],
        "receivables_total": sum((r.amount - r.settled for r in open_receivables), start=0),
        "handovers": Handover.objects.filter(company=company).select_related(
            "from_manager", "to_manager", "handed_over_by")[:20],
        "review_tasks": ReviewTask.objects.filter(company=company).select_related("manager").order_by("-due_on")[:12],
        "visits": Visit.objects.filter(company=company).select_related("recorded_by")[:20],
        "notes": ClientNote.objects.filter(company=company).select_related("author")[:30],
    }
