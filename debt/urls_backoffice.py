from debt import case_views, clearing_views

app_name = "backoffice-debt"

urlpatterns = clearing_views.backoffice_urlpatterns + case_views.backoffice_urlpatterns
