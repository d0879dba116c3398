from django.urls import path

from catalog import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<int:product_id>/", views.product, name="product"),
    path("shop/<int:company_id>/", views.shop, name="shop"),
]
