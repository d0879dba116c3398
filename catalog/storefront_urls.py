from django.urls import path

from catalog import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<int:product_id>/", views.product, name="product"),
]
