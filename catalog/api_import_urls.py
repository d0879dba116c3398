"""Import jobs and the listing export, under /api/v1/seller/."""

from django.urls import path

from catalog import api_imports

urlpatterns = [
    path("seller/import-jobs/", api_imports.ImportJobListView.as_view(), name="api-import-jobs"),
    path("seller/import-jobs/<int:pk>/", api_imports.ImportJobDetailView.as_view(), name="api-import-job"),
    path("seller/products/export/", api_imports.ProductExportView.as_view(), name="api-products-export"),
]
