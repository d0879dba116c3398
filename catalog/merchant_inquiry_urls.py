# Included by catalog.merchant_urls at /merchant/inquiries/ (namespace "merchant").
from django.urls import path

from catalog import inquiry_views

urlpatterns = [
    path("", inquiry_views.merchant_inquiries, name="inquiries"),
    path("<int:inquiry_id>/", inquiry_views.merchant_inquiry, name="inquiry"),
    path("<int:inquiry_id>/close/", inquiry_views.merchant_inquiry_close, name="inquiry-close"),
]
