from crm import credit_views, reminder_views, tier_views

urlpatterns = tier_views.api_urlpatterns + credit_views.api_urlpatterns + reminder_views.api_urlpatterns
