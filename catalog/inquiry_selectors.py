"""Reads of inquiries (询价): a buyer's threads, a seller company's threads with their filters,
one thread with its messages, unread counts.

Scoping happens here: every function takes the user (or the company the user answers for) and
returns only what that side may see, so a page or API view cannot forget it. Who is on which
side of a thread is decided in one place, `catalog.services.inquiry_side`. List selectors load
their relations in a fixed number of queries, whatever the page length.
"""

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery

from accounts.selectors import membership_of
from catalog.models import Inquiry, InquiryMessage
from catalog.services import inquiry_side, may_answer_inquiries

BUYER, SELLER = "buyer", "seller"
SELLER_FILTERS = ("open", "unread", "closed")


def answering_company(user):
    """The company whose inquiries `user` may read and answer (catalog.services.may_answer_inquiries), or None."""
    membership = membership_of(user) if user.is_authenticated else None
    if membership is None or not may_answer_inquiries(user, membership.company_id):
        return None
    return membership.company


def _with_list_relations(inquiries):
    latest = InquiryMessage.objects.filter(inquiry=OuterRef("pk")).order_by("-created_at", "-id")
    return inquiries.select_related("product", "seller", "buyer", "buyer_company").annotate(
        message_count=Count("messages"),
        last_body=Subquery(latest.values("body")[:1]),
        last_from_seller=Subquery(latest.values("from_seller")[:1]),
    )


def inquiries_of_buyer(user, *, unread=False):
    """The threads `user` started, latest activity first; `unread`: only those with an answer the
    user has not read."""
    inquiries = Inquiry.objects.filter(buyer=user)
    if unread:
        inquiries = inquiries.filter(buyer_unread=True)
    return _with_list_relations(inquiries).order_by("-last_message_at", "-id")


def inquiries_of_seller(company, *, show=""):
    """The threads addressed to `company`, latest activity first. `show`: "" (all), "open",
    "unread" (unanswered news for the seller, open or not) or "closed"."""
    inquiries = Inquiry.objects.filter(seller=company)
    if show == "open":
        inquiries = inquiries.filter(status=Inquiry.Status.OPEN)
    elif show == "closed":
        inquiries = inquiries.filter(status=Inquiry.Status.CLOSED)
    elif show == "unread":
        inquiries = inquiries.filter(seller_unread=True)
    return _with_list_relations(inquiries).order_by("-last_message_at", "-id")


def inquiries_for(user, *, role="", status="", unread=False):
    """Every thread `user` is on, as buyer and (when they may answer for their company) as seller.
    `role` narrows to "buyer" or "seller"; `status` to open/closed; `unread` to threads with news
    for the user's side."""
    company = answering_company(user)
    as_buyer, as_seller = Q(buyer=user), Q(seller=company) if company is not None else Q(pk__in=[])
    if unread:
        as_buyer &= Q(buyer_unread=True)
        as_seller &= Q(seller_unread=True)
    scope = {BUYER: as_buyer, SELLER: as_seller}.get(role, as_buyer | as_seller)
    inquiries = Inquiry.objects.filter(scope)
    if status in Inquiry.Status.values:
        inquiries = inquiries.filter(status=status)
    return _with_list_relations(inquiries).order_by("-last_message_at", "-id")


def inquiry_thread(user, inquiry_id, *, side=None):
    """One thread with its messages (authors loaded), if `user` is on it — on `side` when given.
    Returns (inquiry, side) or (None, None): other people's threads do not exist for the caller."""
    inquiry = (
        Inquiry.objects.select_related("product", "seller", "buyer", "buyer_company")
        .prefetch_related(Prefetch("messages", queryset=InquiryMessage.objects.select_related("author")))
        .filter(pk=inquiry_id).first()
    )
    found = inquiry_side(user, inquiry) if inquiry is not None and user.is_authenticated else None
    if found is None or (side is not None and found != side):
        return None, None
    return inquiry, found


def unread_counts(user):
    """{"buyer": the user's threads with an answer they have not read, "seller": threads with news
    from buyers for the company the user answers for (0 when they answer for none)}."""
    counts = {BUYER: 0, SELLER: 0}
    if not user.is_authenticated:
        return counts
    counts[BUYER] = Inquiry.objects.filter(buyer=user, buyer_unread=True).count()
    company = answering_company(user)
    if company is not None:
        counts[SELLER] = Inquiry.objects.filter(seller=company, seller_unread=True).count()
    return counts


def seller_counts(company):
    """Thread counts for the seller's filter tabs: {"all", "open", "unread", "closed"}."""
    return Inquiry.objects.filter(seller=company).aggregate(
        all=Count("pk"),
        open=Count("pk", filter=Q(status=Inquiry.Status.OPEN)),
        unread=Count("pk", filter=Q(seller_unread=True)),
        closed=Count("pk", filter=Q(status=Inquiry.Status.CLOSED)),
    )
