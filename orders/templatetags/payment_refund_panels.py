"""What the payment and refund panels of the order page show, for the side looking at it.

The order pages include `orders/includes/payment_panel.html` and `refund_panel.html` with
`order`, `side` and `membership`; these tags gather the rest, asking `orders.payments` and
`orders.refunds` which actions that side may take now.
"""

from django import template
from django.conf import settings

from core.permissions import CompanyPermission
from orders import payments, refunds
from orders.models import Order, Refund

register = template.Library()


@register.simple_tag
def payment_panel(order, side, membership=None):
    from orders.payment_views import TransferForm

    may_record = (side == "buyer" and order.status == Order.Status.PENDING_PAYMENT
                  and order.payment_method == Order.PaymentMethod.TRANSFER
                  and payments.may_record_transfers(membership))
    recordable = payments.recordable(order)
    return {
        "bank": settings.PLATFORM_BANK_ACCOUNT,
        "payments": list(payments.payments_of(order)) if side in ("buyer", "staff") else [],
        "outstanding": payments.outstanding(order),
        "awaiting": payments.awaiting_confirmation(order),
        "recordable": recordable,
        "may_record": may_record and recordable > 0,
        "may_see_slips": side == "staff" or payments.may_record_transfers(membership),
        "form": TransferForm.for_order(order) if may_record and recordable > 0 else None,
    }


@register.simple_tag
def refund_panel(order, side, membership=None):
    from orders.refund_views import RefundRejectForm, RefundRequestForm, ReturnShipmentForm

    buyer = side == "buyer" and membership is not None and membership.allows(CompanyPermission.PURCHASING)
    seller = side == "seller" and membership is not None and membership.allows(CompanyPermission.FULFILMENT)
    refusal = refunds.refund_refusal(order)
    current = refunds.open_refund(order)
    may_request = buyer and refusal is None
    status = current.status if current else ""
    return {
        "refunds": list(refunds.refunds_of(order)),
        "current": current,
        "refundable": refunds.refundable_amount(order),
        "may_request": may_request,
        "request_form": RefundRequestForm(auto_id="refund_%s") if may_request else None,
        # Why not, shown to the buyer only where a refund would otherwise be expected.
        "refusal": refusal.message if buyer and refusal is not None and order.status in (
            Order.Status.RECEIVED, Order.Status.COMPLETED) else "",
        "may_ship_return": buyer and status == Refund.Status.AWAITING_RETURN,
        "return_form": ReturnShipmentForm(auto_id="return_%s") if buyer and status == Refund.Status.AWAITING_RETURN
        else None,
        "may_withdraw": buyer and current is not None and refunds.withdrawal_refusal(current, order) is None,
        "may_decide": seller and refunds.seller_may_decide(current, order),
        "reject_form": RefundRejectForm(auto_id="refund_reject_%s") if seller and refunds.seller_may_decide(
            current, order) else None,
        "may_confirm_return": seller and status == Refund.Status.RETURN_SHIPPED,
        "lines": list(order.lines.all()) if seller and status == Refund.Status.RETURN_SHIPPED else [],
        "auto_approve_hours": refunds.order_settings().refund_auto_approve_hours,
    }
