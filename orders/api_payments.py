"""Payments and refunds over the API.

Transfers: the buyer lists an order's transfers and records one (`purchasing` or `finance`
scope; multipart with an optional `slip` file, or JSON without one). Finance confirms them in the
back office only. Refunds: the buyer requests, sends the return and withdraws (`purchasing`); the
seller approves, rejects and confirms the return (`fulfilment`); both sides list an order's
refunds. Another company's order or refund is a 404. Thin: parse, one service or selector, render.
"""

from django.conf import settings
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from core.api.permissions import HasCompanyPermission, IsCompanyMember, caller_company, caller_may
from core.api.views import ApiView
from core.errors import NotFound
from core.permissions import CompanyPermission
from orders import payments, refunds
from orders.models import Order, Payment, Refund, Shipment


def _order(request, number, side):
    """The caller's company's order on `side` ("buyer", "seller" or "" for either), else 404."""
    company = caller_company(request)
    sides = {"buyer": {"buyer": company}, "seller": {"seller": company}}
    orders = Order.objects.filter(number=number)
    order = (orders.filter(**sides[side]) if side else
             (orders.filter(buyer=company) | orders.filter(seller=company))).first()
    if order is None:
        raise NotFound(_("未找到该订单。"))
    return order


class MayRecordTransfers(BasePermission):
    """Recording a transfer needs the `purchasing` or the `finance` scope (and the user's right)."""

    message = gettext_lazy("您的账号或 API 密钥没有“采购与订单”或“财务与发票”权限。")

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return any(caller_may(request, permission) for permission in payments.PAYER_PERMISSIONS)


# --- payments ----------------------------------------------------------------------------------

class PaymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    payer_name = serializers.CharField()
    payer_account = serializers.CharField()
    bank_reference = serializers.CharField()
    transferred_on = serializers.DateField()
    has_slip = serializers.SerializerMethodField()
    payer_name_matches = serializers.BooleanField(
        help_text="False when the payer name differs from the buyer's verified company name: finance checks "
                  "such transfers by hand.")
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    decision_note = serializers.CharField(help_text="Finance's note, or why the transfer was rejected.")
    recorded_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)

    def get_has_slip(self, payment) -> bool:
        return bool(payment.slip)


class OrderPaymentsOutput(serializers.Serializer):
    order = serializers.CharField(source="number")
    status = serializers.ChoiceField(choices=Order.Status.choices)
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    amount_paid = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Confirmed by finance.")
    outstanding = serializers.SerializerMethodField(help_text="Total less confirmed transfers.")
    awaiting_confirmation = serializers.SerializerMethodField(help_text="Recorded, not yet confirmed.")
    remittance_reference = serializers.CharField(allow_null=True,
                                                 help_text="Put this in the transfer's memo (附言).")
    payment_due_at = serializers.DateTimeField(allow_null=True)
    bank_account = serializers.SerializerMethodField(help_text="The platform's account to transfer to.")
    payments = serializers.SerializerMethodField()

    def get_outstanding(self, order) -> str:
        return str(payments.outstanding(order))

    def get_awaiting_confirmation(self, order) -> str:
        return str(payments.awaiting_confirmation(order))

    def get_bank_account(self, order) -> dict:
        return dict(settings.PLATFORM_BANK_ACCOUNT)

    def get_payments(self, order) -> list:
        return PaymentOutput(payments.payments_of(order), many=True).data


class OrderPaymentsView(ApiView):
    """GET: the buyer's view of paying an order: the platform's bank account, the remittance
    reference, what is outstanding and every recorded transfer. POST: record a transfer
    (`purchasing` or `finance` scope) as JSON, or as multipart/form-data with a `slip` file (PDF,
    JPEG or PNG, at most 10 MB). The amount may not exceed what is outstanding less transfers
    awaiting confirmation; the date may not be in the future."""

    permission_classes = [IsCompanyMember, MayRecordTransfers]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class TransferRecordInput(serializers.Serializer):
        amount = serializers.DecimalField(max_digits=16, decimal_places=2)
        payer_name = serializers.CharField(max_length=100, help_text="The paying account's name.")
        payer_account = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
        bank_reference = serializers.CharField(max_length=40, help_text="The bank's transaction number (流水号).")
        transferred_on = serializers.DateField()
        slip = serializers.FileField(required=False, allow_null=True, help_text="Multipart only.")

    @extend_schema(responses=OrderPaymentsOutput)
    def get(self, request, number):
        return Response(OrderPaymentsOutput(_order(request, number, "buyer")).data)

    @extend_schema(request=TransferRecordInput, responses={201: PaymentOutput})
    def post(self, request, number):
        order = _order(request, number, "buyer")
        payload = self.TransferRecordInput(data=request.data)
        payload.is_valid(raise_exception=True)
        payment = payments.record_transfer(by=request.user, order_id=order.pk, **payload.validated_data)
        return Response(PaymentOutput(payment).data, status=status.HTTP_201_CREATED)


# --- refunds -----------------------------------------------------------------------------------

class ReturnShipmentOutput(serializers.Serializer):
    carrier = serializers.ChoiceField(choices=Shipment.Carrier.choices)
    carrier_name = serializers.CharField()
    waybill_number = serializers.CharField()


class RefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.CharField(source="order.number")
    status = serializers.ChoiceField(choices=Refund.Status.choices)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    reason = serializers.CharField()
    needs_return = serializers.BooleanField(help_text="The goods were shipped: they must come back first.")
    return_shipment = ReturnShipmentOutput(allow_null=True)
    rejection_reason = serializers.CharField()
    requested_at = serializers.DateTimeField()
    seller_decided_at = serializers.DateTimeField(allow_null=True)
    return_received_at = serializers.DateTimeField(allow_null=True)
    paid_out_at = serializers.DateTimeField(allow_null=True)
    payout_reference = serializers.CharField()


class OrderRefundsView(ApiView):
    """GET: an order's refunds, newest first (buyer or seller). POST: request a refund (buyer,
    `purchasing` scope) while the order is paid or shipped and not yet signed for. Without `amount`
    everything paid and not yet refunded is asked back."""

    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = CompanyPermission.PURCHASING

    class RefundRequestInput(serializers.Serializer):
        reason = serializers.CharField(max_length=500)
        amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)

    @extend_schema(responses=RefundOutput(many=True))
    def get(self, request, number):
        order = _order(request, number, "")
        return Response(RefundOutput(refunds.refunds_of(order), many=True).data)

    @extend_schema(request=RefundRequestInput, responses={201: RefundOutput})
    def post(self, request, number):
        order = _order(request, number, "buyer")
        payload = self.RefundRequestInput(data=request.data)
        payload.is_valid(raise_exception=True)
        refund = refunds.request_refund(by=request.user, order_id=order.pk, **payload.validated_data)
        return Response(RefundOutput(refund).data, status=status.HTTP_201_CREATED)


def _refund(request, refund_id, side):
    company = caller_company(request)
    refund = Refund.objects.select_related("order", "return_shipment").filter(
        pk=refund_id, **{f"order__{side}": company}).first()
    if refund is None:
        raise NotFound(_("未找到该退款申请。"))
    return refund


class _RefundAction(ApiView):
    permission_classes = [IsCompanyMember, HasCompanyPermission]
    side = "buyer"
    input_class = None

    def act(self, request, refund, data):
        raise NotImplementedError

    def post(self, request, refund_id):
        refund = _refund(request, refund_id, self.side)
        data = {}
        if self.input_class is not None:
            payload = self.input_class(data=request.data)
            payload.is_valid(raise_exception=True)
            data = payload.validated_data
        self.act(request, refund, data)
        return Response(RefundOutput(_refund(request, refund_id, self.side)).data)


class RefundApproveView(_RefundAction):
    """The seller agrees (`fulfilment` scope). Before shipment the refund goes to finance and the
    order's reserved stock is released; after shipment the buyer must send the goods back."""

    side, required_permission = "seller", CompanyPermission.FULFILMENT

    @extend_schema(request=None, responses=RefundOutput)
    def post(self, request, refund_id):
        return super().post(request, refund_id)

    def act(self, request, refund, data):
        refunds.approve_refund(by=request.user, refund_id=refund.pk)


class RefundRejectView(_RefundAction):
    """The seller refuses with a reason (`fulfilment` scope); the order returns to where it was."""

    side, required_permission = "seller", CompanyPermission.FULFILMENT

    class RefundRejectInput(serializers.Serializer):
        reason = serializers.CharField(max_length=500)

    input_class = RefundRejectInput

    @extend_schema(request=RefundRejectInput, responses=RefundOutput)
    def post(self, request, refund_id):
        return super().post(request, refund_id)

    def act(self, request, refund, data):
        refunds.reject_refund(by=request.user, refund_id=refund.pk, reason=data["reason"])


class RefundReturnShipmentView(_RefundAction):
    """The buyer sends the goods back (`purchasing` scope): carrier `jd`, `sf` or `offline` (with
    `carrier_name`) and the return waybill number."""

    side, required_permission = "buyer", CompanyPermission.PURCHASING

    class ReturnShipmentInput(serializers.Serializer):
        carrier = serializers.ChoiceField(choices=Shipment.Carrier.choices)
        waybill_number = serializers.CharField(max_length=40)
        carrier_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")

    input_class = ReturnShipmentInput

    @extend_schema(request=ReturnShipmentInput, responses=RefundOutput)
    def post(self, request, refund_id):
        return super().post(request, refund_id)

    def act(self, request, refund, data):
        refunds.ship_return(by=request.user, refund_id=refund.pk, **data)


class RefundConfirmReturnView(_RefundAction):
    """The seller received the returned goods (`fulfilment` scope); they go back into stock and the
    refund goes to finance. `quantities` ({order line id: quantity}) when not everything came back."""

    side, required_permission = "seller", CompanyPermission.FULFILMENT

    class ConfirmReturnInput(serializers.Serializer):
        quantities = serializers.DictField(child=serializers.DecimalField(max_digits=14, decimal_places=3),
                                           required=False, allow_null=True)

    input_class = ConfirmReturnInput

    @extend_schema(request=ConfirmReturnInput, responses=RefundOutput)
    def post(self, request, refund_id):
        return super().post(request, refund_id)

    def act(self, request, refund, data):
        refunds.confirm_return(by=request.user, refund_id=refund.pk, quantities=data.get("quantities"))


class RefundWithdrawView(_RefundAction):
    """The buyer withdraws an open refund before the goods are sent back (`purchasing` scope)."""

    side, required_permission = "buyer", CompanyPermission.PURCHASING

    @extend_schema(request=None, responses=RefundOutput)
    def post(self, request, refund_id):
        return super().post(request, refund_id)

    def act(self, request, refund, data):
        refunds.withdraw_refund(by=request.user, refund_id=refund.pk)


urlpatterns = [
    path("orders/<str:number>/payments/", OrderPaymentsView.as_view(), name="api-order-payments"),
    path("orders/<str:number>/refunds/", OrderRefundsView.as_view(), name="api-order-refunds"),
    path("refunds/<int:refund_id>/approve/", RefundApproveView.as_view(), name="api-refund-approve"),
    path("refunds/<int:refund_id>/reject/", RefundRejectView.as_view(), name="api-refund-reject"),
    path("refunds/<int:refund_id>/return-shipment/", RefundReturnShipmentView.as_view(),
         name="api-refund-return-shipment"),
    path("refunds/<int:refund_id>/confirm-return/", RefundConfirmReturnView.as_view(),
         name="api-refund-confirm-return"),
    path("refunds/<int:refund_id>/withdraw/", RefundWithdrawView.as_view(), name="api-refund-withdraw"),
]
