from debt import case_views, clearing_views

urlpatterns = clearing_views.api_urlpatterns + case_views.api_urlpatterns
