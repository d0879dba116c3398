from django.urls import path

from catalog import api

urlpatterns = [
    path("categories/", api.CategoryListView.as_view(), name="api-categories"),
    path("products/", api.ProductListView.as_view(), name="api-products"),
    path("products/<int:pk>/", api.ProductDetailView.as_view(), name="api-product"),
]
