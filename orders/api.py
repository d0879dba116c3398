from rest_framework import serializers

from core.api.permissions import IsCompanyMember, caller_company
from core.api.views import ApiListView, ApiRetrieveView
from orders import selectors
from orders.models import Order, OrderLine


class OrderLineOutput(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["title", "unit", "quantity", "unit_price", "amount"]


class OrderOutput(serializers.ModelSerializer):
    buyer = serializers.CharField(source="buyer.name")
    seller = serializers.CharField(source="seller.name")
    lines = OrderLineOutput(many=True)

    class Meta:
        model = Order
        fields = ["number", "buyer", "seller", "status", "total", "placed_at", "paid_at", "completed_at", "lines"]


class OrderListView(ApiListView):
    """The caller's company's orders (bought or sold). Filter with `status`."""

    serializer_class = OrderOutput
    permission_classes = [IsCompanyMember]

    def get_queryset(self):
        return selectors.orders_for_company(
            company=caller_company(self.request), status=self.request.query_params.get("status", ""),
        ).prefetch_related("lines")


class OrderDetailView(ApiRetrieveView):
    serializer_class = OrderOutput
    permission_classes = [IsCompanyMember]
    lookup_field = "number"

    def get_queryset(self):
        return selectors.orders_for_company(company=caller_company(self.request)).prefetch_related("lines")
