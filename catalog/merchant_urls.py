from django.urls import path

from catalog import merchant

app_name = "merchant"

urlpatterns = [
    path("", merchant.merchant_home, name="home"),
]
