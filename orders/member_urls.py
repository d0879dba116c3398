from django.urls import path

from orders import views

app_name = "member-orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("<str:number>/", views.order_detail, name="detail"),
]
