from debt import case_views, clearing_views

app_name = "member-debt"

urlpatterns = clearing_views.member_urlpatterns + case_views.member_urlpatterns
