from orders import backoffice, dispute_views, invoice_views, payment_views, refund_views, shipping_views

app_name = "backoffice-orders"

# The staff order pages (`<number>/`) come last: a queue's path such as `payments/` must not be
# read as an order number.
urlpatterns = (payment_views.backoffice_urlpatterns + refund_views.backoffice_urlpatterns
               + shipping_views.backoffice_urlpatterns + invoice_views.backoffice_urlpatterns
               + dispute_views.backoffice_urlpatterns + backoffice.backoffice_urlpatterns)
