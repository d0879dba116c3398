from crm import credit_views, reminder_views, tier_views

app_name = "member-crm"

urlpatterns = tier_views.member_urlpatterns + credit_views.member_urlpatterns + reminder_views.member_urlpatterns
