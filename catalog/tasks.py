from celery import shared_task


@shared_task
def expire_stock_reservations():
    """Release reservations past their expiry (scheduled every 10 minutes; safe to run twice)."""
    from catalog.services import expire_reservations

    return expire_reservations()
