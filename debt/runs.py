"""Clearing runs (多边清算): services and selectors.

  start_clearing_run      staff (legal/finance) or the weekly schedule queue a run; one at a time
  plan_clearing_run       the task: snapshot confirmed obligations → engine → verify → items and
                          one part per affected company, each to confirm before the deadline
  respond_to_part         a company confirms its part, or rejects it: its obligations leave the
                          run and the rest is planned again (parts that change need confirming again)
  apply_clearing_run      once every part is confirmed: lock the obligations in id order, check
                          each still has the set-off outstanding, reduce, settle, audit, notify;
                          all or nothing
  lapse_overdue_clearing_runs  the deadline passed with parts unconfirmed (scheduled, idempotent)
  resume_stalled_clearing_runs a run queued or planning for too long (its task lost, its worker
                          killed) is handed to a worker again once, then failed (scheduled)

Run statuses move only through `run_transition` (its table).
"""

import logging
import time
from datetime import timedelta

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import notify_company
from core import audit
from core.errors import BusinessRuleError, Conflict, InvalidTransition, NotAllowed, NotFound
from core.money import format_cny, from_fen
from core.notifications import notify
from core.permissions import CompanyPermission, StaffRole, has_staff_role
from core.workdays import working_deadline
from debt import clearing
from debt.clearing_book import Book, parts, plan_setoff
from debt.models import ClearingItem, ClearingParticipant, ClearingRun, Obligation
from debt.obligations import TRANSITIONS as OBLIGATION_TRANSITIONS
from debt.obligations import _acting_company

logger = logging.getLogger(__name__)

R = ClearingRun.Status
P = ClearingParticipant.Status
OS = Obligation.Status
STAFF_ROLES = (StaffRole.LEGAL, StaffRole.FINANCE)
CONFIRMATION_WORKING_DAYS = 5
BATCH = 5000

TRANSITIONS = {
    R.QUEUED: {R.PLANNING, R.FAILED},
    R.PLANNING: {R.AWAITING, R.NOTHING, R.FAILED},
    R.AWAITING: {R.PLANNING, R.APPLIED, R.LAPSED, R.FAILED},  # → planning: a part was rejected
    R.APPLIED: set(),
    R.NOTHING: set(),
    R.FAILED: set(),
    R.LAPSED: set(),
}
FINISHED = {R.APPLIED, R.NOTHING, R.FAILED, R.LAPSED}


def run_transition(*, run_id, to, actor=None, reason="", updates=None):
    """Lock the run, check the table, save the status (and `updates`) and audit. Call inside the
    service's transaction."""
    run = ClearingRun.objects.select_for_update().get(pk=run_id)
    if to not in TRANSITIONS[run.status]:
        raise InvalidTransition(run.status, to, label=lambda value: R(value).label)
    previous, run.status = run.status, to
    run.status_changed_at, run.resumed = timezone.now(), 0
    fields = ["status", "status_changed_at", "resumed"]
    if to in FINISHED:
        run.finished_at = timezone.now()
        fields.append("finished_at")
    for name, value in (updates or {}).items():
        setattr(run, name, value)
        fields.append(name)
    run.save(update_fields=fields)
    audit.record(actor=actor, action="debt.clearing.status", subject=run, before=previous, after=to, reason=reason)
    return run


def _progress(run_id, stage, percent):
    """Committed at once (outside any transaction) so the progress bar sees it."""
    ClearingRun.objects.filter(pk=run_id).update(stage=stage, progress=max(0, min(100, int(percent))))


def _queue(task, **kwargs):
    transaction.on_commit(lambda: task.delay(**kwargs), robust=True)


# --- start ---------------------------------------------------------------------------------------

def start_clearing_run(*, by=None):
    """Queue a clearing run: staff with the legal or finance role on demand, or the schedule
    (`by` None). Refused while another run is in progress."""
    from debt.tasks_clearing import plan_clearing_run_task

    if by is not None and not has_staff_role(by, *STAFF_ROLES):
        raise NotAllowed(_("只有法务合规或财务人员可以发起清算。"), code="not_clearing_staff")
    with transaction.atomic():
        if ClearingRun.objects.filter(status__in=ClearingRun.IN_PROGRESS).exists():
            raise Conflict(_("已有一个清算批次正在进行，请等它结束后再发起。"), code="clearing_run_in_progress")
        try:
            with transaction.atomic():
                run = ClearingRun.objects.create(started_by=by)
        except IntegrityError:  # a concurrent start won (clearing_run_one_in_progress)
            raise Conflict(_("已有一个清算批次正在进行，请等它结束后再发起。"),
                           code="clearing_run_in_progress") from None
        audit.record(actor=by, action="debt.clearing.start", subject=run, after=R.QUEUED)
        _queue(plan_clearing_run_task, run_id=run.pk)
    return run


# --- plan ----------------------------------------------------------------------------------------

def load_book() -> Book:
    """Every confirmed obligation with something outstanding, as arrays (one read)."""
    table = Obligation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, debtor_id, creditor_id, (outstanding * 100)::bigint, (due_on - DATE '1970-01-01') "  # noqa: S608
            f"FROM {table} WHERE status = %s AND outstanding > 0 ORDER BY id", [OS.CONFIRMED])
        chunks = []
        while rows := cursor.fetchmany(100_000):
            chunks.append(np.array(rows, dtype=np.int64))
    table_rows = np.concatenate(chunks) if chunks else np.zeros((0, 5), np.int64)
    return Book(obligation=table_rows[:, 0].copy(), debtor=table_rows[:, 1].copy(), creditor=table_rows[:, 2].copy(),
                amount_fen=table_rows[:, 3].copy(), due_day=table_rows[:, 4].astype(np.int32))


def plan_clearing_run(*, run_id):
    """The task's service: plan (or re-plan) the run. Safe to run twice: it acts only on a
    queued run or one being planned. A first plan snapshots the database; a re-plan solves the
    stored snapshot again without the companies that rejected."""
    with transaction.atomic():
        run = ClearingRun.objects.select_for_update().get(pk=run_id)
        if run.status == R.QUEUED:
            run = run_transition(run_id=run.pk, to=R.PLANNING)
        elif run.status != R.PLANNING:
            return run
    try:
        _progress(run_id, ClearingRun.Stage.LOADING, 5)
        if run.snapshot:
            book = Book.from_bytes(run.snapshot)
        else:
            book = load_book()
            ClearingRun.objects.filter(pk=run_id).update(
                snapshot=book.to_bytes(), snapshot_obligations=book.size,
                snapshot_total=from_fen(int(book.amount_fen.sum())))
        excluded = list(run.participants.filter(status=P.REJECTED).values_list("company_id", flat=True))
        _progress(run_id, ClearingRun.Stage.SOLVING, 30)
        started = time.perf_counter()
        setoff = plan_setoff(book, excluded)
        plan_parts = parts(book, setoff)
        seconds = time.perf_counter() - started
        _progress(run_id, ClearingRun.Stage.SAVING, 60)
        return _save_plan(run_id=run_id, book=book, setoff=setoff, plan_parts=plan_parts, seconds=seconds)
    except clearing.SetoffInvariantError as error:
        logger.exception("clearing run %s: the engine's set-off failed verification", run_id)
        return _fail(run_id, _("清算方案未通过核验，未生成方案：%(error)s") % {"error": error})
    except Exception:
        # Never leave a run "planning" for ever: it would block every later run.
        logger.exception("clearing run %s could not be planned", run_id)
        _fail(run_id, _("清算方案计算出错，请联系技术人员后重新发起。"))
        raise


@transaction.atomic
def _save_plan(*, run_id, book, setoff, plan_parts, seconds):
    from debt.tasks_clearing import apply_clearing_run_task

    run = ClearingRun.objects.select_for_update().get(pk=run_id)
    if run.status != R.PLANNING:
        return run
    version = run.plan_version + 1
    run.items.all().delete()
    cleared = np.flatnonzero(setoff > 0)
    for start in range(0, cleared.size, BATCH):
        chunk = cleared[start:start + BATCH]
        ClearingItem.objects.bulk_create([
            ClearingItem(run_id=run_id, obligation_id=int(book.obligation[i]), debtor_id=int(book.debtor[i]),
                         creditor_id=int(book.creditor[i]), outstanding_before=from_fen(int(book.amount_fen[i])),
                         setoff=from_fen(int(setoff[i])))
            for i in chunk.tolist()
        ])
        _progress(run_id, ClearingRun.Stage.SAVING, 60 + 30 * (start + chunk.size) / max(cleared.size, 1))
    existing = {participant.company_id: participant for participant in run.participants.select_for_update()}
    to_ask = []
    for company_id, part in plan_parts.items():
        participant = existing.pop(company_id, None) or ClearingParticipant(run_id=run_id, company_id=company_id)
        changed = participant.part_digest != part.digest
        participant.owed_by_before = from_fen(part.owed_by_before)
        participant.owed_to_before = from_fen(part.owed_to_before)
        participant.setoff_as_debtor = from_fen(part.setoff_as_debtor)
        participant.setoff_as_creditor = from_fen(part.setoff_as_creditor)
        participant.obligations_affected = part.obligations
        if changed or participant.status != P.CONFIRMED:
            participant.status, participant.part_digest, participant.plan_version = P.PENDING, part.digest, version
            participant.responded_by = participant.responded_at = None
            to_ask.append(company_id)
        participant.save()
    for participant in existing.values():  # no longer involved (or rejected: they stay rejected)
        if participant.status != P.REJECTED:
            participant.status = P.DROPPED
            participant.save(update_fields=["status"])
    updates = {"plan_version": version, "planned_at": timezone.now(), "cleared_total": from_fen(int(setoff.sum())),
               "item_count": int(cleared.size), "solve_seconds": round(seconds, 3),
               "stage": ClearingRun.Stage.DONE, "progress": 100}
    if not plan_parts:
        return run_transition(run_id=run_id, to=R.NOTHING, updates=updates,
                              reason=_("没有可以抵销的债务。"))
    updates["confirmation_deadline"] = working_deadline(timezone.now(), CONFIRMATION_WORKING_DAYS)
    run = run_transition(run_id=run_id, to=R.AWAITING, updates=updates,
                         reason=_("方案第 %(version)s 版：抵销 %(total)s") % {
                             "version": version, "total": format_cny(updates["cleared_total"])})
    for company_id in to_ask:
        _notify_part(run, company_id, key=f"clearing:{run.pk}:v{version}:ask",
                     title=_("清算批次 #%(id)s：请确认贵司的抵销方案") % {"id": run.pk},
                     body=_("请在 %(deadline)s 前确认或拒绝。") % {
                         "deadline": timezone.localtime(run.confirmation_deadline).strftime("%Y-%m-%d %H:%M")})
    if not to_ask:  # every part unchanged and already confirmed
        _queue(apply_clearing_run_task, run_id=run_id)
    return run


def _notify_part(run, company_id, *, key, title, body):
    from accounts.models import Company

    link = reverse("member-debt:clearing-run", args=[run.pk])
    transaction.on_commit(lambda: notify_company(Company.objects.get(pk=company_id), kind="debt_clearing", key=key,
                                                 title=title, body=body, link=link,
                                                 permission=CompanyPermission.DEBT), robust=True)


def _notify_starter(run, *, key, title, body):
    if run.started_by_id:
        link = reverse("backoffice-debt:run", args=[run.pk])
        starter = run.started_by
        transaction.on_commit(lambda: notify(recipient=starter, kind="debt_clearing", key=key, title=title,
                                             body=body, link=link), robust=True)


def _fail(run_id, reason):
    with transaction.atomic():
        run = ClearingRun.objects.select_for_update().get(pk=run_id)
        if R.FAILED not in TRANSITIONS[run.status]:
            return run
        run = run_transition(run_id=run_id, to=R.FAILED, reason=reason, updates={"failure_reason": reason})
        for company_id in run.participants.exclude(status=P.DROPPED).values_list("company_id", flat=True):
            _notify_part(run, company_id, key=f"clearing:{run.pk}:failed", title=_(
                "清算批次 #%(id)s 未执行") % {"id": run.pk}, body=reason)
        _notify_starter(run, key=f"clearing:{run.pk}:failed", title=_("清算批次 #%(id)s 失败") % {"id": run.pk},
                        body=reason)
    return run


# --- the companies' answers ----------------------------------------------------------------------

def _awaiting_answer(participant) -> bool:
    return participant.status == P.PENDING and participant.run.status == R.AWAITING


def _past_deadline(run, now=None) -> bool:
    return bool(run.confirmation_deadline and (now or timezone.now()) > run.confirmation_deadline)


def part_open_for_answer(participant, *, now=None) -> bool:
    """The company may still confirm or reject its part: not answered yet, the run waiting for
    answers and its confirmation deadline not passed (what `respond_to_part` enforces)."""
    return _awaiting_answer(participant) and not _past_deadline(participant.run, now)


def part_missed_deadline(participant, *, now=None) -> bool:
    """The part still waits for the company's answer, but the deadline has passed."""
    return _awaiting_answer(participant) and _past_deadline(participant.run, now)


@transaction.atomic
def respond_to_part(*, by, run_id, decision, reason=""):
    """A member with DEBT confirms or rejects its company's part before the deadline. When the last
    part is confirmed the run is applied; a rejection takes the company out and re-plans the rest."""
    from debt.tasks_clearing import apply_clearing_run_task, plan_clearing_run_task

    company = _acting_company(by)
    if decision not in ("confirm", "reject"):
        raise BusinessRuleError(_("请选择确认或拒绝。"), code="invalid_decision",
                                details={"decision": _("请选择确认或拒绝。")})
    run = ClearingRun.objects.select_for_update().filter(pk=run_id).first()
    participant = run and run.participants.select_for_update().filter(company=company).first()
    if participant is None or participant.status == P.DROPPED:
        raise NotFound(_("未找到该清算批次。"))
    if run.status != R.AWAITING:
        raise BusinessRuleError(_("清算批次当前“%(status)s”，不能确认或拒绝。") % {"status": run.get_status_display()},
                                code="run_not_awaiting")
    if _past_deadline(run):
        raise BusinessRuleError(_("已超过确认截止时间。"), code="deadline_passed")
    if participant.status != P.PENDING:
        raise BusinessRuleError(_("贵司已“%(status)s”本方案。") % {"status": participant.get_status_display()},
                                code="already_answered")
    reason = (reason or "").strip()
    if decision == "reject" and not reason:
        message = _("请说明拒绝理由。")
        raise BusinessRuleError(message, code="reason_required", details={"reason": message})
    previous = participant.status
    participant.status = P.CONFIRMED if decision == "confirm" else P.REJECTED
    participant.responded_by, participant.responded_at, participant.reason = by, timezone.now(), reason[:2000]
    participant.save(update_fields=["status", "responded_by", "responded_at", "reason"])
    audit.record(actor=by, action="debt.clearing.part", subject=run, company=company, before=previous,
                 after=participant.status, reason=reason, data={"plan_version": run.plan_version})
    if decision == "reject":
        run_transition(run_id=run.pk, to=R.PLANNING, actor=by, updates={"stage": ClearingRun.Stage.WAITING,
                                                                        "progress": 0},
                       reason=_("%(company)s 拒绝，重新计算") % {"company": company.name})
        _queue(plan_clearing_run_task, run_id=run.pk)
    elif not run.participants.filter(status=P.PENDING).exists():
        _queue(apply_clearing_run_task, run_id=run.pk)
    return participant


# --- apply ---------------------------------------------------------------------------------------

class _ApplyRefused(Exception):
    pass


def apply_clearing_run(*, run_id):
    """Apply a run whose parts are all confirmed, all or nothing. Safe to run twice."""
    try:
        return _apply(run_id)
    except _ApplyRefused as refusal:
        return _fail(run_id, str(refusal))


@transaction.atomic
def _apply(run_id):
    run = ClearingRun.objects.select_for_update().get(pk=run_id)
    if run.status != R.AWAITING or run.participants.filter(status=P.PENDING).exists():
        return run
    items = {item.obligation_id: item for item in run.items.all()}
    locked = Obligation.objects.select_for_update().filter(pk__in=list(items)).order_by("pk")
    obligations = list(locked)
    problems = []
    for obligation in obligations:
        item = items[obligation.pk]
        if obligation.status != OS.CONFIRMED:
            problems.append(_("债务 #%(id)s（%(reference)s）当前状态为“%(status)s”，不再是已确认的债务") % {
                "id": obligation.pk, "reference": obligation.reference, "status": obligation.get_status_display()})
        elif obligation.outstanding < item.setoff:
            problems.append(_("债务 #%(id)s（%(reference)s）未清偿 %(outstanding)s，少于计划抵销的 %(setoff)s") % {
                "id": obligation.pk, "reference": obligation.reference,
                "outstanding": format_cny(obligation.outstanding), "setoff": format_cny(item.setoff)})
    if len(obligations) != len(items):
        problems.append(_("方案中的部分债务已不存在。"))
    if problems:
        shown = "；".join(problems[:5]) + (_("等 %(count)s 笔") % {"count": len(problems)} if len(problems) > 5 else "")
        raise _ApplyRefused(_("执行前核对发现债务已变化，本批次未执行任何抵销：%(problems)s") % {"problems": shown})
    now = timezone.now()
    events = []
    settled = []
    for obligation in obligations:
        item = items[obligation.pk]
        before = obligation.outstanding
        obligation.outstanding = before - item.setoff
        events.append({"actor": None, "action": "debt.obligation.setoff", "subject": obligation,
                       "before": str(before),
                       "after": str(obligation.outstanding),
                       "reason": _("清算批次 #%(id)s 抵销 %(setoff)s") % {"id": run.pk, "setoff": item.setoff},
                       "data": {"run": run.pk, "setoff": str(item.setoff)}})
        if obligation.outstanding == 0:
            assert OS.SETTLED in OBLIGATION_TRANSITIONS[obligation.status]
            obligation.status, obligation.settled_at = OS.SETTLED, now
            settled.append(obligation)
            events.append({"actor": None, "action": "debt.obligation.status", "subject": obligation,
                           "before": OS.CONFIRMED, "after": OS.SETTLED,
                           "reason": _("清算批次 #%(id)s 抵销后结清") % {"id": run.pk}})
        obligation.updated_at = now
    Obligation.objects.bulk_update(obligations, ["outstanding", "status", "settled_at", "updated_at"],
                                   batch_size=BATCH)
    audit.record_many(events)
    summary = _("抵销 %(count)s 笔，共 %(total)s，结清 %(settled)s 笔")
    run = run_transition(run_id=run.pk, to=R.APPLIED, reason=summary % {
        "count": len(obligations), "total": format_cny(run.cleared_total), "settled": len(settled)})
    for company_id in run.participants.filter(status=P.CONFIRMED).values_list("company_id", flat=True):
        _notify_part(run, company_id, key=f"clearing:{run.pk}:applied",
                     title=_("清算批次 #%(id)s 已执行") % {"id": run.pk},
                     body=_("抵销已记入贵司的债务，可下载清算对账单。"))
    _notify_starter(run, key=f"clearing:{run.pk}:applied", title=_("清算批次 #%(id)s 已执行") % {"id": run.pk},
                    body=_("共抵销 %(total)s。") % {"total": format_cny(run.cleared_total)})
    return run


# --- lapse ---------------------------------------------------------------------------------------

def lapse_overdue_clearing_runs(*, now=None):
    """Runs whose confirmation deadline passed with parts unconfirmed lapse; nothing is applied.
    Idempotent: a lapsed run is not touched again. Returns how many lapsed now."""
    now = now or timezone.now()
    lapsed = 0
    for run_id in ClearingRun.objects.filter(status=R.AWAITING, confirmation_deadline__lt=now).values_list(
            "pk", flat=True):
        with transaction.atomic():
            run = ClearingRun.objects.select_for_update().get(pk=run_id)
            if run.status != R.AWAITING or run.confirmation_deadline >= now:
                continue
            missing = list(run.participants.filter(status=P.PENDING).select_related("company"))
            reason = _("确认截止时间已过，%(count)s 家企业未确认：%(names)s") % {
                "count": len(missing), "names": "、".join(p.company.name for p in missing[:10])}
            run = run_transition(run_id=run.pk, to=R.LAPSED, reason=reason, updates={"failure_reason": reason})
            for company_id in run.participants.exclude(status=P.DROPPED).values_list("company_id", flat=True):
                _notify_part(run, company_id, key=f"clearing:{run.pk}:lapsed",
                             title=_("清算批次 #%(id)s 已过期") % {"id": run.pk}, body=reason)
            lapsed += 1
    return lapsed


# --- the watchdog --------------------------------------------------------------------------------

STALLED_AFTER = timedelta(minutes=30)  # a plan of a million obligations takes well under that


def resume_stalled_clearing_runs(*, now=None):
    """A run still queued or planning STALLED_AFTER its last status change lost its task or its
    worker: queue the plan again (planning is safe to run twice); if that was already tried,
    fail the run so it no longer blocks the next one. Returns (resumed, failed) counts."""
    from debt.tasks_clearing import plan_clearing_run_task

    now = now or timezone.now()
    resumed = failed = 0
    for run_id in ClearingRun.objects.filter(status__in=(R.QUEUED, R.PLANNING),
                                             status_changed_at__lt=now - STALLED_AFTER).values_list("pk", flat=True):
        with transaction.atomic():
            run = ClearingRun.objects.select_for_update().get(pk=run_id)
            if run.status not in (R.QUEUED, R.PLANNING) or run.status_changed_at >= now - STALLED_AFTER * (
                    run.resumed + 1):
                continue
            if run.resumed:
                failed += 1
                _fail(run.pk, _("清算方案计算中断且重试未完成，请重新发起。"))
                continue
            ClearingRun.objects.filter(pk=run.pk).update(resumed=run.resumed + 1)
            audit.record(actor=None, action="debt.clearing.resume", subject=run, after=run.status,
                         reason=_("计算超时未完成，已重新交给后台任务"))
            _queue(plan_clearing_run_task, run_id=run.pk)
            resumed += 1
    return resumed, failed


# --- selectors -----------------------------------------------------------------------------------

def runs_for_company(*, company):
    """The runs the company has (or had) a part in, newest first."""
    parts = ClearingParticipant.objects.filter(company=company).exclude(status=P.DROPPED)
    return ClearingRun.objects.filter(pk__in=parts.values("run_id"))


def part_for_company(*, company, run_id):
    """The company's part of a run; another company's run is a 404."""
    found = ClearingParticipant.objects.select_related("run", "company").filter(
        run_id=run_id, company=company).exclude(status=P.DROPPED).first()
    if found is None:
        raise NotFound(_("未找到该清算批次。"))
    return found


def items_for_company(*, run, company):
    """The set-offs on the company's obligations in the run, as debtor or creditor."""
    return run.items.filter(Q(debtor=company) | Q(creditor=company)).select_related(
        "obligation", "debtor", "creditor").order_by("obligation_id")


def all_runs():
    return ClearingRun.objects.select_related("started_by").annotate(
        participant_count=Count("participants", filter=~Q(participants__status=P.DROPPED)),
        confirmed_count=Count("participants", filter=Q(participants__status=P.CONFIRMED)))


def run_participants(run):
    return run.participants.select_related("company", "responded_by").order_by("status", "company__name")


def overdue_confirmations(*, within_hours=24):
    """Parts still unconfirmed in runs whose deadline is past or within `within_hours`."""
    limit = timezone.now() + timezone.timedelta(hours=within_hours)
    return ClearingParticipant.objects.filter(status=P.PENDING, run__status=R.AWAITING,
                                              run__confirmation_deadline__lte=limit).select_related("run", "company")


def awaiting_runs_count():
    return ClearingRun.objects.filter(status=R.AWAITING).count()


# --- the statement -------------------------------------------------------------------------------

def statement_context(*, participant):
    run = participant.run
    company = participant.company
    items = list(items_for_company(run=run, company=company))
    counterparties = {}
    for item in items:
        other = item.creditor if item.debtor_id == company.pk else item.debtor
        entry = counterparties.setdefault(other.pk, {"company": other, "payable": 0, "receivable": 0})
        entry["payable" if item.debtor_id == company.pk else "receivable"] += item.setoff
    return {
        "run": run, "company": company, "participant": participant,
        "payables": [item for item in items if item.debtor_id == company.pk],
        "receivables": [item for item in items if item.creditor_id == company.pk],
        "counterparties": sorted(counterparties.values(), key=lambda entry: entry["company"].name),
        "draft": run.status != R.APPLIED, "generated_at": timezone.now(),
    }


def clearing_statement_pdf(*, participant):
    """The company's clearing statement; a draft (so headed) until the run is applied."""
    from orders.documents import render_pdf

    if participant.status == P.DROPPED or participant.run.status in (R.QUEUED, R.PLANNING):
        raise BusinessRuleError(_("清算方案尚未生成，暂无对账单。"), code="statement_unavailable")
    return render_pdf("debt/pdf/clearing_statement.html", statement_context(participant=participant))


def staff_part(*, run_id, company_id):
    found = ClearingParticipant.objects.select_related("run", "company").filter(run_id=run_id,
                                                                                company_id=company_id).first()
    if found is None:
        raise NotFound(_("未找到该清算参与方。"))
    return found
