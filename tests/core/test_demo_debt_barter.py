"""The demo world's debt resolution and barter (core/demo/debts.py, core/demo/bartering.py): after
seed_demo the obligations, clearing, case and barter pages have real content, made through the
services. (Seeding twice changes no counts: tests/core/test_demo_world.py counts these tables too.)"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Company, User
from barter import selectors as barter_selectors
from barter.models import BarterProfile, Listing, Participant, Proposal
from core.demo import world
from debt.cases import party_company_ids
from debt.models import (
    ClearingParticipant,
    ClearingRun,
    DebtCase,
    GoodsSettlement,
    Guarantee,
    Instalment,
    InstalmentPlan,
    Obligation,
    PlanDecision,
)
from orders.models import Order

pytestmark = pytest.mark.django_db

LEGAL = "legal@platform.example.cn"


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "skipped" not in out.getvalue(), out.getvalue()


def company(slug):
    return Company.objects.get(memberships__user__email=f"main@{slug}.example.cn")


def main(slug):
    return f"main@{slug}.example.cn"


def pages(client, email, urls):
    """GET each url as `email`; {url: text of the page}."""
    client.force_login(User.objects.get(email=email))
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = response.content.decode()
    return found


def test_obligations_in_rings_an_applied_run_and_one_awaiting_the_demo_buyer(client):
    seed()
    buyer = company(world.DEMO_BUYER)
    statuses = set(Obligation.objects.values_list("status", flat=True))
    assert {"confirmed", "settled", "pending_confirmation", "disputed"} <= statuses
    assert Obligation.objects.get(status=Obligation.Status.PENDING).debtor == buyer, "the demo buyer has one to answer"
    disputed = Obligation.objects.get(status=Obligation.Status.DISPUTED)
    assert disputed.disputes.get().reason and disputed.evidence.get().company == disputed.debtor

    applied = ClearingRun.objects.get(status=ClearingRun.Status.APPLIED)
    assert applied.participants.count() >= 8
    assert set(applied.participants.values_list("status", flat=True)) == {ClearingParticipant.Status.CONFIRMED}
    by_reference = {obligation.reference: obligation for obligation in Obligation.objects.all()}
    trap = [reference for reference, *_rest in world.DEBT_OBLIGATIONS if reference.startswith(("SH-", "JG-", "GT-"))]
    assert [by_reference[reference].outstanding for reference in trap] == [0, 100000, 0, 0], \
        "the three-company ring is set off, not the pair"

    awaiting = ClearingRun.objects.get(status=ClearingRun.Status.AWAITING)
    parts = {part.company_id: part.status for part in awaiting.participants.all()}
    assert parts.pop(buyer.pk) == ClearingParticipant.Status.PENDING
    assert parts and set(parts.values()) == {ClearingParticipant.Status.CONFIRMED}

    member = reverse("member-debt:clearing-run", args=[awaiting.pk])
    found = pages(client, main(world.DEMO_BUYER), [
        reverse("member-debt:obligations"), reverse("member-debt:clearing"), member,
        reverse("member-debt:clearing-run", args=[applied.pk]),
        reverse("member-debt:obligation", args=[Obligation.objects.get(status=Obligation.Status.PENDING).pk])])
    assert reverse("member-debt:clearing-respond", args=[awaiting.pk]) in found[member], "a part to confirm"
    statement = client.get(reverse("member-debt:clearing-statement", args=[applied.pk]))
    assert statement.status_code == 200 and statement.content.startswith(b"%PDF")
    pages(client, main("pengcheng-print"), [reverse("member-debt:obligation", args=[disputed.pk])])
    staff = pages(client, LEGAL, [reverse("backoffice-debt:runs"), reverse("backoffice-debt:obligations"),
                                  reverse("backoffice-debt:run", args=[applied.pk]),
                                  reverse("backoffice-debt:run", args=[awaiting.pk])])
    assert buyer.name in staff[reverse("backoffice-debt:run", args=[awaiting.pk])]
    pages(client, "finance@platform.example.cn", [reverse("backoffice-debt:runs")])


def test_a_case_in_negotiation_and_one_in_execution(client):
    seed()
    negotiating = DebtCase.objects.get(stage=DebtCase.Stage.NEGOTIATION)
    assert negotiating.assignee.email == LEGAL and negotiating.claims.count() == 2
    assert negotiating.instalment_plans.get().status == InstalmentPlan.Status.PROPOSED
    assert negotiating.guarantees.get().status == Guarantee.Status.PROPOSED
    confirmed = negotiating.decisions.filter(plan_version=negotiating.plan_version,
                                             decision=PlanDecision.Decision.CONFIRMED)
    assert len(party_company_ids(negotiating)) == 3 and [d.company for d in confirmed] == [negotiating.applicant]

    executing = DebtCase.objects.get(stage=DebtCase.Stage.EXECUTION)
    plan = executing.instalment_plans.get()
    assert plan.status == InstalmentPlan.Status.ACTIVE
    assert [i.status for i in plan.instalments.all()] == [Instalment.Status.PAID, Instalment.Status.OVERDUE,
                                                          Instalment.Status.DUE]
    settlement = executing.goods_settlements.get()
    assert settlement.status == GoodsSettlement.Status.ORDERED
    assert settlement.order.buyer == executing.applicant and settlement.order.seller == settlement.debtor
    assert (settlement.order.status, settlement.order.payment_method) == (Order.Status.PAID,
                                                                          Order.PaymentMethod.GOODS_FOR_DEBT)

    for case in (negotiating, executing):
        found = pages(client, case.submitted_by.email, [reverse("member-debt:cases"),
                                                        reverse("member-debt:case", args=[case.pk])])
        assert case.number in found[reverse("member-debt:cases")]
    pages(client, main("jinghua-print"), [reverse("member-debt:case", args=[negotiating.pk])])
    staff = pages(client, LEGAL, [
        reverse("backoffice-debt:cases"), reverse("backoffice-debt:overdue-instalments"),
        *(reverse("backoffice-debt:case", args=[case.pk]) for case in (negotiating, executing))])
    assert negotiating.number in staff[reverse("backoffice-debt:cases")]
    assert executing.number in staff[reverse("backoffice-debt:overdue-instalments")]


def test_barter_a_ring_executed_and_a_lot_split_over_several_takers(client):
    seed()
    buyer = company(world.DEMO_BUYER)
    assert BarterProfile.objects.filter(cash_limit__gt=0).count() >= 5

    ring = next(proposal for proposal in Proposal.objects.filter(status=Proposal.Status.EXECUTING)
                if proposal.participants.count() >= 3)
    transfers = list(ring.transfers.select_related("order"))
    assert len(transfers) >= 3 and len({t.giver_id for t in transfers}) == len({t.taker_id for t in transfers}) >= 3
    assert all(t.order.payment_method == Order.PaymentMethod.BARTER and t.order.status == Order.Status.PAID
               for t in transfers)

    lot = Listing.objects.get(company=buyer, kind=Listing.Kind.HAVE, product__isnull=True)
    rows = barter_selectors.lot_split(have=lot)
    assert len({row["transfer"].taker_id for row in rows}) >= 2, "one lot, several takers"
    assert all(row["back"] for row in rows), "each taker gives goods back"
    assert any(row["transfer"].order for row in rows), "part of the lot went ahead"

    waiting = Proposal.objects.filter(status=Proposal.Status.PROPOSED, participants__company=buyer).get(
        participants__answer=Participant.Answer.CONFIRMED)
    answers = {p.company_id: p.answer for p in waiting.participants.all()}
    assert answers[buyer.pk] == Participant.Answer.PENDING

    found = pages(client, main(world.DEMO_BUYER), [
        reverse("member-barter:home"), reverse("member-barter:proposal", args=[waiting.number]),
        reverse("member-barter:lot", args=[lot.pk])])
    assert waiting.number in found[reverse("member-barter:home")]
    ring_member = ring.participants.first().company.memberships.get(is_main=True).user.email
    pages(client, ring_member, [reverse("member-barter:proposal", args=[ring.number]),
                                reverse("merchant-barter:haves")])
    staff = pages(client, "service@platform.example.cn", [
        reverse("backoffice-barter:runs"), reverse("backoffice-barter:deals"),
        *(reverse("backoffice-barter:deal", args=[deal.number]) for deal in (ring, waiting))])
    assert ring.number in staff[reverse("backoffice-barter:deals")]
    pages(client, "finance@platform.example.cn", [reverse("backoffice-barter:settlements")])
