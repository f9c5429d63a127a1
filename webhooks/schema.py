"""OpenAPI shapes of /merchant/webhooks/* (documentation only; the views build their JSON)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .models import ALL_EVENTS, EVENT_TYPES, PING, DeliveryStatus

TAG = "Merchant webhooks"
# Named choice sets (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] points here).
SUBSCRIBABLE_EVENTS = [*EVENT_TYPES, ALL_EVENTS]
DELIVERED_EVENTS = [*EVENT_TYPES, PING]


class WebhookError(serializers.Serializer):
    error = serializers.CharField()
    message = serializers.CharField(required=False)
    fields = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="On `invalid_request`: the first problem of each field.",
    )


ERROR_CODES = {
    400: "`invalid_json`: the body is not a JSON object",
    401: "`invalid or missing API key`",
    402: "`subscription_required`",
    404: "`not_found`: no such id in this organisation",
    422: "`invalid_request` with `fields`",
}


def errors(*statuses: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """Error responses; `s422="…"` replaces a status's default description."""
    return {
        s: OpenApiResponse(WebhookError, description=descriptions.get(f"s{s}", ERROR_CODES[s]))
        for s in statuses
    }


URL_ERRORS = (
    "`invalid_request` with `fields`, or `url_not_allowed` (plain http, private or loopback "
    "address)"
)

ENDPOINT_ID = OpenApiParameter("endpoint_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
DELIVERY_FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=DeliveryStatus.values),
    OpenApiParameter("event", OpenApiTypes.STR, description="An event name, e.g. `ping`."),
    OpenApiParameter("page", OpenApiTypes.INT, description="From 1; default 1."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100; default 50."),
]


class WebhookEndpointInput(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="HTTPS to a public address.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENTS),
        min_length=1,
        required=False,
        help_text='Default `["*"]`: every event.',
    )
    description = serializers.CharField(max_length=255, allow_blank=True, required=False)
    active = serializers.BooleanField(required=False, help_text="Default `true`.")


class WebhookEndpoint(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENTS))
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookEndpointWithSecret(WebhookEndpoint):
    secret = serializers.CharField(help_text="`whsec_…`, shown only here: keep it.")


class WebhookDelivery(serializers.Serializer):
    id = serializers.UUIDField(help_text="The envelope `id` and `X-Loyalite-Delivery`.")
    event_id = serializers.UUIDField()
    endpoint_id = serializers.UUIDField()
    event = serializers.ChoiceField(choices=DELIVERED_EVENTS)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class WebhookEndpointEnvelope(serializers.Serializer):
    data = WebhookEndpoint()


class WebhookEndpointListEnvelope(serializers.Serializer):
    data = WebhookEndpoint(many=True)


class WebhookEndpointSecretEnvelope(serializers.Serializer):
    data = WebhookEndpointWithSecret()


class WebhookDeliveryEnvelope(serializers.Serializer):
    data = WebhookDelivery()


class WebhookDeliveryPage(serializers.Serializer):
    data = WebhookDelivery(many=True)
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    has_more = serializers.BooleanField()
