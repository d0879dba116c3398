from django.db.models import Count, Q

from accounts.models import Application, Company, CompanyDocument, FreezeRecord, Membership
from core import rows
from core import selectors as core_selectors
from core.models import Region


def membership_of(user):
    """The user's active membership, or None (individual members and staff have none)."""
    membership = getattr(user, "membership", None)
    return membership if membership is not None and membership.is_active else None


def company_of(user):
    membership = membership_of(user)
    return membership.company if membership else None


def companies(*, text="", status=""):
    rows = Company.objects.select_related("province", "city").annotate(
        member_count=Count("memberships", filter=Q(memberships__is_active=True)),
    )
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(unified_social_credit_code__iexact=text))
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("name")


def pending_applications():
    """The review queue: oldest first (major clients first once tiers exist)."""
    return (Application.objects.filter(status=Application.Status.PENDING)
            .select_related("company", "submitted_by").order_by("submitted_at", "id"))


def unfreeze_requests():
    return (FreezeRecord.objects.filter(unfrozen_at__isnull=True, unfreeze_requested_at__isnull=False)
            .select_related("company").order_by("unfreeze_requested_at"))


def applications_of(company):
    return company.applications.select_related("decided_by", "submitted_by").order_by("-submitted_at", "-id")


def latest_application(company):
    return applications_of(company).first() if company else None


def documents_of(company, *, application=None):
    documents = CompanyDocument.objects.filter(company=company)
    if application is not None:
        documents = documents.filter(application=application)
    return documents.select_related("uploaded_by").order_by("-uploaded_at", "-id")


def document_for(*, user, document_id):
    """A document the user may read: its company's active members, and staff. Else None."""
    from core.permissions import has_staff_role

    document = CompanyDocument.objects.select_related("company").filter(pk=document_id).first()
    if document is None or not document.file:
        return None
    if has_staff_role(user):
        return document
    membership = membership_of(user)
    return document if membership is not None and membership.company_id == document.company_id else None


def members_of(company):
    return Membership.objects.filter(company=company).select_related("user").order_by("-is_main", "created_at")


def sub_account_of(*, company, membership_id):
    return members_of(company).filter(pk=membership_id, is_main=False).first()


def api_keys_of(company):
    return company.api_keys.select_related("created_by").order_by("-created_at")


def status_history(company):
    return core_selectors.audit_events(company=company, action="company.status")


def operation_log(*, company, actor_id=None, action="", text="", since=None, until=None):
    """Everything anyone did in the company (the main account's 操作日志)."""
    events = core_selectors.audit_events(company=company, action=action, text=text, since=since, until=until)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    return events


def freezes_of(company):
    return company.freezes.select_related("frozen_by", "unfrozen_by").order_by("-frozen_at")


# Hand-written (core.rows) and prepared once per database session: checkout runs it on every order.
_COMPANIES_WITH_REGIONS = (
    f"SELECT {rows.columns(Company, 'c')}, {rows.columns(Region, 'p')}, {rows.columns(Region, 'r')} "  # noqa: S608
    "FROM accounts_company c LEFT JOIN core_region p ON p.id = c.province_id "
    "LEFT JOIN core_region r ON r.id = c.city_id WHERE c.id = ANY(%s)")


def companies_with_regions(company_ids) -> dict:
    """Companies by id with their province and city loaded (what an order's snapshot of each
    side names), in one statement."""
    companies = {}
    for row in rows.fetch_all(_COMPANIES_WITH_REGIONS, [sorted(company_ids)], prepared="tp_companies_with_regions"):
        company, at = rows.instance(Company, row, 0)
        company.province, at = rows.instance(Region, row, at)
        company.city, _end = rows.instance(Region, row, at)
        companies[company.pk] = company
    return companies
