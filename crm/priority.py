"""Major clients first: the one ordering every staff queue uses (SPEC §4, benefits).

Kept apart from `crm.tiers` so the catalogue and orders can import it without importing the
tier review (and through it the orders app)."""

from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce

from crm.models import TIER_RANK, ClientProfile


def tier_rank_expression(company_field="pk"):
    """The tier rank (0 ordinary … 4 diamond) of the company `company_field` points at, as an
    expression for any queryset: orders' "buyer", a company queryset's "pk", etc.

        queue.annotate(priority=tier_rank_expression("buyer")).order_by("-priority", "submitted_at")
        queue.order_by(tier_rank_expression("buyer").desc(), "submitted_at")

    Companies without a client profile rank as ordinary (0)."""
    ranked = ClientProfile.objects.filter(company_id=OuterRef(company_field)).annotate(
        rank=Case(*[When(tier=tier, then=Value(rank)) for tier, rank in TIER_RANK.items()],
                  default=Value(0), output_field=IntegerField()),
    ).values("rank")[:1]
    return Coalesce(Subquery(ranked, output_field=IntegerField()), Value(0))


def major_clients_first(queryset, company_field, *oldest_first):
    """`queryset` with major clients' rows first (highest tier first), then oldest first."""
    return queryset.order_by(tier_rank_expression(company_field).desc(), *oldest_first)
