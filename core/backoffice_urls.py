from django.urls import path

from core import backoffice

app_name = "backoffice"

urlpatterns = [
    path("", backoffice.dashboard, name="dashboard"),
    path("audit/", backoffice.audit_log, name="audit-log"),
]
