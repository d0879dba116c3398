from django.urls import path

from accounts import api

urlpatterns = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("company/", api.CompanyView.as_view(), name="api-company"),
    path("sub-accounts/", api.SubAccountListView.as_view(), name="api-sub-accounts"),
    path("sub-accounts/<int:membership_id>/", api.SubAccountDetailView.as_view(), name="api-sub-account"),
    path("sub-accounts/<int:membership_id>/disable/", api.SubAccountActiveView.as_view(active=False),
         name="api-sub-account-disable"),
    path("sub-accounts/<int:membership_id>/enable/", api.SubAccountActiveView.as_view(active=True),
         name="api-sub-account-enable"),
    path("operation-log/", api.OperationLogView.as_view(), name="api-operation-log"),
    path("api-keys/", api.ApiKeyListView.as_view(), name="api-keys"),
    path("api-keys/<int:key_id>/", api.ApiKeyDetailView.as_view(), name="api-key"),
]
