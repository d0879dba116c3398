"""Scheduled jobs of this part; each calls one service and is safe to run twice."""

from celery import shared_task

__all__ = ["compute_reorder_reminders", "detect_volume_anomalies", "send_reminder_emails"]


@shared_task
def compute_reorder_reminders():
    """Daily: close reordered reminders, bring back snoozed ones, create and send due ones."""
    from crm.reminders import compute_reminders

    return compute_reminders()


@shared_task
def detect_volume_anomalies():
    """Daily catch-up of the quarterly comparison; a period's alert is raised once."""
    from crm.alerts import detect_volume_anomalies as detect

    return detect()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_reminder_emails(*, notification_ids):
    """Email a batch of reminder notifications; each is sent at most once (core.notifications)."""
    from core.notifications import deliver_email

    return sum(1 for notification_id in notification_ids if deliver_email(notification_id=notification_id))
