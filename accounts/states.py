"""A company's status as a table: status → statuses it may move to (issue: enterprise accounts).

    (individual) → applying → verified | rejected;  rejected → applying (resubmitted)
    verified ⇄ frozen;  verified → change pending → verified
    applying | rejected | verified → deregistered

A frozen company cannot deregister: the freeze exists because the account may be in the wrong
hands. Every move goes through `company_transition`, which records it.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import Company
from core import audit
from core.errors import InvalidTransition

S = Company.Status

TRANSITIONS = {
    S.APPLYING: {S.VERIFIED, S.REJECTED, S.DEREGISTERED},
    S.REJECTED: {S.APPLYING, S.DEREGISTERED},
    S.VERIFIED: {S.FROZEN, S.CHANGE_PENDING, S.DEREGISTERED},
    S.CHANGE_PENDING: {S.VERIFIED, S.FROZEN},
    S.FROZEN: {S.VERIFIED, S.CHANGE_PENDING},
    S.DEREGISTERED: set(),
}


@transaction.atomic
def company_transition(*, company_id, to, actor, reason=""):
    """Move a company to `to` if the table allows it; record who, when, from and to."""
    company = Company.objects.select_for_update().get(pk=company_id)
    if to not in TRANSITIONS[company.status]:
        raise InvalidTransition(company.status, to, label=lambda value: S(value).label)
    previous, company.status = company.status, to
    fields = ["status", "updated_at"]
    if to == S.VERIFIED and company.verified_at is None:
        company.verified_at = timezone.now()
        fields.append("verified_at")
    company.save(update_fields=fields)
    audit.record(actor=actor, action="company.status", subject=company, before=previous, after=to, reason=reason)
    return company
