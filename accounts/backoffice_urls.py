from django.urls import path

from accounts import backoffice

app_name = "backoffice-accounts"

urlpatterns = [
    path("companies/", backoffice.companies, name="companies"),
    path("companies/<int:company_id>/", backoffice.company_detail, name="company"),
]
