"""Catalogue API: the published catalogue for any key; a seller's own listings, their review and
stock for a key with the `products` scope. Thin: serializers in, one service or selector call."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import Company
from catalog import selectors, services
from catalog.models import Category, Product, StockMovement, StockReservation
from catalog.services import ListingData
from core.api.permissions import HasCompanyPermission, IsCompanyMember, caller_company
from core.api.views import ApiListView, ApiRetrieveView, ApiView
from core.cache import cache_page, cached_page, versioned_key
from core.errors import NotFound
from core.models import Region
from core.permissions import CompanyPermission

QUANTITY = {"max_digits": 14, "decimal_places": 3}
MONEY = {"max_digits": 16, "decimal_places": 2}


class CategoryOutput(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "name_en", "slug", "parent"]


class CategoryListView(ApiListView):
    """The category tree, flat: each category names its parent. Listings go in leaf categories."""

    serializer_class = CategoryOutput
    pagination_class = None
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Category.objects.filter(is_active=True).order_by("position", "id")


class PriceTierOutput(serializers.Serializer):
    min_quantity = serializers.DecimalField(**QUANTITY)
    unit_price = serializers.DecimalField(**MONEY)


class ImageOutput(serializers.Serializer):
    url = serializers.FileField(source="image", use_url=True)
    thumbnail = serializers.FileField(use_url=True)


class ProductOutput(serializers.ModelSerializer):
    seller = serializers.CharField(source="seller.name")
    seller_id = serializers.IntegerField()
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    warehouse_region = serializers.StringRelatedField()
    price_tiers = PriceTierOutput(many=True)
    stock_available = serializers.DecimalField(**QUANTITY)
    images = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "title", "seller", "seller_id", "category", "unit", "price", "min_order_quantity",
                  "attributes", "warehouse_region", "price_tiers", "stock_available", "images", "description",
                  "published_at"]

    def get_images(self, product) -> list[dict]:
        return ImageOutput(product.live_images(), many=True, context=self.context).data


class ProductListView(ApiListView):
    """Published listings. `q` searches Chinese text (title, category, attributes, seller);
    filters: `category` (slug, includes sub-categories), `province` (region id), `price_min`,
    `price_max`, `a.<attribute>` (exact) or `a.<attribute>.min` / `.max` (numbers), `in_stock=1`;
    `sort`: relevance, newest, price_asc, price_desc."""

    serializer_class = ProductOutput
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[
        OpenApiParameter("q", str), OpenApiParameter("category", str), OpenApiParameter("province", int),
        OpenApiParameter("price_min", str), OpenApiParameter("price_max", str), OpenApiParameter("in_stock", bool),
        OpenApiParameter("sort", str, enum=list(selectors.SORTS)),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        # The published catalogue is the same for every caller who may see prices: keep each page
        # as rendered JSON until the catalogue changes (core.cache bumps the version on commit).
        show_prices = selectors.prices_visible_to(request.user)
        key = versioned_key("catalog", "api-products", show_prices, request.get_host(), request.GET.urlencode())
        body = cached_page(key)
        if body is None:
            data = super().list(request, *args, **kwargs).data
            if not show_prices:
                for item in data["results"]:
                    item["price"], item["price_tiers"] = None, []
            body = JSONRenderer().render(data)
            cache_page(key, body)
        return HttpResponse(body, content_type="application/json")

    def get_queryset(self):
        return selectors.search_listings(selectors.filters_from_query(self.request.query_params))


class ProductDetailView(ApiRetrieveView):
    serializer_class = ProductOutput
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return selectors.published_products()

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        if not selectors.prices_visible_to(request.user):
            response.data["price"], response.data["price_tiers"] = None, []
        return response


class AvailabilityOutput(serializers.Serializer):
    product = serializers.IntegerField(source="pk")
    available = serializers.DecimalField(source="stock_available", **QUANTITY)
    unit = serializers.CharField()
    min_order_quantity = serializers.DecimalField(**QUANTITY)


class ProductAvailabilityView(ApiView):
    """How much of a published listing can be bought now (on hand − reserved)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=AvailabilityOutput)
    def get(self, request, pk):
        product = Product.objects.filter(pk=pk, status=Product.Status.PUBLISHED).first()
        if product is None:
            raise NotFound()
        return Response(AvailabilityOutput(product).data)


# --- the seller's own listings ------------------------------------------------------------------

class SellerProductOutput(ProductOutput):
    status = serializers.CharField()
    rejection_reason = serializers.CharField()
    seller_sku = serializers.CharField()
    stock_on_hand = serializers.DecimalField(**QUANTITY)
    stock_reserved = serializers.DecimalField(**QUANTITY)
    pending_revision = serializers.SerializerMethodField()

    class Meta(ProductOutput.Meta):
        fields = [*ProductOutput.Meta.fields, "status", "rejection_reason", "seller_sku", "stock_on_hand",
                  "stock_reserved", "pending_revision", "submitted_at"]

    def get_pending_revision(self, product) -> dict | None:
        revision = selectors.pending_revision(product)
        if revision is None:
            return None
        return {"title": revision.title, "category": revision.category.slug, "attributes": revision.attributes,
                "description": revision.description, "submitted_at": revision.created_at}


class ListingInput(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.filter(is_active=True))
    unit = serializers.ChoiceField(choices=Product.Unit.choices, default=Product.Unit.TON)
    price = serializers.DecimalField(**MONEY)
    min_order_quantity = serializers.DecimalField(default=1, **QUANTITY)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    attributes = serializers.DictField(required=False, default=dict)
    warehouse_region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.filter(level="city"),
                                                          required=False, allow_null=True, default=None)
    seller_sku = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    tiers = PriceTierOutput(many=True, required=False, default=list)

    def listing_data(self) -> ListingData:
        data = dict(self.validated_data)
        data["tiers"] = [(tier["min_quantity"], tier["unit_price"]) for tier in data.pop("tiers", [])]
        return ListingData(**data)


def _listing_input_from(product):
    return {"title": product.title, "category": product.category.slug, "unit": product.unit,
            "price": product.price, "min_order_quantity": product.min_order_quantity,
            "description": product.description, "attributes": product.attributes,
            "warehouse_region": product.warehouse_region_id, "seller_sku": product.seller_sku,
            "tiers": [{"min_quantity": t.min_quantity, "unit_price": t.unit_price} for t in product.price_tiers.all()]}


class SellerView:
    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = CompanyPermission.PRODUCTS
    permission_for_reads = True

    def own_product(self, request, pk):
        product = selectors.seller_product(caller_company(request), pk)
        if product is None:
            raise NotFound()
        return product


class SellerProductListView(SellerView, ApiListView):
    """The company's listings in every status (`status` filters); POST creates one as a draft, or
    sends it to review with `"submit": true`."""

    serializer_class = SellerProductOutput

    class CreateInput(ListingInput):
        submit = serializers.BooleanField(default=False)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        status_ = self.request.query_params.get("status")
        return selectors.products_of_seller(caller_company(self.request),
                                            statuses=[status_] if status_ in Product.Status.values else None)

    @extend_schema(request=CreateInput, responses={201: SellerProductOutput})
    def post(self, request):
        payload = self.CreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        submit = payload.validated_data.pop("submit")
        product = services.create_listing(by=request.user, data=payload.listing_data(), submit=submit)
        product = selectors.seller_product(product.seller, product.pk)
        return Response(SellerProductOutput(product, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class SellerProductDetailView(SellerView, ApiView):
    """Read one of the company's listings; PATCH changes any listing fields. On a published
    listing, new title, description, category or attributes wait for review (`pending_revision`)."""

    @extend_schema(responses=SellerProductOutput)
    def get(self, request, pk):
        return Response(SellerProductOutput(self.own_product(request, pk), context={"request": request}).data)

    @extend_schema(request=ListingInput, responses=SellerProductOutput)
    def patch(self, request, pk):
        product = self.own_product(request, pk)
        payload = ListingInput(data={**_listing_input_from(product), **request.data})
        payload.is_valid(raise_exception=True)
        services.update_listing(by=request.user, product_id=product.pk, data=payload.listing_data())
        return Response(SellerProductOutput(self.own_product(request, pk), context={"request": request}).data)


class SellerProductActionView(SellerView, ApiView):
    """POST .../submit/ (to review) or .../unlist/ (off the storefront)."""

    action_name = "submit"

    @extend_schema(request=None, responses=SellerProductOutput)
    def post(self, request, pk):
        product = self.own_product(request, pk)
        if self.action_name == "submit":
            services.submit_listing(by=request.user, product_id=product.pk)
        else:
            services.unlist_listing(by=request.user, product_id=product.pk)
        return Response(SellerProductOutput(self.own_product(request, pk), context={"request": request}).data)


# --- stock --------------------------------------------------------------------------------------

class StockMovementOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.display_name", default=None)
    holder = serializers.CharField(source="reservation.holder.name", default=None)

    class Meta:
        model = StockMovement
        fields = ["id", "kind", "on_hand_change", "reserved_change", "on_hand_after", "reserved_after", "reason",
                  "reference", "actor", "holder", "created_at"]


class StockMovementListView(SellerView, ApiListView):
    """The product's stock ledger, newest first. POST records stock in (`in`), out (`out`) or a
    count (`adjustment`: `quantity` is the counted on-hand quantity)."""

    serializer_class = StockMovementOutput

    class MovementInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=[("in", "in"), ("out", "out"), ("adjustment", "adjustment")])
        quantity = serializers.DecimalField(**QUANTITY)
        reason = serializers.CharField(max_length=200)
        reference = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StockMovement.objects.none()
        return selectors.stock_movements(self.own_product(self.request, self.kwargs["pk"]))

    @extend_schema(request=MovementInput, responses={201: StockMovementOutput})
    def post(self, request, pk):
        product = self.own_product(request, pk)
        payload = self.MovementInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if data["kind"] == "in":
            movement = services.receive_stock(by=request.user, product_id=product.pk, quantity=data["quantity"],
                                              reason=data["reason"], reference=data["reference"])
        elif data["kind"] == "out":
            movement = services.issue_stock(by=request.user, product_id=product.pk, quantity=data["quantity"],
                                            reason=data["reason"], reference=data["reference"])
        else:
            movement = services.adjust_stock(by=request.user, product_id=product.pk, counted=data["quantity"],
                                             reason=data["reason"])
        return Response(StockMovementOutput(movement).data, status=status.HTTP_201_CREATED)


class ReservationOutput(serializers.ModelSerializer):
    holder = serializers.CharField(source="holder.name")
    holder_id = serializers.IntegerField()

    class Meta:
        model = StockReservation
        fields = ["id", "product", "holder", "holder_id", "kind", "status", "quantity", "expires_at", "reference",
                  "note", "created_at", "closed_at"]


class ReservationListView(SellerView, ApiListView):
    """Active reservations of a product; POST reserves stock for a major client until `expires_at`."""

    serializer_class = ReservationOutput

    class ReservationInput(serializers.Serializer):
        holder = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
        quantity = serializers.DecimalField(**QUANTITY)
        expires_at = serializers.DateTimeField()
        note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StockReservation.objects.none()
        return selectors.active_reservations(self.own_product(self.request, self.kwargs["pk"]))

    @extend_schema(request=ReservationInput, responses={201: ReservationOutput})
    def post(self, request, pk):
        product = self.own_product(request, pk)
        payload = self.ReservationInput(data=request.data)
        payload.is_valid(raise_exception=True)
        reservation = services.reserve_for_client(by=request.user, product_id=product.pk, **payload.validated_data)
        return Response(ReservationOutput(reservation).data, status=status.HTTP_201_CREATED)


class ReservationReleaseView(SellerView, ApiView):
    """Release a major-client reservation before it expires."""

    class ReleaseInput(serializers.Serializer):
        reason = serializers.CharField(max_length=200)

    @extend_schema(request=ReleaseInput, responses=ReservationOutput)
    def post(self, request, pk):
        reservation = StockReservation.objects.filter(pk=pk, product__seller=caller_company(request)).first()
        if reservation is None:
            raise NotFound()
        payload = self.ReleaseInput(data=request.data)
        payload.is_valid(raise_exception=True)
        reservation = services.release_own_reservation(by=request.user, reservation_id=reservation.pk,
                                                       reason=payload.validated_data["reason"])
        return Response(ReservationOutput(reservation).data)
