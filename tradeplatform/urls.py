from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from core.views import healthz, ping

api_v1 = [
    path("", include("core.api.urls")),
    path("", include("accounts.api_urls")),
    path("", include("catalog.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("crm.api_urls")),
    path("", include("debt.api_urls")),
    path("", include("barter.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("ping", ping, name="ping"),
    # The storefront first: its pages are the busiest, and none of its paths overlap another app's.
    path("", include("catalog.storefront_urls")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("accounts/password/reset/mobile/", account_views.mobile_password_reset,
         name="account_reset_password_mobile"),
    path("accounts/password/reset/mobile/confirm/", account_views.mobile_password_reset_confirm,
         name="account_reset_password_mobile_confirm"),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    path("backoffice/", include("core.backoffice_urls")),
    path("backoffice/accounts/", include("accounts.backoffice_urls")),
    path("backoffice/catalog/", include("catalog.backoffice_urls")),
    path("backoffice/orders/", include("orders.backoffice_urls")),
    path("backoffice/crm/", include("crm.urls_backoffice")),
    path("backoffice/debt/", include("debt.urls_backoffice")),
    path("backoffice/barter/", include("barter.urls_backoffice")),
    path("cart/", include("orders.cart_urls")),
    path("member/orders/", include("orders.member_urls")),
    path("member/crm/", include("crm.urls_member")),
    path("member/debt/", include("debt.urls_member")),
    path("member/barter/", include("barter.urls_member")),
    path("member/", include("accounts.member_urls")),
    path("merchant/orders/", include("orders.merchant_urls")),
    path("merchant/barter/", include("barter.urls_merchant")),
    path("merchant/", include("catalog.merchant_urls")),
    path("help/accounts/", account_views.help_accounts, name="help-accounts"),
    path("", include("core.urls")),
]

admin.site.site_header = settings.PLATFORM_NAME
admin.site.site_title = settings.PLATFORM_NAME
