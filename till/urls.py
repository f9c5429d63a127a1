from django.urls import path

from . import views

app_name = "till"

urlpatterns = [
    path("till/", views.home, name="home"),
    path("till/find", views.find, name="find"),
    path("till/earn", views.earn, name="earn"),
    path("till/redeem", views.redeem, name="redeem"),
    path("till/coupon", views.redeem_coupon, name="coupon"),
]
