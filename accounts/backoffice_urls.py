from django.urls import path

from accounts import backoffice

app_name = "backoffice-accounts"

urlpatterns = [
    path("reviews/", backoffice.reviews, name="reviews"),
    path("applications/<int:application_id>/", backoffice.application_detail, name="application"),
    path("companies/", backoffice.companies, name="companies"),
    path("companies/<int:company_id>/", backoffice.company_detail, name="company"),
    path("companies/<int:company_id>/freeze/", backoffice.company_freeze, name="company-freeze"),
    path("companies/<int:company_id>/unfreeze/", backoffice.company_unfreeze, name="company-unfreeze"),
]
