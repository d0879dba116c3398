from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core import notifications, selectors
from core.api.views import ApiListView, ApiView
from core.models import Notification, Region


class RegionOutput(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "level", "province"]


class RegionListView(ApiListView):
    """Provinces and cities (the registration and warehouse regions). `?province=<id>` lists its cities."""

    serializer_class = RegionOutput
    pagination_class = None

    def get_queryset(self):
        province = self.request.query_params.get("province", "")
        if province.isdigit():
            return selectors.cities_of(int(province))
        return selectors.provinces()


class NotificationOutput(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]


class NotificationListView(ApiListView):
    """The caller's inbox, newest first."""

    serializer_class = NotificationOutput
    queryset = Notification.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.inbox(user=self.request.user)


class NotificationMarkReadView(ApiView):
    class MarkReadInput(serializers.Serializer):
        ids = serializers.ListField(child=serializers.IntegerField(), required=False,
                                    help_text="Omit to mark every unread notification read.")

    class MarkReadOutput(serializers.Serializer):
        marked = serializers.IntegerField()

    @extend_schema(request=MarkReadInput, responses=MarkReadOutput)
    def post(self, request):
        payload = self.MarkReadInput(data=request.data)
        payload.is_valid(raise_exception=True)
        marked = notifications.mark_read(user=request.user, notification_ids=payload.validated_data.get("ids"))
        return Response({"marked": marked})
