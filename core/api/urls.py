from django.urls import path

from core.api import endpoints

urlpatterns = [
    path("regions/", endpoints.RegionListView.as_view(), name="api-regions"),
    path("notifications/", endpoints.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/mark-read/", endpoints.NotificationMarkReadView.as_view(), name="api-notifications-read"),
]
