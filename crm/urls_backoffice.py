from crm import credit_views, reminder_views, tier_views

app_name = "backoffice-crm"

urlpatterns = (tier_views.backoffice_urlpatterns + credit_views.backoffice_urlpatterns
               + reminder_views.backoffice_urlpatterns)
