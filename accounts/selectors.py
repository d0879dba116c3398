from django.db.models import Count, Q

from accounts.models import Company, Membership


def membership_of(user):
    """The user's active membership, or None (individual members and staff have none)."""
    membership = getattr(user, "membership", None)
    return membership if membership is not None and membership.is_active else None


def company_of(user):
    membership = membership_of(user)
    return membership.company if membership else None


def companies(*, text="", verification="", standing=""):
    rows = Company.objects.select_related("province", "city").annotate(
        member_count=Count("memberships", filter=Q(memberships__is_active=True)),
    )
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(unified_social_credit_code__iexact=text))
    if verification:
        rows = rows.filter(verification=verification)
    if standing:
        rows = rows.filter(standing=standing)
    return rows.order_by("name")


def companies_awaiting_review():
    return Company.objects.filter(verification=Company.Verification.PENDING).order_by("updated_at")


def members_of(company):
    return Membership.objects.filter(company=company).select_related("user").order_by("-is_main", "created_at")


def api_keys_of(company):
    return company.api_keys.select_related("created_by").order_by("-created_at")
