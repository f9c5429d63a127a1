"""Password set/reset for merchant users, under /admin/ with the admin's templates.

`create_merchant_user` prints a link to `password_reset_confirm`; the admin login page shows
"Forgotten your password?" because `admin_password_reset` exists.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

urlpatterns = [
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(),
        name="admin_password_reset",
    ),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
