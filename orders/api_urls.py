from django.urls import path

from orders import api, api_disputes, api_invoices, api_payments, api_shipping

urlpatterns = [
    path("orders/", api.OrderListView.as_view(), name="api-orders"),
    path("orders/<str:number>/", api.OrderDetailView.as_view(), name="api-order"),
] + (api.urlpatterns + api_payments.urlpatterns + api_shipping.urlpatterns + api_invoices.urlpatterns
     + api_disputes.urlpatterns)
