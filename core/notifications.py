"""Notifications: the site inbox and email, sent once per (recipient, key)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import Notification


def notify(*, recipient, kind, key, title, body="", link="", email=True):
    """Put a notification in `recipient`'s inbox and queue its email, unless `key` was sent before.

    `key` names the event (e.g. "tier-review:2026-Q4:company-7"); sending the same key to the same
    recipient again does nothing, so jobs that run twice notify once. Returns the notification,
    or None when it had already been sent.
    """
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, kind=kind, dedup_key=key[:200], title=title[:200], body=body,
                link=link, send_email=email and bool(recipient.email),
            )
    except IntegrityError:
        return None
    forget_unread_count(recipient.pk)
    if notification.send_email:
        from core.tasks import send_notification_email

        transaction.on_commit(lambda: send_notification_email.delay(notification_id=notification.pk), robust=True)
    return notification


@transaction.atomic
def deliver_email(*, notification_id):
    """Email one notification once: the row is locked and stamped in the same transaction."""
    notification = (
        Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at is not None or not notification.send_email:
        return False
    link = f"\n\n{settings.SITE_URL}{notification.link}" if notification.link else ""
    send_mail(
        subject=notification.title,
        message=f"{notification.body}{link}",
        from_email=None,
        recipient_list=[notification.recipient.email],
    )
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return True


def forget_unread_count(user_id):
    """The cached inbox badge is stale: drop it now and again once the change commits (a page
    rendered in between may have cached the old figure)."""
    from django.core.cache import cache

    from core import context
    from core.selectors import unread_key

    context.current().memo.pop(("unread", user_id), None)
    cache.delete(unread_key(user_id))
    transaction.on_commit(lambda: cache.delete(unread_key(user_id)), robust=True)


def mark_read(*, user, notification_ids=None):
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    marked = unread.update(read_at=timezone.now())
    if marked:
        forget_unread_count(user.pk)
    return marked


def mark_read_on_visit(*, user, path) -> int:
    """Opening the page a notification links to reads it (the inbox badge stops counting it)."""
    from core.selectors import unread_summary

    count, paths = unread_summary(user=user)  # answered from the cache
    if not count or (paths is not None and path not in paths):
        return 0
    marked = Notification.objects.filter(
        Q(link=path) | Q(link__startswith=f"{path}#") | Q(link__startswith=f"{path}?"),
        recipient=user, read_at__isnull=True,
    ).update(read_at=timezone.now())
    if marked:
        forget_unread_count(user.pk)
    return marked
