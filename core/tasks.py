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


@shared_task
def deliver_webhook(*, delivery_id):
    from core.webhooks import deliver

    delivery = deliver(delivery_id=delivery_id)
    return delivery.status if delivery is not None else None


@shared_task
def retry_due_webhook_deliveries():
    from core.webhooks import retry_due_deliveries

    return retry_due_deliveries()


@shared_task
def purge_old_webhook_deliveries():
    from core.webhooks import purge_old_deliveries

    return purge_old_deliveries()
