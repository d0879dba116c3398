"""Scheduled order jobs. Each calls one service and is safe to run twice."""

from celery import shared_task


@shared_task(name="orders.tasks.expire_unpaid_orders")
def expire_unpaid_orders():
    from orders.services import expire_unpaid_orders as expire

    return expire()


@shared_task(name="orders.tasks.auto_approve_refunds")
def auto_approve_refunds():
    from orders.refunds import auto_approve_stale_refunds

    return auto_approve_stale_refunds()


@shared_task(name="orders.tasks.poll_tracking")
def poll_tracking():
    from orders.shipping import poll_tracking as poll

    return poll()


@shared_task(name="orders.tasks.auto_confirm_receipts")
def auto_confirm_receipts():
    from orders.shipping import auto_confirm_receipts as confirm

    return confirm()


@shared_task(name="orders.tasks.complete_received_orders")
def complete_received_orders():
    from orders.shipping import complete_received_orders as complete

    return complete()


@shared_task(name="orders.tasks.notify_new_orders")
def notify_new_orders(*, order_ids):
    """The sellers of a checkout's orders hear of them (one task per checkout)."""
    from orders.services import notify_new_order

    for order_id in order_ids:
        notify_new_order(order_id=order_id)
