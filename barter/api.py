"""Barter over the API (scope `barter`, reads too): the caller's listings (list, create, read,
withdraw), its proposals (list, confirm, reject) and its deals (executing or completed, with
transfers and the orders they became). Another company's listing or proposal is a 404.
Thin: parse, one service or selector, render."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from barter import selectors, services
from barter.models import Listing, Participant, Proposal, Settlement, Transfer
from core.api.permissions import HasCompanyPermission, IsCompanyMember, caller_company
from core.api.views import ApiListView, ApiRetrieveView, ApiView
from core.errors import NotFound
from core.permissions import CompanyPermission


class ListingOutput(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    product = serializers.IntegerField(source="product_id", allow_null=True)

    class Meta:
        model = Listing
        fields = ["id", "number", "kind", "status", "category", "product", "title", "unit", "quantity",
                  "unit_value", "budget", "max_unit_value", "location", "available_from", "available_until", "note",
                  "created_at"]


class ParticipantOutput(serializers.ModelSerializer):
    company = serializers.CharField(source="company.name")

    class Meta:
        model = Participant
        fields = ["company", "answer", "answered_at", "reason", "cash_amount", "gives_value", "gets_value"]


class TransferOutput(serializers.ModelSerializer):
    giver = serializers.CharField(source="giver.name")
    taker = serializers.CharField(source="taker.name")
    have = serializers.CharField(source="have.number")
    want = serializers.CharField(source="want.number")
    title = serializers.CharField(source="have.title")
    unit = serializers.CharField(source="have.unit")
    unit_value = serializers.DecimalField(source="have.unit_value", max_digits=16, decimal_places=2)
    order = serializers.CharField(source="order.number", allow_null=True, default=None)
    order_status = serializers.CharField(source="order.status", allow_null=True, default=None)

    class Meta:
        model = Transfer
        fields = ["giver", "taker", "have", "want", "title", "unit", "quantity", "unit_value", "value", "order",
                  "order_status"]


class SettlementOutput(serializers.ModelSerializer):
    company = serializers.CharField(source="company.name")

    class Meta:
        model = Settlement
        fields = ["company", "direction", "amount", "status", "confirmed_at"]


class ProposalOutput(serializers.ModelSerializer):
    participants = ParticipantOutput(many=True)
    transfers = TransferOutput(many=True)
    settlements = SettlementOutput(many=True)

    class Meta:
        model = Proposal
        fields = ["id", "number", "status", "total_value", "deadline", "created_at", "confirmed_at", "completed_at",
                  "lapsed_at", "lapse_reason", "participants", "transfers", "settlements"]


class _Barter:
    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = CompanyPermission.BARTER
    permission_for_reads = True


class ListingListView(_Barter, ApiListView):
    """The caller's listings, newest first. POST creates a have (`product` or `title`+`category`+`unit`;
    `quantity`, `unit_value`) or a want (`category`, `budget`, `max_unit_value`, optional `quantity`),
    active at once."""

    serializer_class = ListingOutput

    class BarterListingCreateInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Listing.Kind.choices)
        product = serializers.IntegerField(required=False, allow_null=True)
        title = serializers.CharField(required=False, allow_blank=True, max_length=120)
        category = serializers.IntegerField(required=False, allow_null=True)
        unit = serializers.CharField(required=False, allow_blank=True, max_length=10)
        quantity = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=30)
        unit_value = serializers.CharField(required=False, allow_blank=True, max_length=30,
                                           help_text="CNY per unit, a string (haves).")
        budget = serializers.CharField(required=False, allow_blank=True, max_length=30, help_text="CNY (wants).")
        max_unit_value = serializers.CharField(required=False, allow_blank=True, max_length=30,
                                               help_text="CNY per unit (wants).")
        location = serializers.CharField(required=False, allow_blank=True, max_length=40)
        available_from = serializers.DateField()
        available_until = serializers.DateField()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Listing.objects.none()
        return selectors.listings_for_company(company=caller_company(self.request))

    @extend_schema(request=BarterListingCreateInput, responses={201: ListingOutput})
    def post(self, request):
        payload = self.BarterListingCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        window = {"available_from": data["available_from"], "available_until": data["available_until"],
                  "location": data.get("location", "")}
        if data["kind"] == Listing.Kind.HAVE:
            listing = services.create_have(
                by=request.user, product_id=data.get("product"), title=data.get("title", ""),
                category_id=data.get("category"), unit=data.get("unit", ""), quantity=data.get("quantity") or "",
                unit_value=data.get("unit_value", ""), **window)
        else:
            listing = services.create_want(
                by=request.user, category_id=data.get("category"), budget=data.get("budget", ""),
                max_unit_value=data.get("max_unit_value", ""), quantity=data.get("quantity") or None,
                title=data.get("title", ""), **window)
        return Response(ListingOutput(listing).data, status=status.HTTP_201_CREATED)


class ListingDetailView(_Barter, ApiRetrieveView):
    serializer_class = ListingOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Listing.objects.none()
        return selectors.listings_for_company(company=caller_company(self.request))


class ListingWithdrawView(_Barter, ApiView):
    """Take a draft or active listing out of the book (not while a proposal holds it)."""

    class BarterWithdrawInput(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, max_length=300)

    @extend_schema(request=BarterWithdrawInput, responses=ListingOutput)
    def post(self, request, pk):
        payload = self.BarterWithdrawInput(data=request.data)
        payload.is_valid(raise_exception=True)
        if selectors.listing_for_company(company=caller_company(request), listing_id=pk) is None:
            raise NotFound(NotFound.default_message)
        listing = services.withdraw_listing(by=request.user, listing_id=pk,
                                            reason=payload.validated_data.get("reason", ""))
        return Response(ListingOutput(listing).data)


class ProposalListView(_Barter, ApiListView):
    """The proposals the caller's company takes part in, newest first."""

    serializer_class = ProposalOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Proposal.objects.none()
        return selectors.proposals_for_company(company=caller_company(self.request))


def _proposal(request, pk):
    proposal = selectors.proposal_for_company(company=caller_company(request), proposal_id=pk)
    if proposal is None:
        raise NotFound(NotFound.default_message)
    return proposal


class ProposalConfirmView(_Barter, ApiView):
    """Confirm the company's part; the last confirmation executes the deal (orders, settlements)."""

    @extend_schema(request=None, responses=ProposalOutput)
    def post(self, request, pk):
        services.confirm_proposal(by=request.user, proposal_id=_proposal(request, pk).pk)
        return Response(ProposalOutput(_proposal(request, pk)).data)


class ProposalRejectView(_Barter, ApiView):
    """Refuse with a reason: the whole proposal lapses and its listings return to the book."""

    class BarterRejectInput(serializers.Serializer):
        reason = serializers.CharField(max_length=300)

    @extend_schema(request=BarterRejectInput, responses=ProposalOutput)
    def post(self, request, pk):
        payload = self.BarterRejectInput(data=request.data)
        payload.is_valid(raise_exception=True)
        services.reject_proposal(by=request.user, proposal_id=_proposal(request, pk).pk,
                                 reason=payload.validated_data["reason"])
        return Response(ProposalOutput(_proposal(request, pk)).data)


class DealListView(_Barter, ApiListView):
    """The caller's deals under way or completed, with transfers, their orders and settlements."""

    serializer_class = ProposalOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Proposal.objects.none()
        return selectors.deals_for_company(company=caller_company(self.request))


urlpatterns = [
    path("barter/listings/", ListingListView.as_view(), name="api-barter-listings"),
    path("barter/listings/<int:pk>/", ListingDetailView.as_view(), name="api-barter-listing"),
    path("barter/listings/<int:pk>/withdraw/", ListingWithdrawView.as_view(), name="api-barter-listing-withdraw"),
    path("barter/proposals/", ProposalListView.as_view(), name="api-barter-proposals"),
    path("barter/proposals/<int:pk>/confirm/", ProposalConfirmView.as_view(), name="api-barter-proposal-confirm"),
    path("barter/proposals/<int:pk>/reject/", ProposalRejectView.as_view(), name="api-barter-proposal-reject"),
    path("barter/deals/", DealListView.as_view(), name="api-barter-deals"),
]
