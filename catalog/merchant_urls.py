from django.urls import include, path

from catalog import merchant

app_name = "merchant"

urlpatterns = [
    path("", merchant.merchant_home, name="home"),
    path("products/", merchant.product_list, name="products"),
    path("products/new/", merchant.product_create, name="product-create"),
    path("products/attribute-fields/", merchant.attribute_fields, name="attribute-fields"),
    path("products/<int:product_id>/", merchant.product_detail, name="product"),
    path("products/<int:product_id>/edit/", merchant.product_edit, name="product-edit"),
    path("products/<int:product_id>/submit/", merchant.product_submit, name="product-submit"),
    path("products/<int:product_id>/unlist/", merchant.product_unlist, name="product-unlist"),
    path("products/<int:product_id>/revision/withdraw/", merchant.revision_withdraw, name="revision-withdraw"),
    path("products/<int:product_id>/images/", merchant.image_add, name="image-add"),
    path("products/<int:product_id>/images/<int:image_id>/remove/", merchant.image_remove, name="image-remove"),
    path("products/<int:product_id>/stock/", merchant.product_stock, name="product-stock"),
    path("products/<int:product_id>/stock/reservations/<int:reservation_id>/release/", merchant.reservation_release,
         name="reservation-release"),
    path("inquiries/", include("catalog.merchant_inquiry_urls")),
    path("import/", include("catalog.merchant_import_urls")),
]
