from django.db.models import Q

from core.models import AuditEvent, Notification, Region


def provinces():
    return Region.objects.filter(level=Region.Level.PROVINCE).order_by("position")


def cities_of(province_id):
    return Region.objects.filter(province_id=province_id, level=Region.Level.CITY).order_by("position")


def audit_events(*, company=None, actor=None, action="", text="", since=None, until=None):
    """Audit rows, newest first, filtered the way staff and main accounts search them."""
    events = AuditEvent.objects.select_related("company", "api_key", "subject_type")
    if company is not None:
        events = events.filter(company=company)
    if actor is not None:
        events = events.filter(actor=actor)
    if action:
        events = events.filter(action__startswith=action)
    if text:
        events = events.filter(
            Q(subject_repr__icontains=text) | Q(actor_label__icontains=text) | Q(company__name__icontains=text)
            | Q(reason__icontains=text) | Q(subject_id=text)
        )
    if since:
        events = events.filter(occurred_at__date__gte=since)
    if until:
        events = events.filter(occurred_at__date__lte=until)
    return events.order_by("-occurred_at", "-id")


def inbox(*, user):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


UNREAD_TIMEOUT = 60  # seconds; bulk inserts of notifications (tier reviews, reminders) show within this


def unread_key(user_id):
    return f"notifications:unread:v2:{user_id}"


UNREAD_PATHS_KEPT = 200  # more distinct pages than this and a visit asks the database instead


def _link_path(link: str) -> str:
    return link.split("#", 1)[0].split("?", 1)[0]


def unread_summary(*, user):
    """How many of the user's notifications are unread, and the pages they link to (a frozenset
    of paths, or None when there are too many to keep). Cached per user: every signed-in page
    shows the badge and checks whether it is one of those pages; `core.notifications` forgets
    the summary when it changes."""
    from django.core.cache import cache

    from core import context
    from core.cache import viewer_parts_key

    memo = context.current().memo  # read once per request
    if ("unread", user.pk) in memo:
        return memo["unread", user.pk]
    key = unread_key(user.pk)
    # The viewer's cached page parts come in the same round trip (core.cache.fill_viewer_parts).
    found = cache.get_many([key, viewer_parts_key(user.pk)])
    memo["viewer-parts", user.pk] = found.get(viewer_parts_key(user.pk))
    summary = found.get(key)
    if summary is None:
        links = list(Notification.objects.filter(recipient=user, read_at__isnull=True)
                     .values_list("link", flat=True)[:UNREAD_PATHS_KEPT + 1])
        paths = frozenset(_link_path(link) for link in links if link)
        if len(links) > UNREAD_PATHS_KEPT:
            summary = (Notification.objects.filter(recipient=user, read_at__isnull=True).count(), None)
        else:
            summary = (len(links), paths)
        cache.set(key, summary, UNREAD_TIMEOUT)
    memo["unread", user.pk] = summary
    return summary


def unread_count(*, user):
    """The inbox badge: how many of the user's notifications are unread."""
    return unread_summary(user=user)[0]


def audit_events_for(subject):
    """Everything recorded about one object (a listing's full history), newest first."""
    from django.contrib.contenttypes.models import ContentType

    subject_type = ContentType.objects.get_for_model(subject)
    return (AuditEvent.objects.filter(subject_type=subject_type, subject_id=str(subject.pk))
            .select_related("company", "api_key", "subject_type").order_by("-occurred_at", "-id"))
