"""Matching runs find deals in the book and hold what they use."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from barter import runs, services, tasks
from barter.models import Listing, MatchingRun, Proposal
from barter.runs import start_matching_run
from catalog.models import StockReservation
from core.errors import Conflict
from core.models import AuditEvent
from tests import factories
from tests.barter.barter_helpers import barter_company, category, cycle, have, run_now, want, window

pytestmark = pytest.mark.django_db


def test_three_party_cycle_found_and_held(django_capture_on_commit_callbacks):
    world = cycle(django_capture_on_commit_callbacks)
    run = world["run"]
    assert run.status == MatchingRun.Status.DONE and run.progress == 100
    assert run.deals == 1 and run.transfers == 3 and run.total_value == Decimal("30000.00")
    assert run.build_seconds is not None and run.solve_seconds is not None and run.save_seconds is not None
    proposal = Proposal.objects.get(run=run)
    a, b, c = world["companies"]
    pairs = {(t.giver_id, t.taker_id, t.value, t.quantity) for t in proposal.transfers.all()}
    assert pairs == {(a.pk, b.pk, Decimal("10000.00"), Decimal("10.000")),
                     (b.pk, c.pk, Decimal("10000.00"), Decimal("10.000")),
                     (c.pk, a.pk, Decimal("10000.00"), Decimal("10.000"))}
    assert {p.company_id: p.cash_amount for p in proposal.participants.all()} == {
        a.pk: 0, b.pk: 0, c.pk: 0}
    for listing in world["haves"] + world["wants"]:
        listing.refresh_from_db()
        assert listing.status == Listing.Status.MATCHED


def test_one_to_many_split_of_a_catalogue_lot(django_capture_on_commit_callbacks):
    """A major client's 30-ton lot goes to three companies, each giving something back."""
    paper, board, pulp, ink = (category(f"bt-{n}", n) for n in ("paper", "board", "pulp", "ink"))
    big, ubig = barter_company("大客户纸业集团有限公司")
    lot = factories.stock(factories.product(seller=big, title="70g 胶版纸", category=paper), "40")
    lot_have = services.create_have(by=ubig, product_id=lot.pk, quantity="30", unit_value="5000", **window())
    takers = []
    for index, back_category in enumerate((board, pulp, ink)):
        company, user = barter_company(f"小客户{index}有限公司")
        want(user, paper, "50000", "5000")
        have(user, back_category, "10", "5000")
        want(ubig, back_category, "50000", "6000")  # the big client takes each one's goods back
        takers.append(company)
    run = run_now(django_capture_on_commit_callbacks)
    assert run.status == MatchingRun.Status.DONE
    gives = list(lot_have.gives.select_related("taker"))
    assert {t.taker_id for t in gives} == {c.pk for c in takers}
    assert sum(t.quantity for t in gives) == Decimal("30.000")
    assert sum(t.value for t in gives) == Decimal("150000.00")
    reservations = StockReservation.objects.filter(product=lot, kind=StockReservation.Kind.BARTER,
                                                   status=StockReservation.Status.ACTIVE)
    assert sum(r.quantity for r in reservations) == Decimal("30.000")
    lot.refresh_from_db()
    assert lot.stock_available == Decimal("10.000")


def test_want_priced_below_the_have_gets_nothing(django_capture_on_commit_callbacks):
    paper, board = category("bt-paper", "文化纸"), category("bt-board", "箱板纸")
    _a, ua = barter_company("甲有限公司")
    _b, ub = barter_company("乙有限公司")
    have(ua, paper, "10", "1000")
    want(ub, paper, "10000", "900")
    have(ub, board, "10", "1000")
    want(ua, board, "10000", "1000")
    run = run_now(django_capture_on_commit_callbacks)
    assert run.deals == 0 and not Proposal.objects.exists()


def test_cash_balances_an_uneven_swap_within_limits(django_capture_on_commit_callbacks):
    paper, board = category("bt-paper", "文化纸"), category("bt-board", "箱板纸")
    a, ua = barter_company("甲有限公司", cash_limit="3000")
    b, ub = barter_company("乙有限公司", cash_limit="3000")
    have(ua, paper, "10", "1000")
    want(ub, paper, "10000", "1000")
    have(ub, board, "8", "1000")
    want(ua, board, "10000", "1000")
    run = run_now(django_capture_on_commit_callbacks)
    assert run.total_value == Decimal("18000.00")
    cash = {a.pk: Decimal(0), b.pk: Decimal(0)}
    for proposal in Proposal.objects.prefetch_related("participants"):  # each deal balances on its own
        gives = {p.company_id: p.gives_value - p.gets_value for p in proposal.participants.all()}
        for participant in proposal.participants.all():
            assert participant.cash_amount == gives[participant.company_id]
            cash[participant.company_id] += participant.cash_amount
    assert cash == {a.pk: Decimal("2000.00"), b.pk: Decimal("-2000.00")}


def test_only_one_run_at_a_time():
    staff = factories.staff_user("customer_service")
    start_matching_run(by=staff)
    with pytest.raises(Conflict):
        start_matching_run(by=staff)


def test_a_run_whose_task_was_lost_is_queued_again_then_failed_so_the_next_can_start(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.run_matching, "delay", lambda **kwargs: queued.append(kwargs["run_id"]))
    run = start_matching_run(by=None)  # the task was never published: no on-commit here
    started = run.created_at

    assert runs.watch_stalled_matching_runs(now=started + timedelta(minutes=5)) == (0, 0)
    assert runs.watch_stalled_matching_runs(now=started + timedelta(minutes=20)) == (1, 0)
    assert queued == [run.pk]
    with pytest.raises(Conflict):
        start_matching_run(by=None)

    assert runs.watch_stalled_matching_runs(now=started + timedelta(hours=2)) == (0, 1)
    run.refresh_from_db()
    assert run.status == MatchingRun.Status.FAILED and "中断" in run.error
    assert AuditEvent.objects.filter(action="barter.run.fail", subject_id=str(run.pk), before="queued").exists()
    assert start_matching_run(by=None).status == MatchingRun.Status.QUEUED


def test_a_run_whose_worker_died_while_running_is_failed_after_hours():
    running = MatchingRun.objects.create(status=MatchingRun.Status.RUNNING, started_at=timezone.now())
    assert runs.watch_stalled_matching_runs(now=timezone.now() + timedelta(hours=1)) == (0, 0)
    assert runs.watch_stalled_matching_runs(now=timezone.now() + timedelta(hours=4)) == (0, 1)
    running.refresh_from_db()
    assert running.status == MatchingRun.Status.FAILED
