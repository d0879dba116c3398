"""A listing's content-review lifecycle as a table: status → statuses it may move to (SPEC §2).

    draft ─submit─▶ pending review ─approve─▶ published ─unlist─▶ unlisted ─submit─▶ pending review
                                   └reject─▶ rejected ─submit─▶ pending review

Edits to a published listing's text or images do not move the listing: they are a
`ProductRevision` reviewed beside it (catalog.services.review_revision).
"""

from django.db import transaction
from django.utils import timezone

from catalog.models import Product
from core import audit
from core.errors import InvalidTransition

S = Product.Status

TRANSITIONS = {
    S.DRAFT: {S.PENDING_REVIEW},
    S.PENDING_REVIEW: {S.PUBLISHED, S.REJECTED},
    S.PUBLISHED: {S.UNLISTED},
    S.REJECTED: {S.PENDING_REVIEW},
    S.UNLISTED: {S.PENDING_REVIEW},
}


@transaction.atomic
def product_transition(*, product_id, to, actor, reason=""):
    """Move a listing to `to` if the table allows it; record who, when, from and to."""
    product = Product.objects.select_for_update().get(pk=product_id)
    if to not in TRANSITIONS[product.status]:
        raise InvalidTransition(product.status, to, label=lambda value: S(value).label)
    previous, product.status = product.status, to
    fields = ["status", "updated_at"]
    now = timezone.now()
    if to == S.PENDING_REVIEW:
        product.submitted_at, product.rejection_reason = now, ""
        fields += ["submitted_at", "rejection_reason"]
    elif to == S.PUBLISHED:
        product.published_at = now
        fields.append("published_at")
    elif to == S.REJECTED:
        product.rejection_reason = reason
        fields.append("rejection_reason")
    product.save(update_fields=fields)
    audit.record(actor=actor, action="product.status", subject=product, company=product.seller, before=previous,
                 after=to, reason=reason)
    return product
