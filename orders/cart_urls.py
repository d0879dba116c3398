from orders import views

app_name = "cart"

urlpatterns = views.cart_urlpatterns
