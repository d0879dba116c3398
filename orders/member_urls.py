from orders import dispute_views, invoice_views, payment_views, refund_views, shipping_views, views

app_name = "member-orders"

urlpatterns = (views.member_urlpatterns + payment_views.member_urlpatterns + refund_views.member_urlpatterns
               + shipping_views.member_urlpatterns + invoice_views.member_urlpatterns
               + dispute_views.member_urlpatterns)
