from django.urls import path, re_path

from . import apple_service, pages, views

urlpatterns = [
    re_path(r"^v1/ping(?:/)?$", views.PingView.as_view(), name="kreward-ping"),
    re_path(r"^v1/me(?:/)?$", views.MeView.as_view(), name="kreward-me"),
    re_path(r"^v1/enroll(?:/)?$", views.EnrollView.as_view(), name="kreward-enroll"),
    re_path(r"^v1/balance(?:/)?$", views.BalanceView.as_view(), name="kreward-balance"),
    re_path(r"^v1/customer(?:/)?$", views.CustomerView.as_view(), name="kreward-customer"),
    re_path(r"^v1/transaction(?:/)?$", views.TransactionView.as_view(), name="kreward-transaction"),
    re_path(r"^v1/redeem(?:/)?$", views.RedeemView.as_view(), name="kreward-redeem"),
    re_path(r"^v1/", views.NotFoundView.as_view()),
    path("join/<slug:org_slug>/", pages.join, name="kreward-join"),
    path("card/<str:token>/", pages.web_card, name="kreward-web-card"),
    path(
        "wallet/apple/v1/devices/<str:device>/registrations/<str:pass_type_id>/<str:serial>",
        apple_service.registration,
    ),
    path(
        "wallet/apple/v1/devices/<str:device>/registrations/<str:pass_type_id>",
        apple_service.serials,
    ),
    path("wallet/apple/v1/passes/<str:pass_type_id>/<str:serial>", apple_service.latest_pass),
    path("wallet/apple/v1/log", apple_service.log),
    path("wallet/<str:token>/pass.pkpass", pages.apple_pass, name="kreward-apple-pass"),
    path("wallet/<str:token>/google", pages.google_save, name="kreward-google-save"),
]
