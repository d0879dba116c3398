from datetime import timedelta

from celery import shared_task
from django.utils import timezone


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(*, notification_id):
    from core.notifications import deliver_email

    return deliver_email(notification_id=notification_id)


@shared_task
def purge_idempotency_records():
    """Idempotency keys are honoured for 24 hours."""
    from core.models import IdempotencyRecord

    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - timedelta(hours=24)).delete()
    return deleted
