"""Shipping over the API: the seller ships (`fulfilment` scope), either side reads the tracking,
offline carriers' steps are entered by the sending side, the buyer signs for the goods
(`purchasing` scope). Another company's order or shipment is a 404. Thin: parse, one service or
selector, render."""

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.permissions import HasCompanyPermission, IsCompanyMember, caller_company, caller_may
from core.api.views import ApiView
from core.errors import NotAllowed, NotFound
from core.permissions import CompanyPermission
from orders import shipping
from orders.models import Order, Shipment, TrackingEvent


class TrackingEventOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TrackingEvent.Kind.choices)
    kind_display = serializers.CharField(source="get_kind_display")
    occurred_at = serializers.DateTimeField()
    location = serializers.CharField()
    description = serializers.CharField()
    entered_by_hand = serializers.SerializerMethodField(help_text="True for steps entered by the sender "
                                                                  "(offline carriers).")

    def get_entered_by_hand(self, event) -> bool:
        return event.entered_by_id is not None


class ShipmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=Shipment.Direction.choices, help_text="delivery or return.")
    carrier = serializers.ChoiceField(choices=Shipment.Carrier.choices)
    carrier_name = serializers.SerializerMethodField(help_text="The carrier as people call it.")
    waybill_number = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    events = TrackingEventOutput(many=True, source="events.all", help_text="Newest first.")

    def get_carrier_name(self, shipment) -> str:
        return shipment.carrier_name or str(shipment.get_carrier_display())


class TrackingOutput(serializers.Serializer):
    order = serializers.CharField(source="number")
    status = serializers.ChoiceField(choices=Order.Status.choices)
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    shipments = serializers.SerializerMethodField()

    @extend_schema_field(ShipmentOutput(many=True))
    def get_shipments(self, order):
        return ShipmentOutput(shipping.shipments_for_order(order), many=True).data


class ReceiptOutput(serializers.Serializer):
    order = serializers.CharField(source="number")
    status = serializers.ChoiceField(choices=Order.Status.choices)
    received_at = serializers.DateTimeField(allow_null=True)


def _order_id(request, number, side):
    """The id of the caller's company's order on `side`; 0 lets the service say 未找到."""
    return Order.objects.filter(number=number, **{side: caller_company(request)}).values_list(
        "pk", flat=True).first() or 0


def _shipment_output(shipment):
    return ShipmentOutput(shipping.shipments_for_order(shipment.order).get(pk=shipment.pk)).data


class ShipOrderView(ApiView):
    """Ship a paid order (`fulfilment` scope). For JD or SF leave `waybill_number` empty to have the
    platform book the pickup and return the carrier's waybill number; an offline carrier needs
    `carrier_name` and `waybill_number`. The order's reserved stock leaves the warehouse and the
    buyer is notified."""

    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = CompanyPermission.FULFILMENT

    class ShipInput(serializers.Serializer):
        carrier = serializers.ChoiceField(choices=Shipment.Carrier.choices)
        waybill_number = serializers.CharField(required=False, allow_blank=True, max_length=40, default="",
                                               help_text="Required for offline carriers; optional for jd and sf.")
        carrier_name = serializers.CharField(required=False, allow_blank=True, max_length=60, default="",
                                             help_text="The offline carrier's name, e.g. 德邦物流.")

    @extend_schema(request=ShipInput, responses={201: ShipmentOutput})
    def post(self, request, number):
        payload = self.ShipInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        shipment = shipping.ship_order(by=request.user, order_id=_order_id(request, number, "seller"),
                                       carrier=data["carrier"], waybill_number=data["waybill_number"],
                                       carrier_name=data["carrier_name"])
        return Response(_shipment_output(shipment), status=status.HTTP_201_CREATED)


class TrackingView(ApiView):
    """The order's shipments (delivery and returns) with their tracking, newest step first. Either
    side of the order may read it."""

    permission_classes = [IsCompanyMember]

    @extend_schema(responses=TrackingOutput)
    def get(self, request, number):
        order = shipping.order_for_tracking(company=caller_company(request), number=number)
        return Response(TrackingOutput(order).data)


class TrackingEventView(ApiView):
    """Add a tracking step by hand to an offline carrier's shipment: the seller on its deliveries
    (`fulfilment` scope), the buyer on its returns (`purchasing` scope). JD and SF shipments are
    tracked from the carrier and refuse manual steps."""

    permission_classes = [IsCompanyMember]

    class EventInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=TrackingEvent.Kind.choices)
        occurred_at = serializers.DateTimeField()
        location = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
        description = serializers.CharField(max_length=300)

    @extend_schema(request=EventInput, responses={201: ShipmentOutput})
    def post(self, request, shipment_id):
        company = caller_company(request)
        shipment = Shipment.objects.select_related("order").filter(pk=shipment_id).first()
        delivery = shipment is not None and shipment.direction == Shipment.Direction.DELIVERY
        sender_id = (shipment.order.seller_id if delivery else shipment.order.buyer_id) if shipment else None
        if company is None or company.pk != sender_id:  # only the sending side writes a shipment's steps
            raise NotFound(_("未找到该物流单。"))
        needed = CompanyPermission.FULFILMENT if delivery else CompanyPermission.PURCHASING
        if not caller_may(request, needed):
            raise NotAllowed()
        payload = self.EventInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        shipping.add_tracking_event(by=request.user, shipment_id=shipment.pk, kind=data["kind"],
                                    occurred_at=data["occurred_at"], location=data["location"],
                                    description=data["description"])
        return Response(_shipment_output(shipment), status=status.HTTP_201_CREATED)


class ReceiptView(ApiView):
    """确认收货: the buyer signs for a shipped order (`purchasing` scope); the seller is notified."""

    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = CompanyPermission.PURCHASING

    @extend_schema(request=None, responses={200: ReceiptOutput})
    def post(self, request, number):
        order = shipping.confirm_receipt(by=request.user, order_id=_order_id(request, number, "buyer"))
        return Response(ReceiptOutput(order).data)


urlpatterns = [
    path("orders/<str:number>/shipments/", ShipOrderView.as_view(), name="api-order-shipments"),
    path("orders/<str:number>/tracking/", TrackingView.as_view(), name="api-order-tracking"),
    path("orders/<str:number>/receipt/", ReceiptView.as_view(), name="api-order-receipt"),
    path("shipments/<int:shipment_id>/events/", TrackingEventView.as_view(), name="api-shipment-events"),
]
