from barter import views

app_name = "member-barter"

urlpatterns = views.member_urlpatterns
