from django.urls import include, path

from catalog import api

urlpatterns = [
    path("categories/", api.CategoryListView.as_view(), name="api-categories"),
    path("products/", api.ProductListView.as_view(), name="api-products"),
    path("products/<int:pk>/", api.ProductDetailView.as_view(), name="api-product"),
    path("products/<int:pk>/availability/", api.ProductAvailabilityView.as_view(), name="api-product-availability"),
    path("seller/products/", api.SellerProductListView.as_view(), name="api-seller-products"),
    path("seller/products/<int:pk>/", api.SellerProductDetailView.as_view(), name="api-seller-product"),
    path("seller/products/<int:pk>/submit/", api.SellerProductActionView.as_view(action_name="submit"),
         name="api-seller-product-submit"),
    path("seller/products/<int:pk>/unlist/", api.SellerProductActionView.as_view(action_name="unlist"),
         name="api-seller-product-unlist"),
    path("seller/products/<int:pk>/stock-movements/", api.StockMovementListView.as_view(),
         name="api-seller-stock-movements"),
    path("seller/products/<int:pk>/reservations/", api.ReservationListView.as_view(),
         name="api-seller-reservations"),
    path("seller/reservations/<int:pk>/release/", api.ReservationReleaseView.as_view(),
         name="api-seller-reservation-release"),
    path("", include("catalog.api_import_urls")),
    path("", include("catalog.api_inquiry_urls")),
]
