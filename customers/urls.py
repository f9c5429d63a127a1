from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("o/<slug:org_slug>/login", views.login, name="login"),
    path("o/<slug:org_slug>/login/<str:token>", views.login_link, name="login-link"),
    path("me/", views.dashboard, name="dashboard"),
    path("me/api/state", views.state, name="state"),
    path("me/profile", views.profile, name="profile"),
    path("me/export", views.export, name="export"),
    path("me/delete", views.erase, name="erase"),
    path("me/logout", views.logout, name="logout"),
]
