"""Proposals: all or nothing, deadlines, execution into orders and settlements, completion."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from barter import services
from barter.models import Listing, Participant, Proposal, Settlement
from catalog.models import StockReservation
from core.errors import Conflict, NotAllowed, NotFound
from orders.models import Order
from orders.states import order_transition
from tests import factories
from tests.barter.barter_helpers import barter_company, category, cycle, have, run_now, want, window

pytestmark = pytest.mark.django_db


def _catalogue_swap(django_capture_on_commit_callbacks, board_tons="10"):
    paper, board = category("bt-paper", "文化纸"), category("bt-board", "箱板纸")
    a, ua = barter_company("甲有限公司", cash_limit="5000")
    b, ub = barter_company("乙有限公司", cash_limit="5000")
    product = factories.stock(factories.product(seller=a, title="70g 胶版纸", category=paper), "20")
    services.create_have(by=ua, product_id=product.pk, quantity="10", unit_value="1000", **window())
    want(ub, paper, "10000", "1000")
    have(ub, board, board_tons, "1000", title="箱板纸 A 级")
    want(ua, board, "10000", "1000")
    run_now(django_capture_on_commit_callbacks)
    return a, ua, b, ub, product, Proposal.objects.order_by("pk").first()


def test_one_rejection_lapses_the_whole_deal(django_capture_on_commit_callbacks):
    a, ua, b, ub, product, proposal = _catalogue_swap(django_capture_on_commit_callbacks)
    product.refresh_from_db()
    assert product.stock_reserved == Decimal("10.000")
    services.confirm_proposal(by=ua, proposal_id=proposal.pk)
    with pytest.raises(Conflict):
        services.confirm_proposal(by=ua, proposal_id=proposal.pk)
    services.reject_proposal(by=ub, proposal_id=proposal.pk, reason="价格不合适")
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.LAPSED and "价格不合适" in proposal.lapse_reason
    assert set(Listing.objects.values_list("status", flat=True)) == {Listing.Status.ACTIVE}
    product.refresh_from_db()
    assert product.stock_reserved == 0
    assert not StockReservation.objects.filter(status=StockReservation.Status.ACTIVE).exists()
    assert not Order.objects.exists()
    with pytest.raises(Conflict):
        services.confirm_proposal(by=ub, proposal_id=proposal.pk)


def test_reject_needs_a_reason_and_outsiders_get_404(django_capture_on_commit_callbacks):
    _a, _ua, _b, ub, _product, proposal = _catalogue_swap(django_capture_on_commit_callbacks)
    with pytest.raises(Exception) as refusal:
        services.reject_proposal(by=ub, proposal_id=proposal.pk, reason="  ")
    assert refusal.value.code == "reason_required"
    _c, uc = barter_company("丙有限公司")
    with pytest.raises(NotFound):
        services.confirm_proposal(by=uc, proposal_id=proposal.pk)


def test_deadline_lapse_is_idempotent(django_capture_on_commit_callbacks):
    _a, ua, _b, _ub, product, proposal = _catalogue_swap(django_capture_on_commit_callbacks)
    services.confirm_proposal(by=ua, proposal_id=proposal.pk)
    later = proposal.deadline + timedelta(minutes=1)
    assert services.lapse_overdue_proposals(now=proposal.deadline - timedelta(minutes=1)) == 0
    assert services.lapse_overdue_proposals(now=later) == 1
    assert services.lapse_overdue_proposals(now=later) == 0
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.LAPSED and "乙有限公司" in proposal.lapse_reason
    product.refresh_from_db()
    assert product.stock_reserved == 0
    assert set(Listing.objects.values_list("status", flat=True)) == {Listing.Status.ACTIVE}


def test_answer_after_deadline_refused(django_capture_on_commit_callbacks):
    _a, ua, _b, _ub, _product, proposal = _catalogue_swap(django_capture_on_commit_callbacks)
    Proposal.objects.filter(pk=proposal.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Conflict) as refusal:
        services.confirm_proposal(by=ua, proposal_id=proposal.pk)
    assert refusal.value.code == "proposal_overdue"


def test_held_listing_cannot_be_withdrawn(django_capture_on_commit_callbacks):
    _a, ua, _b, _ub, _product, proposal = _catalogue_swap(django_capture_on_commit_callbacks)
    held = proposal.transfers.first().have
    with pytest.raises(Conflict):
        services.withdraw_listing(by=ua, listing_id=held.pk)


def test_all_confirm_executes_orders_and_settlements(django_capture_on_commit_callbacks):
    a, ua, b, ub, product, _first = _catalogue_swap(django_capture_on_commit_callbacks, board_tons="8")
    proposals = list(Proposal.objects.order_by("pk"))
    assert len(proposals) == 2  # the engine splits goods-for-goods from goods-for-cash
    for proposal in proposals:
        services.confirm_proposal(by=ua, proposal_id=proposal.pk)
        services.confirm_proposal(by=ub, proposal_id=proposal.pk)
        proposal.refresh_from_db()
        assert proposal.status == Proposal.Status.EXECUTING
    orders = list(Order.objects.prefetch_related("lines"))
    paper_orders = [o for o in orders if (o.seller_id, o.buyer_id) == (a.pk, b.pk)]
    board_orders = [o for o in orders if (o.seller_id, o.buyer_id) == (b.pk, a.pk)]
    assert len(paper_orders) + len(board_orders) == len(orders)
    assert all(o.status == Order.Status.PAID and o.amount_paid == o.total for o in orders)
    assert sum(o.total for o in paper_orders) == Decimal("10000.00")
    assert sum(o.total for o in board_orders) == Decimal("8000.00")
    lines = [o.lines.get() for o in paper_orders]
    assert {line.product_id for line in lines} == {product.pk}
    assert sum(line.quantity for line in lines) == Decimal("10.000")
    assert {line.unit_price for line in lines} == {Decimal("1000.00")}
    assert all(line.reservation.kind == StockReservation.Kind.BARTER and line.reservation.holder_id == b.pk
               for line in lines)
    assert {o.lines.get().title for o in board_orders} == {"箱板纸 A 级"}
    settlements = {s.company_id: (s.direction, s.amount) for s in Settlement.objects.all()}
    assert settlements == {a.pk: (Settlement.Direction.RECEIVE, Decimal("2000.00")),
                           b.pk: (Settlement.Direction.PAY, Decimal("2000.00"))}
    assert Listing.objects.filter(status=Listing.Status.TRADED).count() == 4
    # A's want of ¥10,000 of board got ¥8,000: the rest is back in the book.
    assert list(Listing.objects.filter(status=Listing.Status.ACTIVE).values_list("company", "kind", "budget")) == [
        (a.pk, "want", Decimal("2000.00"))]
    assert Participant.objects.filter(answer=Participant.Answer.CONFIRMED).count() == 4

    # The deal follows its orders and settlements to completion.
    finance = factories.staff_user("finance")
    for settlement in Settlement.objects.all():
        services.confirm_settlement(by=finance, settlement_id=settlement.pk, reference="BANK-1")
    assert services.follow_executing_deals() == 0
    for order in Order.objects.all():
        for step in (Order.Status.SHIPPED, Order.Status.RECEIVED, Order.Status.COMPLETED):
            order_transition(order_id=order.pk, to=step, actor=None)
    assert services.follow_executing_deals() == 2
    assert services.follow_executing_deals() == 0
    assert set(Proposal.objects.values_list("status", flat=True)) == {Proposal.Status.COMPLETED}


def test_settlement_confirmation_needs_finance(django_capture_on_commit_callbacks):
    _a, ua, _b, ub, _product, _first = _catalogue_swap(django_capture_on_commit_callbacks, board_tons="8")
    for proposal in Proposal.objects.all():
        services.confirm_proposal(by=ua, proposal_id=proposal.pk)
        services.confirm_proposal(by=ub, proposal_id=proposal.pk)
    settlement = Settlement.objects.first()
    with pytest.raises(NotAllowed):
        services.confirm_settlement(by=factories.staff_user("customer_service"), settlement_id=settlement.pk,
                                    reference="X")
    finance = factories.staff_user("finance")
    services.confirm_settlement(by=finance, settlement_id=settlement.pk, reference="X")
    with pytest.raises(Conflict):
        services.confirm_settlement(by=finance, settlement_id=settlement.pk, reference="X")


def test_three_party_cycle_executes_three_orders(django_capture_on_commit_callbacks):
    world = cycle(django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    for user in world["users"]:
        services.confirm_proposal(by=user, proposal_id=proposal.pk)
    a, b, c = world["companies"]
    assert {(o.seller_id, o.buyer_id, o.total) for o in Order.objects.all()} == {
        (a.pk, b.pk, Decimal("10000.00")), (b.pk, c.pk, Decimal("10000.00")), (c.pk, a.pk, Decimal("10000.00"))}
    assert not Settlement.objects.exists()


def test_what_a_deal_did_not_use_goes_back_into_the_book(django_capture_on_commit_callbacks):
    """A 25-ton lot of which the ring takes 10 tons: the other 15 tons are listed again."""
    from barter.models import Listing
    from tests.barter.barter_helpers import barter_company, category, have, run_now, want

    cats = [category("br-paper", "文化纸"), category("br-board", "箱板纸")]
    (_a, ua), (_b, ub) = barter_company("余量测试甲有限公司"), barter_company("余量测试乙有限公司")
    lot = have(ua, cats[0], "25", "1000")
    have(ub, cats[1], "10", "1000")
    want(ub, cats[0], "10000", "1200")
    want(ua, cats[1], "10000", "1200")
    run_now(django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    for user in (ua, ub):
        services.confirm_proposal(by=user, proposal_id=proposal.pk)

    lot.refresh_from_db()
    assert lot.status == Listing.Status.TRADED
    rest = Listing.objects.get(company=lot.company, kind="have", status=Listing.Status.ACTIVE)
    assert (rest.quantity, rest.unit_value, rest.category_id) == (Decimal("15"), lot.unit_value, lot.category_id)
    assert not Listing.objects.filter(kind="want", status=Listing.Status.ACTIVE).exists()  # budgets used up
