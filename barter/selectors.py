"""Barter reads, scoped to the caller's company (another company's rows are simply not there)."""

from collections import defaultdict

from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from barter.models import Listing, MatchingRun, Participant, Proposal, Settlement, Transfer

P = Proposal.Status


def listings_for_company(*, company, kind=None):
    rows = Listing.objects.filter(company=company).select_related("category", "product")
    return rows.filter(kind=kind) if kind else rows


def listing_for_company(*, company, listing_id=None, number=None):
    rows = listings_for_company(company=company)
    return rows.filter(pk=listing_id).first() if listing_id is not None else rows.filter(number=number).first()


def _with_details(proposals):
    return proposals.prefetch_related(
        Prefetch("participants", queryset=Participant.objects.select_related("company", "answered_by")),
        Prefetch("transfers", queryset=Transfer.objects.select_related(
            "have__category", "have__product", "want__category", "giver", "taker", "order")),
        Prefetch("settlements", queryset=Settlement.objects.select_related("company")),
    )


def proposals_for_company(*, company, statuses=None):
    rows = Proposal.objects.filter(Exists(Participant.objects.filter(proposal=OuterRef("pk"), company=company)))
    if statuses:
        rows = rows.filter(status__in=statuses)
    return _with_details(rows).order_by("-created_at", "-pk")


def proposal_for_company(*, company, number=None, proposal_id=None):
    rows = proposals_for_company(company=company)
    return rows.filter(pk=proposal_id).first() if proposal_id is not None else rows.filter(number=number).first()


def deals_for_company(*, company):
    return proposals_for_company(company=company, statuses=[P.EXECUTING, P.COMPLETED])


def lot_split(*, have):
    """Every transfer from one have (a major client's one-to-many lot): to whom, how much, and
    what that company gives back in the same deal."""
    transfers = list(Transfer.objects.filter(have=have).select_related("proposal", "taker", "want", "order")
                     .order_by("proposal__created_at", "position"))
    takers = {(transfer.proposal_id, transfer.taker_id) for transfer in transfers}
    back = defaultdict(list)  # what each taker gives in the same deal, read in one query for the lot
    for transfer in (Transfer.objects.filter(proposal_id__in={proposal for proposal, _ in takers},
                                             giver_id__in={taker for _, taker in takers})
                     .select_related("have", "taker").order_by("position")):
        if (transfer.proposal_id, transfer.giver_id) in takers:
            back[transfer.proposal_id, transfer.giver_id].append(transfer)
    return [{"transfer": transfer, "back": back[transfer.proposal_id, transfer.taker_id]} for transfer in transfers]


# --- staff ----------------------------------------------------------------------------------------

def runs():
    return MatchingRun.objects.select_related("started_by").order_by("-created_at", "-pk")


def deals(*, status=None, overdue=False):
    rows = Proposal.objects.annotate(
        companies=Count("participants", distinct=True),
        confirmed=Count("participants", filter=Q(participants__answer=Participant.Answer.CONFIRMED), distinct=True),
        orders=Count("transfers__order", distinct=True),
        orders_done=Count("transfers__order", filter=Q(transfers__order__status="completed"), distinct=True),
    ).select_related("run")
    if status:
        rows = rows.filter(status=status)
    if overdue:
        rows = rows.overdue()
    return rows.order_by("-created_at", "-pk")


def staff_deal(*, number):
    return _with_details(Proposal.objects.filter(number=number)).select_related("run").first()


def overdue_proposals():
    return Proposal.objects.overdue()


def pending_settlements():
    return Settlement.objects.filter(status=Settlement.Status.PENDING).select_related("proposal", "company")
