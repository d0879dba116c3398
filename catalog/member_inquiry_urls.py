# Included by accounts.member_urls at /member/inquiries/ (namespace "member").
from django.urls import path

from catalog import inquiry_views

urlpatterns = [
    path("", inquiry_views.member_inquiries, name="inquiries"),
    path("start/<int:product_id>/", inquiry_views.inquiry_start, name="inquiry-start"),
    path("<int:inquiry_id>/", inquiry_views.member_inquiry, name="inquiry"),
    path("<int:inquiry_id>/close/", inquiry_views.member_inquiry_close, name="inquiry-close"),
]
