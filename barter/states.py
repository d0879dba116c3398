"""Listing and proposal lifecycles as tables: status → statuses it may move to.

Every move goes through `listing_transition` or `proposal_transition`, which lock the row, check
the table, stamp the time field, save with update_fields and write the audit row (who, when, from,
to) in the same transaction.

Listings: draft → active → matched (held by a proposal) → traded; active/draft → withdrawn;
active → expired (window over); matched → active when its proposal lapses (or expired, when the
window closed meanwhile). A matched listing cannot be withdrawn: a proposal holds it.

Proposals: proposed → executing (every participant confirmed) → completed (orders completed and
cash settled); proposed → lapsed (one rejected or the deadline passed).
"""

from django.db import transaction
from django.utils import timezone

from barter.models import Listing, Proposal
from core import audit, webhooks
from core.errors import InvalidTransition

L = Listing.Status
P = Proposal.Status

LISTING_TRANSITIONS = {
    L.DRAFT: {L.ACTIVE, L.WITHDRAWN},
    L.ACTIVE: {L.MATCHED, L.WITHDRAWN, L.EXPIRED},
    L.MATCHED: {L.ACTIVE, L.TRADED, L.EXPIRED},
    L.TRADED: set(),
    L.WITHDRAWN: set(),
    L.EXPIRED: set(),
}

PROPOSAL_TRANSITIONS = {
    P.PROPOSED: {P.EXECUTING, P.LAPSED},
    P.EXECUTING: {P.COMPLETED},
    P.COMPLETED: set(),
    P.LAPSED: set(),
}

PROPOSAL_TIMESTAMPS = {P.EXECUTING: "confirmed_at", P.COMPLETED: "completed_at", P.LAPSED: "lapsed_at"}


@transaction.atomic
def listing_transition(*, listing_id, to, actor, reason=""):
    """Move a listing to `to` if the table allows it; record who, when, from and to."""
    listing = Listing.objects.select_for_update().get(pk=listing_id)
    if to not in LISTING_TRANSITIONS[listing.status]:
        raise InvalidTransition(listing.status, to, label=lambda value: L(value).label)
    previous, listing.status = listing.status, to
    listing.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, action="barter.listing.status", subject=listing, company=listing.company,
                 before=previous, after=to, reason=reason)
    return listing


@transaction.atomic
def proposal_transition(*, proposal_id, to, actor, reason=""):
    """Move a proposal to `to` if the table allows it; record it in the deal's audit trail."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if to not in PROPOSAL_TRANSITIONS[proposal.status]:
        raise InvalidTransition(proposal.status, to, label=lambda value: P(value).label)
    previous, proposal.status = proposal.status, to
    fields = ["status", "updated_at"]
    if to in PROPOSAL_TIMESTAMPS:
        setattr(proposal, PROPOSAL_TIMESTAMPS[to], timezone.now())
        fields.append(PROPOSAL_TIMESTAMPS[to])
    if to == P.LAPSED:
        proposal.lapse_reason = reason[:300]
        fields.append("lapse_reason")
    proposal.save(update_fields=fields)
    audit.record(actor=actor, action="barter.proposal.status", subject=proposal, before=previous, after=to,
                 reason=reason)
    emit_deal_status(proposal, previous=previous)
    return proposal


def emit_deal_status(proposal, *, previous=""):
    """Every company in the deal hears of it (webhooks): proposed, executing, completed, lapsed."""
    webhooks.emit("barter.deal.status_changed", proposal.participants.values_list("company_id", flat=True), {
        "deal": proposal.number, "from": previous, "to": proposal.status, "total_value": proposal.total_value})
