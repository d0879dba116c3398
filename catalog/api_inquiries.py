"""Inquiries over the API (询价): the caller's threads as buyer (the key's user) and as seller (the
key's company, when the key's user may answer for it). Reads need a company key; writes the
`messaging` scope. Other people's threads are a 404. Thin: parse, one service or selector, render.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from catalog import inquiry_selectors as selectors
from catalog import services
from catalog.models import Inquiry
from core.api.permissions import HasCompanyPermission, IsCompanyMember
from core.api.views import ApiListView, ApiView
from core.errors import NotFound
from core.permissions import CompanyPermission

ROLES = [(selectors.BUYER, "buyer"), (selectors.SELLER, "seller")]


class CompanyRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class InquiryMessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    from_seller = serializers.BooleanField()
    author = serializers.SerializerMethodField(
        help_text="Who wrote it. A seller's staff are named to the seller's side only; the buyer sees null "
                  "and the seller company.")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_author(self, message) -> str | None:
        if message.author is None or (message.from_seller
                                      and message.inquiry.buyer_id == self.context["request"].user.pk):
            return None
        return message.author.display_name


class InquiryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.SerializerMethodField(help_text="The caller's side of this thread: buyer or seller.")
    product = serializers.IntegerField(source="product_id")
    product_title = serializers.CharField(source="product.title")
    unit = serializers.CharField(source="product.unit")
    seller = CompanyRefOutput()
    buyer_name = serializers.CharField(source="buyer.display_name")
    buyer_company = CompanyRefOutput(allow_null=True, help_text="null when an individual member asked.")
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    status = serializers.ChoiceField(choices=Inquiry.Status.choices)
    unread = serializers.SerializerMethodField(help_text="Whether the caller's side has news it has not read.")
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField()

    def _role(self, inquiry):
        return selectors.BUYER if inquiry.buyer_id == self.context["request"].user.pk else selectors.SELLER

    def get_role(self, inquiry) -> str:
        return self._role(inquiry)

    def get_unread(self, inquiry) -> bool:
        return inquiry.buyer_unread if self._role(inquiry) == selectors.BUYER else inquiry.seller_unread


class InquiryListOutput(InquiryOutput):
    message_count = serializers.IntegerField()
    last_message = serializers.CharField(source="last_body")


class InquiryDetailOutput(InquiryOutput):
    messages = InquiryMessageOutput(many=True, source="messages.all")


def _thread(request, inquiry_id):
    inquiry, _side = selectors.inquiry_thread(request.user, inquiry_id)
    if inquiry is None:
        raise NotFound()
    return inquiry


class _InquiryApi:
    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = CompanyPermission.MESSAGING  # for writes; reads need only a company key


class InquiryListView(_InquiryApi, ApiListView):
    """The caller's inquiries, latest activity first: those the key's user started (role `buyer`) and
    those addressed to the key's company (role `seller`, when the user holds the messaging or
    products permission). POST starts one about a published product (`messaging` scope)."""

    serializer_class = InquiryListOutput
    filter_backends = []

    class StartInput(serializers.Serializer):
        product = serializers.IntegerField(help_text="A published product's id.")
        body = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="Up to 2000 characters.")
        quantity = serializers.DecimalField(max_digits=14, decimal_places=3, required=False, allow_null=True,
                                            help_text="Quantity wanted, in the product's unit.")

    @extend_schema(parameters=[
        OpenApiParameter("role", str, enum=[selectors.BUYER, selectors.SELLER]),
        OpenApiParameter("status", str, enum=Inquiry.Status.values),
        OpenApiParameter("unread", bool, description="Only threads with news for the caller's side."),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Inquiry.objects.none()
        params = self.request.query_params
        return selectors.inquiries_for(self.request.user, role=params.get("role", ""),
                                       status=params.get("status", ""),
                                       unread=params.get("unread", "").lower() in ("1", "true", "yes"))

    @extend_schema(request=StartInput, responses={201: InquiryDetailOutput})
    def post(self, request):
        payload = self.StartInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        inquiry = services.start_inquiry(by=request.user, product_id=data["product"], body=data["body"],
                                         quantity=data.get("quantity"))
        return Response(InquiryDetailOutput(_thread(request, inquiry.pk), context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class InquiryDetailView(_InquiryApi, ApiView):
    """One thread with its messages, oldest first. Reading does not mark it read: POST .../read/."""

    @extend_schema(responses=InquiryDetailOutput)
    def get(self, request, inquiry_id):
        return Response(InquiryDetailOutput(_thread(request, inquiry_id), context={"request": request}).data)


class InquiryReplyView(_InquiryApi, ApiView):
    """Reply in an open thread (`messaging` scope). The other side is notified."""

    class ReplyInput(serializers.Serializer):
        body = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="Up to 2000 characters.")

    @extend_schema(request=ReplyInput, responses={201: InquiryMessageOutput})
    def post(self, request, inquiry_id):
        payload = self.ReplyInput(data=request.data)
        payload.is_valid(raise_exception=True)
        message = services.reply_to_inquiry(by=request.user, inquiry_id=inquiry_id,
                                            body=payload.validated_data["body"])
        return Response(InquiryMessageOutput(message, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class InquiryCloseView(_InquiryApi, ApiView):
    """Close the thread (either side, `messaging` scope); no more replies. Closing twice is harmless."""

    @extend_schema(request=None, responses=InquiryOutput)
    def post(self, request, inquiry_id):
        services.close_inquiry(by=request.user, inquiry_id=inquiry_id)
        return Response(InquiryOutput(_thread(request, inquiry_id), context={"request": request}).data)


class InquiryReadView(_InquiryApi, ApiView):
    """Mark the thread read for the caller's side (`messaging` scope)."""

    @extend_schema(request=None, responses=InquiryOutput)
    def post(self, request, inquiry_id):
        _thread(request, inquiry_id)
        services.mark_inquiry_read(by=request.user, inquiry_id=inquiry_id)
        return Response(InquiryOutput(_thread(request, inquiry_id), context={"request": request}).data)
