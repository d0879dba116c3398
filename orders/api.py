"""Orders over the API: list and read the caller's orders, place orders, cancel before payment,
messages on the order, and the seller's price/quantity adjustments with the buyer's answer.

An API key acts for its company. Placing, cancelling a purchase and answering an adjustment need
the `purchasing` scope; the seller's side (proposing, withdrawing, cancelling a sale) needs
`fulfilment`; messages need the side's scope. Approving a sub-account's order above its purchase
approval limit is a main-account decision made in the member centre (订单审批), not over the API:
an order placed by a key whose creator is such a sub-account comes back `awaiting_approval`.
Another company's order — and, for the seller, an order still awaiting the buyer's approval — is a 404.
Thin: parse, one service or selector, render.
"""

from django.db.models import Prefetch
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.permissions import HasCompanyPermission, IsCompanyMember, caller_company, caller_may
from core.api.serializers import FieldsBuiltOnce
from core.api.views import ApiListView, ApiRetrieveView, ApiView
from core.errors import NotAllowed, NotFound
from core.permissions import CompanyPermission
from orders import selectors, services
from orders.models import Order, OrderAdjustment, OrderLine, OrderMessage
from orders.services import BUYER, SELLER, SIDE_PERMISSION


class OrderLineOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    product = serializers.IntegerField(source="product_id", allow_null=True)

    class Meta:
        model = OrderLine
        fields = ["id", "product", "title", "seller_sku", "attributes", "unit", "quantity", "list_price",
                  "price_tiers", "unit_price", "amount"]


class OrderOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    buyer = serializers.CharField(source="buyer.name")
    seller = serializers.CharField(source="seller.name")
    lines = OrderLineOutput(many=True)

    class Meta:
        model = Order
        fields = ["number", "buyer", "seller", "status", "total", "amount_paid", "remittance_reference",
                  "payment_method", "buyer_note", "placed_at", "payment_due_at", "paid_at", "completed_at",
                  "cancelled_at", "cancel_reason", "lines"]


class OrderMessageOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="author.display_name", allow_null=True, default=None)

    class Meta:
        model = OrderMessage
        fields = ["id", "from_seller", "author", "body", "created_at"]


class AdjustmentOutput(serializers.ModelSerializer):
    class Meta:
        model = OrderAdjustment
        fields = ["id", "status", "lines", "total_before", "total_after", "note", "proposed_at", "decided_at"]


def _orders(request):
    return selectors.orders_for_company(company=caller_company(request)).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))


def _order_and_side(request, number):
    """The caller's order and the caller's side of it; anything else is a 404."""
    order = _orders(request).filter(number=number).first()
    if order is None:
        raise NotFound(NotFound.default_message)
    side = BUYER if order.buyer_id == caller_company(request).pk else SELLER
    return order, side


def _require(request, permission):
    """The key needs the scope (and its creator the permission); a session user the permission."""
    if not caller_may(request, permission):
        raise NotAllowed(HasCompanyPermission.message, code="missing_scope")


def _each(serializer_class, rows):
    """Validate every row of a list field; the errors come back per row, as DRF reports them."""
    checked = [serializer_class(data=row) for row in rows]
    if not all(row.is_valid() for row in checked):
        raise serializers.ValidationError({"lines": [row.errors for row in checked]})
    return [row.validated_data for row in checked]


def _order_for(request, number, side=None):
    order, actual = _order_and_side(request, number)
    if side is not None and actual != side:
        raise NotAllowed(NotAllowed.default_message, code=f"{side}_only")
    _require(request, SIDE_PERMISSION[actual])
    return order, actual


class OrderListView(ApiListView):
    """The caller's company's orders (bought or sold), newest first. POST places orders
    (`purchasing` scope): one order per seller, stock reserved, all or nothing."""

    serializer_class = OrderOutput
    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = CompanyPermission.PURCHASING  # for POST; reading needs only a company key

    class LineInput(serializers.Serializer):
        product = serializers.IntegerField(help_text="A published product's id.")
        quantity = serializers.DecimalField(max_digits=14, decimal_places=3,
                                            help_text="In the product's unit; at least its minimum order quantity.")

    class PlaceInput(serializers.Serializer):
        lines = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=200,
                                      help_text='[{"product": 12, "quantity": "5"}, …]')
        buyer_note = serializers.CharField(required=False, allow_blank=True, max_length=500)
        payment_method = serializers.ChoiceField(
            choices=Order.PaymentMethod.choices, default=Order.PaymentMethod.TRANSFER,
            help_text="transfer: offline transfer confirmed by finance; on_account: the company's credit line (账期), "
                      "paid at once, refused beyond the available credit.")

    class PlacedOutput(serializers.Serializer):
        orders = OrderOutput(many=True)

    @extend_schema(parameters=[
        OpenApiParameter("status", str, enum=Order.Status.values),
        OpenApiParameter("side", str, enum=[BUYER, SELLER], description="Only purchases or only sales."),
        OpenApiParameter("counterparty", str, description="Part of the other company's name."),
        OpenApiParameter("number", str, description="Part of the order number, or the remittance reference."),
        OpenApiParameter("since", str, description="Placed on or after this date (YYYY-MM-DD)."),
        OpenApiParameter("until", str, description="Placed on or before this date (YYYY-MM-DD)."),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        from orders.forms import OrderFilterForm

        params = self.request.query_params
        filters = OrderFilterForm(params).filters()
        side = params.get("side", "") if params.get("side", "") in (BUYER, SELLER) else ""
        orders = selectors.orders_for_company(company=caller_company(self.request), side=side)
        # The frozen company snapshots are the widest columns and the list doesn't show them.
        return selectors.filter_orders(orders, **filters).defer("buyer_snapshot", "seller_snapshot").prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))

    @extend_schema(request=PlaceInput, responses={201: PlacedOutput})
    def post(self, request):
        payload = self.PlaceInput(data=request.data)
        payload.is_valid(raise_exception=True)
        lines = _each(self.LineInput, payload.validated_data["lines"])
        items = [(line["product"], line["quantity"]) for line in lines]
        orders = services.place_orders(by=request.user, items=items,
                                       buyer_note=payload.validated_data.get("buyer_note", ""),
                                       payment_method=payload.validated_data["payment_method"])
        # The orders come back with their lines in memory: nothing to read again.
        return Response({"orders": OrderOutput(orders, many=True).data}, status=status.HTTP_201_CREATED)


class OrderDetailView(ApiRetrieveView):
    serializer_class = OrderOutput
    permission_classes = [IsCompanyMember]
    lookup_field = "number"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return _orders(self.request)


class OrderCancelView(ApiView):
    """Cancel before payment (buyer: `purchasing`, seller: `fulfilment`) with a reason; the
    reserved stock is released and the other side told."""

    permission_classes = [IsCompanyMember]

    class CancelInput(serializers.Serializer):
        reason = serializers.CharField(max_length=300)

    @extend_schema(request=CancelInput, responses=OrderOutput)
    def post(self, request, number):
        payload = self.CancelInput(data=request.data)
        payload.is_valid(raise_exception=True)
        order, _side = _order_for(request, number)
        services.cancel_order(by=request.user, order_id=order.pk, reason=payload.validated_data["reason"])
        return Response(OrderOutput(_orders(request).get(pk=order.pk)).data)


class OrderMessagesView(ApiView):
    """The order's messages, oldest first; POST writes one (the side's scope), at any stage."""

    permission_classes = [IsCompanyMember]

    class MessageInput(serializers.Serializer):
        body = serializers.CharField(max_length=2000)

    @extend_schema(responses=OrderMessageOutput(many=True))
    def get(self, request, number):
        order, _side = _order_and_side(request, number)
        return Response(OrderMessageOutput(order.messages.select_related("author"), many=True).data)

    @extend_schema(request=MessageInput, responses={201: OrderMessageOutput})
    def post(self, request, number):
        payload = self.MessageInput(data=request.data)
        payload.is_valid(raise_exception=True)
        order, _side = _order_for(request, number)
        message = services.post_order_message(by=request.user, order_id=order.pk, body=payload.validated_data["body"])
        return Response(OrderMessageOutput(message).data, status=status.HTTP_201_CREATED)


class AdjustmentsView(ApiView):
    """The order's adjustments, newest first. POST (seller, `fulfilment`) proposes new quantities
    and/or unit prices before payment; they apply when the buyer accepts."""

    permission_classes = [IsCompanyMember]

    class LineChange(serializers.Serializer):
        line = serializers.IntegerField(help_text="An order line's id (see `lines[].id`).")
        quantity = serializers.DecimalField(max_digits=14, decimal_places=3, required=False)
        unit_price = serializers.DecimalField(max_digits=16, decimal_places=2, required=False)

    class ProposeInput(serializers.Serializer):
        lines = serializers.ListField(child=serializers.DictField(), min_length=1)
        note = serializers.CharField(required=False, allow_blank=True, max_length=300)

    @extend_schema(responses=AdjustmentOutput(many=True))
    def get(self, request, number):
        order, _side = _order_and_side(request, number)
        return Response(AdjustmentOutput(order.adjustments.all(), many=True).data)

    @extend_schema(request=ProposeInput, responses={201: AdjustmentOutput})
    def post(self, request, number):
        payload = self.ProposeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        changes = {data["line"]: {key: data.get(key) for key in ("quantity", "unit_price")}
                   for data in _each(self.LineChange, payload.validated_data["lines"])}
        order, _side = _order_for(request, number, side=SELLER)
        adjustment = services.propose_adjustment(by=request.user, order_id=order.pk, lines=changes,
                                                 note=payload.validated_data.get("note", ""))
        return Response(AdjustmentOutput(adjustment).data, status=status.HTTP_201_CREATED)


def _adjustment(order, adjustment_id):
    adjustment = order.adjustments.filter(pk=adjustment_id).first()
    if adjustment is None:
        raise NotFound(NotFound.default_message)
    return adjustment


class AdjustmentAcceptView(ApiView):
    """The buyer accepts (`purchasing`): lines, total and stock reservations change at once."""

    permission_classes = [IsCompanyMember]

    @extend_schema(request=None, responses=OrderOutput)
    def post(self, request, number, adjustment_id):
        order, _side = _order_for(request, number, side=BUYER)
        services.accept_adjustment(by=request.user, adjustment_id=_adjustment(order, adjustment_id).pk)
        return Response(OrderOutput(_orders(request).get(pk=order.pk)).data)


class AdjustmentDeclineView(ApiView):
    """The buyer declines (`purchasing`); the order stays as it was."""

    permission_classes = [IsCompanyMember]

    class DeclineInput(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, max_length=300)

    @extend_schema(request=DeclineInput, responses=AdjustmentOutput)
    def post(self, request, number, adjustment_id):
        payload = self.DeclineInput(data=request.data)
        payload.is_valid(raise_exception=True)
        order, _side = _order_for(request, number, side=BUYER)
        adjustment = services.decline_adjustment(by=request.user, adjustment_id=_adjustment(order, adjustment_id).pk,
                                                 reason=payload.validated_data.get("reason", ""))
        return Response(AdjustmentOutput(adjustment).data)


class AdjustmentWithdrawView(ApiView):
    """The seller withdraws its open proposal (`fulfilment`)."""

    permission_classes = [IsCompanyMember]

    @extend_schema(request=None, responses=AdjustmentOutput)
    def post(self, request, number, adjustment_id):
        order, _side = _order_for(request, number, side=SELLER)
        adjustment = services.withdraw_adjustment(by=request.user,
                                                  adjustment_id=_adjustment(order, adjustment_id).pk)
        return Response(AdjustmentOutput(adjustment).data)


urlpatterns = [
    path("orders/<str:number>/cancel/", OrderCancelView.as_view(), name="api-order-cancel"),
    path("orders/<str:number>/messages/", OrderMessagesView.as_view(), name="api-order-messages"),
    path("orders/<str:number>/adjustments/", AdjustmentsView.as_view(), name="api-order-adjustments"),
    path("orders/<str:number>/adjustments/<int:adjustment_id>/accept/", AdjustmentAcceptView.as_view(),
         name="api-order-adjustment-accept"),
    path("orders/<str:number>/adjustments/<int:adjustment_id>/decline/", AdjustmentDeclineView.as_view(),
         name="api-order-adjustment-decline"),
    path("orders/<str:number>/adjustments/<int:adjustment_id>/withdraw/", AdjustmentWithdrawView.as_view(),
         name="api-order-adjustment-withdraw"),
]
