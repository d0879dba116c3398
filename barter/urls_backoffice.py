from barter import views

app_name = "backoffice-barter"

urlpatterns = views.backoffice_urlpatterns
