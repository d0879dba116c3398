"""Bulk import and export of listings, under /merchant/import/ in the `merchant` namespace."""

from django.urls import path

from catalog import merchant_imports

urlpatterns = [
    path("", merchant_imports.import_listings, name="import"),
    path("<int:job_id>/", merchant_imports.import_job, name="import-job"),
    path("template/", merchant_imports.import_template, name="import-template"),
    path("export/", merchant_imports.export_listings, name="export-listings"),
]
