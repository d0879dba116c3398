from orders import dispute_views, invoice_views, merchant, payment_views, refund_views, shipping_views

app_name = "merchant-orders"

urlpatterns = (merchant.merchant_urlpatterns + payment_views.merchant_urlpatterns
               + refund_views.merchant_urlpatterns + shipping_views.merchant_urlpatterns
               + invoice_views.merchant_urlpatterns + dispute_views.merchant_urlpatterns)
