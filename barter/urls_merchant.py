from barter import views

app_name = "merchant-barter"

urlpatterns = views.merchant_urlpatterns
