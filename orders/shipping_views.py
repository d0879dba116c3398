"""Shipping on the order pages: the seller ships and enters offline tracking steps (merchant back
end), the buyer signs for the goods and enters its return's steps (member centre), either side
asks the carrier for news ("刷新物流"). Every view is a POST that calls one service and goes back
to the order page with the outcome as a message; the panel itself is
templates/orders/includes/shipping_panel.html."""

from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import member_page
from core.flash import run_and_report
from core.permissions import CompanyPermission
from orders import shipping
from orders.models import Order

DETAIL = {"buyer": "member-orders:detail", "seller": "merchant-orders:detail"}
LIST = {"buyer": "member-orders:list", "seller": "merchant-orders:list"}


def _back(side, number):
    return redirect(DETAIL[side], number) if number else redirect(LIST[side])


def _shipment_order_number(request, shipment_id, side):
    """The number of the shipment's order when the member's company is its `side`, else ""."""
    company = request.user.membership.company
    return Order.objects.filter(shipments__pk=shipment_id, **{side: company}).values_list(
        "number", flat=True).first() or ""


def _order_id(request, number, side):
    """The order's id if the member's company is its `side`; 0 lets the service say 未找到."""
    company = request.user.membership.company
    field = {"buyer": "buyer", "seller": "seller"}[side]
    return Order.objects.filter(number=number, **{field: company}).values_list("pk", flat=True).first() or 0


@require_POST
@member_page(permission=CompanyPermission.FULFILMENT)
def ship(request, number):
    data = request.POST
    order_id = _order_id(request, number, "seller")
    run_and_report(request, lambda: shipping.ship_order(
        by=request.user, order_id=order_id, carrier=data.get("carrier", ""),
        waybill_number=data.get("waybill_number", ""), carrier_name=data.get("carrier_name", "")),
        lambda shipment: _("已发货：%(carrier)s %(number)s。") % {
            "carrier": shipment.carrier_name or shipment.get_carrier_display(), "number": shipment.waybill_number})
    return _back("seller", number if order_id else "")


def _add_event(request, shipment_id, side):
    data = request.POST
    run_and_report(request, lambda: shipping.add_tracking_event(
        by=request.user, shipment_id=shipment_id, kind=data.get("kind", ""), occurred_at=data.get("occurred_at", ""),
        location=data.get("location", ""), description=data.get("description", "")), _("已添加物流轨迹。"))
    return _back(side, _shipment_order_number(request, shipment_id, side))


@require_POST
@member_page(permission=CompanyPermission.FULFILMENT)
def seller_event(request, shipment_id):
    return _add_event(request, shipment_id, "seller")


@require_POST
@member_page(permission=CompanyPermission.PURCHASING)
def buyer_event(request, shipment_id):
    return _add_event(request, shipment_id, "buyer")


def _refresh(request, shipment_id, side):
    run_and_report(request, lambda: shipping.refresh_tracking(by=request.user, shipment_id=shipment_id),
                   lambda added: _("已更新 %(count)s 条物流轨迹。") % {"count": added} if added
                   else _("暂无新的物流轨迹。"))
    return _back(side, _shipment_order_number(request, shipment_id, side))


@require_POST
@member_page(permission=CompanyPermission.FULFILMENT)
def seller_refresh(request, shipment_id):
    return _refresh(request, shipment_id, "seller")


@require_POST
@member_page(permission=CompanyPermission.PURCHASING)
def buyer_refresh(request, shipment_id):
    return _refresh(request, shipment_id, "buyer")


@require_POST
@member_page(permission=CompanyPermission.PURCHASING)
def confirm_receipt(request, number):
    order_id = _order_id(request, number, "buyer")
    run_and_report(request, lambda: shipping.confirm_receipt(by=request.user, order_id=order_id), _("已确认收货。"))
    return _back("buyer", number if order_id else "")


member_urlpatterns = [
    path("<str:number>/receipt/", confirm_receipt, name="shipping-receipt"),
    path("shipments/<int:shipment_id>/events/", buyer_event, name="shipping-event"),
    path("shipments/<int:shipment_id>/refresh/", buyer_refresh, name="shipping-refresh"),
]
merchant_urlpatterns = [
    path("<str:number>/ship/", ship, name="shipping-ship"),
    path("shipments/<int:shipment_id>/events/", seller_event, name="shipping-event"),
    path("shipments/<int:shipment_id>/refresh/", seller_refresh, name="shipping-refresh"),
]
backoffice_urlpatterns = []


def register():
    """Shipping has no back-office work queue: carriers are polled by the scheduled job and staff
    read the tracking on the order page."""
