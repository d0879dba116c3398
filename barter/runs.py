"""Matching runs: build the engine's `Book` from the active listings, `match` it, and save each
deal as a Proposal holding its listings (and, for catalogue haves, their stock).

Units (barter/matching.py, `Book`): money in integer fen (`core.money.to_fen`); quantities in
thousandths of the have's unit. A want's quantity, when given, caps its budget at quantity ×
maximum unit value, since the engine bounds wants by value only. Companies without a barter
profile have a cash limit of 0 (goods for goods only).

A run's progress (and the build / solve / save seconds) is written in small transactions of its
own, so the back-office page can poll it while the run goes on.
"""

import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company
from accounts.services import notify_company
from barter import matching
from barter.models import BarterProfile, Listing, MatchingRun, Participant, Proposal, Transfer
from barter.services import new_deadline, proposal_link
from barter.states import emit_deal_status, listing_transition
from catalog.models import StockReservation
from catalog.services import reserve_stock
from core import audit
from core.errors import BusinessRuleError, Conflict
from core.money import from_fen, to_fen
from core.permissions import CompanyPermission

L = Listing.Status
R = MatchingRun.Status
SCALE = Decimal(matching.QUANTITY_SCALE)


def start_matching_run(*, by=None) -> MatchingRun:
    """Queue a run (staff on demand, or the daily schedule with by=None). One run at a time."""
    from barter.tasks import run_matching

    with transaction.atomic():
        # Serialise starters on the run table so two clicks cannot queue two runs.
        list(MatchingRun.objects.select_for_update().filter(status__in=(R.QUEUED, R.RUNNING)))
        if MatchingRun.objects.filter(status__in=(R.QUEUED, R.RUNNING)).exists():
            raise Conflict(_("已有撮合运行在进行中，请等待其完成。"), code="run_in_progress")
        run = MatchingRun.objects.create(started_by=by, stage=_("排队中"))
        audit.record(actor=by, action="barter.run.start", subject=run)
        transaction.on_commit(lambda: run_matching.delay(run_id=run.pk), robust=True)
    return run


def _progress(run, *, progress, stage, **fields):
    """Commit progress at once, outside any caller transaction, so pollers see it."""
    for name, value in fields.items():
        setattr(run, name, value)
    run.progress, run.stage = progress, stage
    MatchingRun.objects.filter(pk=run.pk).update(progress=progress, stage=stage, **fields)


# A run's task or worker can be lost (a broker outage when it was queued, a killed worker): the
# watchdog queues a run that never started once more, and ends one that cannot finish any more,
# so it no longer blocks the next run.
REQUEUE_AFTER = timedelta(minutes=15)
GIVE_UP_QUEUED_AFTER = timedelta(hours=1)
GIVE_UP_RUNNING_AFTER = timedelta(hours=3)  # the solver and saving take minutes on the largest books


def watch_stalled_matching_runs(*, now=None) -> tuple[int, int]:
    """Queue again the runs queued longer than REQUEUE_AFTER (running the task twice is safe:
    only a queued run starts), and fail, audited, those queued longer than GIVE_UP_QUEUED_AFTER
    or running longer than GIVE_UP_RUNNING_AFTER. Returns (queued again, failed)."""
    from barter.tasks import run_matching as run_matching_task

    now = now or timezone.now()
    requeued = failed = 0
    for run in MatchingRun.objects.filter(status__in=(R.QUEUED, R.RUNNING)).order_by("pk"):
        queued = run.status == R.QUEUED
        since = run.created_at if queued else run.started_at
        if since < now - (GIVE_UP_QUEUED_AFTER if queued else GIVE_UP_RUNNING_AFTER):
            reason = _("后台任务中断，运行未能完成，请重新发起。")
            # Only if nothing moved it meanwhile (its task may have started it just now).
            if MatchingRun.objects.filter(pk=run.pk, status=run.status).update(
                    status=R.FAILED, stage=_("失败"), finished_at=now, error=reason):
                audit.record(actor=None, action="barter.run.fail", subject=run, before=run.status, after=R.FAILED,
                             reason=reason)
                failed += 1
        elif queued and since < now - REQUEUE_AFTER:
            run_matching_task.delay(run_id=run.pk)
            requeued += 1
    return requeued, failed


class BookRows:
    """The book and the database rows its array positions stand for."""

    def __init__(self, book, companies, haves, wants, excluded_wants):
        self.book, self.companies, self.haves, self.wants = book, companies, haves, wants
        self.excluded_wants = excluded_wants


def build_book(*, today=None) -> BookRows:
    """Every active listing within its window, of companies that may barter, as a `Book`."""
    today = today or timezone.localdate()
    listings = list(Listing.objects.filter(
        status=L.ACTIVE, available_from__lte=today, available_until__gte=today,
        company__status=Company.Status.VERIFIED).order_by("pk").values(
        "pk", "kind", "company_id", "category_id", "quantity", "unit_value", "budget", "max_unit_value"))
    haves = [row for row in listings if row["kind"] == Listing.Kind.HAVE]
    wants = [row for row in listings if row["kind"] == Listing.Kind.WANT]
    # A want in a category its company offers is refused at listing time; one slipping through
    # (a have published afterwards from a draft) is left out rather than failing the whole run.
    offered = {(row["company_id"], row["category_id"]) for row in haves}
    excluded = [row for row in wants if (row["company_id"], row["category_id"]) in offered]
    wants = [row for row in wants if (row["company_id"], row["category_id"]) not in offered]
    company_ids = sorted({row["company_id"] for row in haves} | {row["company_id"] for row in wants})
    company_index = {company_id: index for index, company_id in enumerate(company_ids)}
    category_ids = sorted({row["category_id"] for row in haves} | {row["category_id"] for row in wants})
    category_index = {category_id: index for index, category_id in enumerate(category_ids)}
    limits = dict(BarterProfile.objects.filter(company_id__in=company_ids).values_list("company_id", "cash_limit"))

    def budget(row):
        fen = to_fen(row["budget"])
        if row["quantity"] is not None:
            fen = min(fen, int(row["quantity"] * row["max_unit_value"] * 100))
        return fen

    book = matching.Book(
        cash_limit=np.array([to_fen(limits.get(company_id, 0)) for company_id in company_ids], dtype=np.int64),
        have_company=np.array([company_index[row["company_id"]] for row in haves], dtype=np.int64),
        have_category=np.array([category_index[row["category_id"]] for row in haves], dtype=np.int64),
        have_quantity=np.array([int(row["quantity"] * SCALE) for row in haves], dtype=np.int64),
        have_unit_value=np.array([to_fen(row["unit_value"]) for row in haves], dtype=np.int64),
        want_company=np.array([company_index[row["company_id"]] for row in wants], dtype=np.int64),
        want_category=np.array([category_index[row["category_id"]] for row in wants], dtype=np.int64),
        want_budget=np.array([budget(row) for row in wants], dtype=np.int64),
        want_max_unit_value=np.array([to_fen(row["max_unit_value"]) for row in wants], dtype=np.int64),
    )
    return BookRows(book, company_ids, [row["pk"] for row in haves], [row["pk"] for row in wants], len(excluded))


def run_matching(*, run_id) -> MatchingRun:
    """The task's body: build, solve, save. Safe to run twice: a run that is not queued is left."""
    with transaction.atomic():
        run = MatchingRun.objects.select_for_update().get(pk=run_id)
        if run.status != R.QUEUED:
            return run
        run.status, run.started_at = R.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at"])
    try:
        _progress(run, progress=5, stage=_("读取挂牌"))
        started = time.perf_counter()
        rows = build_book()
        book = rows.book
        _progress(run, progress=25, stage=_("求解"), build_seconds=round(time.perf_counter() - started, 3),
                  haves=len(rows.haves), wants=len(rows.wants), companies=len(rows.companies),
                  excluded_wants=rows.excluded_wants)
        started = time.perf_counter()
        result = matching.match(book)
        matching.check_match(book, result)
        _progress(run, progress=50, stage=_("保存方案"), solve_seconds=round(time.perf_counter() - started, 3))
        started = time.perf_counter()
        saved, dropped, transfers, value = save_match(run, rows, result)
        MatchingRun.objects.filter(pk=run.pk).update(
            status=R.DONE, progress=100, stage=_("完成"), finished_at=timezone.now(),
            save_seconds=round(time.perf_counter() - started, 3), deals=saved, dropped_deals=dropped,
            transfers=transfers, total_value=from_fen(value))
    except Exception as error:  # the run must end visibly failed, whatever broke
        MatchingRun.objects.filter(pk=run.pk).update(status=R.FAILED, stage=_("失败"), finished_at=timezone.now(),
                                                     error=f"{type(error).__name__}: {error}"[:2000])
        if not isinstance(error, (matching.MatchInvariantError, BusinessRuleError, ValueError)):
            raise
    run.refresh_from_db()
    return run


def save_match(run, rows, result):
    """Save each deal in a transaction of its own; a deal whose listings changed meanwhile
    (withdrawn during the solve, stock gone) is dropped: deals balance independently."""
    book = rows.book
    member_deal, member_company = result.deal_members(book)
    members = defaultdict(list)
    for deal, company in zip(member_deal.tolist(), member_company.tolist(), strict=True):
        members[deal].append(rows.companies[company])
    cash = defaultdict(dict)
    for deal, company, amount in zip(result.settlement_deal.tolist(), result.settlement_company.tolist(),
                                     result.settlement_amount.tolist(), strict=True):
        cash[deal][rows.companies[company]] = amount
    pieces = defaultdict(list)
    for have, want, value, quantity, deal in zip(
            result.transfer_have.tolist(), result.transfer_want.tolist(), result.transfer_value.tolist(),
            result.transfer_quantity.tolist(), result.transfer_deal.tolist(), strict=True):
        pieces[deal].append((rows.haves[have], rows.wants[want], value, quantity))
    saved = dropped = transfers = value = 0
    for deal in range(result.deals):
        try:
            with transaction.atomic():
                _save_deal(run, pieces[deal], members[deal], cash[deal])
        except (Conflict, BusinessRuleError):
            dropped += 1
        else:
            saved += 1
            transfers += len(pieces[deal])
            value += sum(piece[2] for piece in pieces[deal])
        if deal % 20 == 19:
            _progress(run, progress=50 + int(49 * (deal + 1) / result.deals), stage=_("保存方案"))
    return saved, dropped, transfers, value


def _save_deal(run, pieces, company_ids, cash):
    listing_ids = sorted({have for have, *_rest in pieces} | {want for _have, want, *_rest in pieces})
    listings = {listing.pk: listing for listing in Listing.objects.select_for_update(of=("self",)).select_related(
        "company", "product").filter(pk__in=listing_ids).order_by("pk")}
    held_by_run = set(Transfer.objects.filter(proposal__run=run, proposal__status=Proposal.Status.PROPOSED)
                      .values_list("have_id", flat=True)) | set(
        Transfer.objects.filter(proposal__run=run, proposal__status=Proposal.Status.PROPOSED)
        .values_list("want_id", flat=True))
    for listing in listings.values():
        if not (listing.status == L.ACTIVE or (listing.status == L.MATCHED and listing.pk in held_by_run)):
            raise Conflict(_("挂牌 %(number)s 已变更") % {"number": listing.number}, code="listing_changed")
    proposal = Proposal.objects.create(number=f"BX-{timezone.localdate():%Y%m%d}-{run.pk:04d}-"
                                              f"{Proposal.objects.filter(run=run).count() + 1:04d}",
                                       run=run, deadline=new_deadline(),
                                       total_value=from_fen(sum(piece[2] for piece in pieces)))
    gives, gets = defaultdict(int), defaultdict(int)
    created = []
    for position, (have_id, want_id, value, quantity) in enumerate(pieces):
        have, want = listings[have_id], listings[want_id]
        gives[have.company_id] += value
        gets[want.company_id] += value
        created.append(Transfer(proposal=proposal, position=position, have=have, want=want, giver=have.company,
                                taker=want.company, value=from_fen(value), quantity=Decimal(quantity) / SCALE))
    # Catalogue haves: the goods are held for the receiving company while the deal is decided.
    for transfer in sorted(created, key=lambda t: (t.have.product_id or 0, t.position)):
        if transfer.have.product_id is not None:
            transfer.reservation = reserve_stock(
                product_id=transfer.have.product_id, holder=transfer.taker, quantity=transfer.quantity, by=None,
                kind=StockReservation.Kind.BARTER, reference=proposal.number,
                note=_("易货方案 %(number)s") % {"number": proposal.number})
    Transfer.objects.bulk_create(created)
    Participant.objects.bulk_create([
        Participant(proposal=proposal, company_id=company_id, position=position,
                    cash_amount=from_fen(cash.get(company_id, 0)), gives_value=from_fen(gives[company_id]),
                    gets_value=from_fen(gets[company_id]))
        for position, company_id in enumerate(company_ids)])
    for listing in listings.values():
        if listing.status == L.ACTIVE:
            listing_transition(listing_id=listing.pk, to=L.MATCHED, actor=None,
                               reason=_("进入易货方案 %(number)s") % {"number": proposal.number})
    audit.record(actor=None, action="barter.proposal.create", subject=proposal, after=str(proposal.total_value),
                 data={"run": run.pk, "companies": company_ids})
    emit_deal_status(proposal)
    for company_id in company_ids:
        company = Company.objects.get(pk=company_id)
        notify_company(company, kind="barter.proposal", key=f"barter-proposal:{proposal.pk}",
                       title=_("新的易货方案 %(number)s 待确认") % {"number": proposal.number},
                       body=_("请在 %(deadline)s 前确认或拒绝。") % {
                           "deadline": timezone.localtime(proposal.deadline).strftime("%Y-%m-%d %H:%M")},
                       link=proposal_link(proposal), permission=CompanyPermission.BARTER)
    return proposal
