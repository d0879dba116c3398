"""交易纠纷 over the API. The caller acts as the order's buyer (`purchasing` scope) or seller
(`fulfilment` scope); reads show the disputes of the sides the caller may act for. Other
companies' orders and disputes are a 404. Thin: parse, one service or selector, render."""

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api.permissions import IsCompanyMember, caller_company, caller_may
from core.api.views import ApiListView, ApiView
from core.errors import NotAllowed, NotFound
from core.permissions import CompanyPermission
from orders import disputes
from orders.models import Dispute, Order


def _sides(request):
    """The sides the caller may act for (its key's scopes and its user's permissions)."""
    return [side for side, permission in disputes.SIDE_PERMISSION.items() if caller_may(request, permission)]


def _ensure_side(request, side):
    permission = disputes.SIDE_PERMISSION[side]
    if not caller_may(request, permission):
        raise NotAllowed(
            _("您的账号或 API 密钥没有“%(permission)s”权限。") % {"permission": CompanyPermission(permission).label},
            code="missing_permission")


def _side_of(order, company):
    if order.buyer_id == company.pk:
        return disputes.BUYER
    if order.seller_id == company.pk:
        return disputes.SELLER
    raise NotFound(_("未找到该订单。"))


def _visible(request, dispute_id):
    found = disputes.disputes_for_company(company=caller_company(request), sides=_sides(request)).filter(
        pk=dispute_id).first()
    if found is None:
        raise NotFound(_("未找到该纠纷。"))
    return found


class EvidenceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    side = serializers.SerializerMethodField(help_text="Who submitted it: buyer or seller.")
    note = serializers.CharField()
    uploaded_at = serializers.DateTimeField()

    def get_side(self, evidence) -> str:
        return disputes.SELLER if evidence.from_seller else disputes.BUYER


class DisputeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.CharField(source="order.number", help_text="The order number.")
    role = serializers.SerializerMethodField(help_text="The caller's side of the order: buyer or seller.")
    opened_by = serializers.SerializerMethodField(help_text="The side that opened it: buyer or seller.")
    kind = serializers.ChoiceField(choices=Dispute.Kind.choices)
    status = serializers.ChoiceField(choices=Dispute.Status.choices)
    claim = serializers.CharField()
    claimed_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    opened_at = serializers.DateTimeField()
    outcome = serializers.CharField(help_text="full_refund, partial_refund, no_refund; empty until decided.")
    refund_amount = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    rule = serializers.CharField(help_text="The rule that decided it (R1_NOT_SHIPPED …), MEDIATION or ARBITRATION.")
    decision = serializers.CharField(help_text="The decision in words, naming the rule and the facts it used.")
    facts = serializers.DictField(help_text="The facts the decision used, as recorded.")
    decided_at = serializers.DateTimeField(allow_null=True)
    referred_at = serializers.DateTimeField(allow_null=True)
    evidence = EvidenceOutput(many=True, source="evidence.all")

    def get_role(self, dispute) -> str:
        return _side_of(dispute.order, caller_company(self.context["request"]))

    def get_opened_by(self, dispute) -> str:
        return disputes.SELLER if dispute.opened_by_seller else disputes.BUYER


class _DisputeApi:
    permission_classes = [IsCompanyMember]
    parser_classes = [JSONParser, MultiPartParser, FormParser]


class OrderDisputeOpenView(_DisputeApi, ApiView):
    """Open a dispute on an order: as its buyer (`purchasing` scope) or seller (`fulfilment`).

    Only on a paid, shipped, received or refund-requested order, one active dispute per order.
    The rules decide at once when the records settle it (the response then has status `decided`
    with the rule and the facts); otherwise it waits for a platform mediator (status `open`).
    Send multipart/form-data to attach `evidence` files (PDF/JPEG/PNG, ≤10 MB each)."""

    class OpenInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Dispute.Kind.choices)
        claim = serializers.CharField(max_length=3000, help_text="What happened and what the caller asks for.")
        claimed_amount = serializers.DecimalField(
            max_digits=16, decimal_places=2, required=False, allow_null=True,
            help_text="Refund asked for; at most paid less refunded (the default).")
        evidence = serializers.ListField(child=serializers.FileField(), required=False,
                                         help_text="Evidence files (multipart only).")

    @extend_schema(request={"application/json": OpenInput, "multipart/form-data": OpenInput},
                   responses={201: DisputeOutput})
    def post(self, request, number):
        company = caller_company(request)
        order = Order.objects.filter(number=number).first()
        if order is None:
            raise NotFound(_("未找到该订单。"))
        _ensure_side(request, _side_of(order, company))
        payload = self.OpenInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        evidence = request.FILES.getlist("evidence") if hasattr(request, "FILES") else []
        dispute = disputes.open_dispute(by=request.user, order_id=order.pk, kind=data["kind"], claim=data["claim"],
                                        claimed_amount=data.get("claimed_amount"), evidence=evidence)
        return Response(DisputeOutput(_visible(request, dispute.pk), context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class DisputeListView(_DisputeApi, ApiListView):
    """Disputes on the caller's company's orders, newest first: as buyer with the `purchasing`
    scope, as seller with `fulfilment`."""

    serializer_class = DisputeOutput
    filter_backends = []

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=Dispute.Status.values)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Dispute.objects.none()
        found = disputes.disputes_for_company(company=caller_company(self.request), sides=_sides(self.request))
        wanted = self.request.query_params.get("status", "")
        return found.filter(status=wanted) if wanted in Dispute.Status.values else found


class DisputeDetailView(_DisputeApi, ApiView):
    """One dispute with its decision, facts and evidence list."""

    @extend_schema(responses=DisputeOutput)
    def get(self, request, dispute_id):
        return Response(DisputeOutput(_visible(request, dispute_id), context={"request": request}).data)


class DisputeEvidenceView(_DisputeApi, ApiView):
    """Add one evidence file (multipart field `file`, PDF/JPEG/PNG ≤10 MB, optional `note`) while
    the dispute is open or in mediation."""

    parser_classes = [MultiPartParser, FormParser]

    class EvidenceInput(serializers.Serializer):
        file = serializers.FileField()
        note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    @extend_schema(request={"multipart/form-data": EvidenceInput}, responses={201: EvidenceOutput})
    def post(self, request, dispute_id):
        dispute = _visible(request, dispute_id)
        _ensure_side(request, _side_of(dispute.order, caller_company(request)))
        payload = self.EvidenceInput(data=request.data)
        payload.is_valid(raise_exception=True)
        evidence = disputes.add_evidence(by=request.user, dispute_id=dispute.pk, upload=payload.validated_data["file"],
                                         note=payload.validated_data.get("note", ""))
        return Response(EvidenceOutput(evidence).data, status=status.HTTP_201_CREATED)


class DisputeWithdrawView(_DisputeApi, ApiView):
    """The side that opened the dispute withdraws it (open or in mediation); the order resumes."""

    @extend_schema(request=None, responses=DisputeOutput)
    def post(self, request, dispute_id):
        dispute = _visible(request, dispute_id)
        _ensure_side(request, _side_of(dispute.order, caller_company(request)))
        disputes.withdraw_dispute(by=request.user, dispute_id=dispute.pk)
        return Response(DisputeOutput(_visible(request, dispute.pk), context={"request": request}).data)


urlpatterns = [
    path("orders/<str:number>/disputes/", OrderDisputeOpenView.as_view(), name="api-order-disputes"),
    path("disputes/", DisputeListView.as_view(), name="api-disputes"),
    path("disputes/<int:dispute_id>/", DisputeDetailView.as_view(), name="api-dispute"),
    path("disputes/<int:dispute_id>/evidence/", DisputeEvidenceView.as_view(), name="api-dispute-evidence"),
    path("disputes/<int:dispute_id>/withdraw/", DisputeWithdrawView.as_view(), name="api-dispute-withdraw"),
]
