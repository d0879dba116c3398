from django.urls import include, path

from accounts import views
from core import webhook_views

app_name = "member"

urlpatterns = [
    path("", views.member_home, name="home"),
    path("verification/", views.verification, name="verification"),
    path("company/change/", views.company_change, name="company-change"),
    path("documents/<int:document_id>/", views.document, name="document"),
    path("sub-accounts/", views.sub_accounts, name="sub-accounts"),
    path("sub-accounts/<int:membership_id>/", views.sub_account_detail, name="sub-account"),
    path("sub-accounts/<int:membership_id>/active/", views.sub_account_active, name="sub-account-active"),
    path("operation-log/", views.operation_log, name="operation-log"),
    path("security/freeze/", views.freeze, name="freeze"),
    path("frozen/", views.frozen, name="frozen"),
    path("deregister/", views.deregister, name="deregister"),
    path("api-keys/", views.api_keys, name="api-keys"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
    path("webhooks/", webhook_views.webhook_endpoints, name="webhooks"),
    path("webhooks/<int:endpoint_id>/<slug:action>/", webhook_views.webhook_endpoint_action, name="webhook-action"),
    path("webhooks/deliveries/<int:delivery_id>/redeliver/", webhook_views.webhook_delivery_redeliver,
         name="webhook-redeliver"),
    path("inquiries/", include("catalog.member_inquiry_urls")),
]
