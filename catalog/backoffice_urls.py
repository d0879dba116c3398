from django.urls import path

from catalog import backoffice

app_name = "backoffice-catalog"

urlpatterns = [
    path("reviews/", backoffice.review_queue, name="reviews"),
    path("products/", backoffice.products, name="products"),
    path("products/<int:product_id>/", backoffice.product_detail, name="product"),
    path("products/<int:product_id>/unlist/", backoffice.product_unlist, name="product-unlist"),
    path("categories/", backoffice.categories, name="categories"),
    path("categories/<int:category_id>/", backoffice.category_detail, name="category"),
    path("settings/", backoffice.settings_page, name="settings"),
]
