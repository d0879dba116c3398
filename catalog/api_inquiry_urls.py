# Included by catalog.api_urls under /api/v1/.
from django.urls import path

from catalog import api_inquiries

urlpatterns = [
    path("inquiries/", api_inquiries.InquiryListView.as_view(), name="api-inquiries"),
    path("inquiries/<int:inquiry_id>/", api_inquiries.InquiryDetailView.as_view(), name="api-inquiry"),
    path("inquiries/<int:inquiry_id>/messages/", api_inquiries.InquiryReplyView.as_view(),
         name="api-inquiry-messages"),
    path("inquiries/<int:inquiry_id>/close/", api_inquiries.InquiryCloseView.as_view(), name="api-inquiry-close"),
    path("inquiries/<int:inquiry_id>/read/", api_inquiries.InquiryReadView.as_view(), name="api-inquiry-read"),
]
