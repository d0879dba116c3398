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
    return f"notifications:unread:{user_id}"


def unread_count(*, user):
    """The inbox badge: how many of the user's notifications are unread. Cached per user (every
    signed-in page shows it); `core.notifications` forgets the figure when it changes."""
    from django.core.cache import cache

    key = unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TIMEOUT)
    return count


def audit_events_for(subject):
    """Everything recorded about one object (a listing's full history), newest first."""
    from django.contrib.contenttypes.models import ContentType

    subject_type = ContentType.objects.get_for_model(subject)
    return (AuditEvent.objects.filter(subject_type=subject_type, subject_id=str(subject.pk))
            .select_related("company", "api_key", "subject_type").order_by("-occurred_at", "-id"))
