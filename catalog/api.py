from django.core.cache import cache
from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer

from catalog import selectors
from catalog.models import Category, Product
from core.api.views import ApiListView, ApiRetrieveView
from core.cache import PUBLIC_PAGE_TIMEOUT, versioned_key


class CategoryOutput(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "name_en", "slug", "parent"]


class CategoryListView(ApiListView):
    """The category tree, flat: each category names its parent."""

    serializer_class = CategoryOutput
    pagination_class = None
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Category.objects.filter(is_active=True).order_by("position", "id")


class PriceTierOutput(serializers.Serializer):
    min_quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=16, decimal_places=2)


class ProductOutput(serializers.ModelSerializer):
    seller = serializers.CharField(source="seller.name")
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    warehouse_region = serializers.StringRelatedField()
    price_tiers = PriceTierOutput(many=True)

    class Meta:
        model = Product
        fields = ["id", "title", "seller", "category", "unit", "price", "min_order_quantity", "attributes",
                  "warehouse_region", "price_tiers", "published_at"]


class ProductListView(ApiListView):
    """Published listings, newest first. Filter by `category` (slug, includes sub-categories)."""

    serializer_class = ProductOutput
    permission_classes = [IsAuthenticated]

    def list(self, request, *args, **kwargs):
        # The published catalogue is the same for every caller: keep each page as rendered JSON
        # until the catalogue changes (core.cache bumps the version on commit).
        key = versioned_key("catalog", "api-products", request.get_host(), request.GET.urlencode())
        body = cache.get(key)
        if body is None:
            body = JSONRenderer().render(super().list(request, *args, **kwargs).data)
            cache.set(key, body, PUBLIC_PAGE_TIMEOUT)
        return HttpResponse(body, content_type="application/json")

    def get_queryset(self):
        slug = self.request.query_params.get("category")
        if not slug:
            return selectors.published_products()
        category = Category.objects.filter(slug=slug, is_active=True).first()
        return selectors.products_in_category(category) if category else Product.objects.none()


class ProductDetailView(ApiRetrieveView):
    serializer_class = ProductOutput
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return selectors.published_products()
