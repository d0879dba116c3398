from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("after-login/", views.after_login, name="after-login"),
    path("language/", views.switch_language, name="switch-language"),
    path("regions/cities/", views.region_cities, name="region-cities"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_read, name="inbox-mark-read"),
]
