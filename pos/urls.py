from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^webhook/customer/?$", views.CustomerView.as_view(), name="pos-customer"),
    re_path(r"^webhook/pos/?$", views.EarnView.as_view(), name="pos-earn"),
    re_path(r"^webhook/redeem/?$", views.RedeemView.as_view(), name="pos-redeem"),
    re_path(
        r"^webhook/coupons/redeem/?$", views.CouponRedeemView.as_view(), name="pos-coupon-redeem"
    ),
    re_path(r"^webhook/", views.NotFoundView.as_view()),
]
