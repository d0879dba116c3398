from django.urls import path

from accounts import views

app_name = "member"

urlpatterns = [
    path("", views.member_home, name="home"),
    path("api-keys/", views.api_keys, name="api-keys"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
]
