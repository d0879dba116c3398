from barter import views

urlpatterns = views.api_urlpatterns
