from django.urls import path

from core import webhook_views
from core.api import endpoints

urlpatterns = [
    path("regions/", endpoints.RegionListView.as_view(), name="api-regions"),
    path("notifications/", endpoints.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/mark-read/", endpoints.NotificationMarkReadView.as_view(), name="api-notifications-read"),
    path("webhooks/", webhook_views.WebhookEndpointListView.as_view(), name="api-webhooks"),
    path("webhooks/<int:endpoint_id>/", webhook_views.WebhookEndpointDetailView.as_view(), name="api-webhook"),
    path("webhooks/deliveries/", webhook_views.WebhookDeliveryListView.as_view(), name="api-webhook-deliveries"),
]
