from django.urls import re_path

from . import views

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

urlpatterns = [
    re_path(
        r"^merchant/webhooks/endpoints/?$",
        views.EndpointListView.as_view(),
        name="webhook-endpoints",
    ),
    re_path(
        rf"^merchant/webhooks/endpoints/(?P<endpoint_id>{UUID})/?$",
        views.EndpointDetailView.as_view(),
        name="webhook-endpoint",
    ),
    re_path(
        rf"^merchant/webhooks/endpoints/(?P<endpoint_id>{UUID})/rotate-secret/?$",
        views.RotateSecretView.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    re_path(
        rf"^merchant/webhooks/endpoints/(?P<endpoint_id>{UUID})/test/?$",
        views.TestEventView.as_view(),
        name="webhook-endpoint-test",
    ),
    re_path(
        r"^merchant/webhooks/deliveries/?$",
        views.DeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
    re_path(
        rf"^merchant/webhooks/deliveries/(?P<delivery_id>{UUID})/?$",
        views.DeliveryDetailView.as_view(),
        name="webhook-delivery",
    ),
    re_path(
        rf"^merchant/webhooks/deliveries/(?P<delivery_id>{UUID})/redeliver/?$",
        views.RedeliverView.as_view(),
        name="webhook-delivery-redeliver",
    ),
]
