from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("", include("pos.urls")),
    path("", include("customers.urls")),
    path("", include("webhooks.urls")),
    path("", include("kreward.urls")),
    path("", include("till.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("hello", views.hello, name="hello"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", include("loyalite.account_urls")),
    path("admin/", admin.site.urls),
]

handler404 = "loyalite.errors.json_404"
handler500 = "loyalite.errors.json_500"
