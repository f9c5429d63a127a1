"""The merchant API for outbound webhooks: /merchant/webhooks/*, authenticated by POS key."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalite import api
from loyalite.errors import InvalidRequest

from . import schema as docs
from . import services
from .delivery import iso
from .models import ALL_EVENTS, EVENT_TYPES, Delivery, DeliveryStatus, Endpoint

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


class EndpointRequest(serializers.Serializer):
    url = serializers.CharField(max_length=2000, trim_whitespace=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[*EVENT_TYPES, ALL_EVENTS]),
        allow_empty=False,
        default=[ALL_EVENTS],
    )
    description = serializers.CharField(max_length=255, allow_blank=True, default="")
    active = serializers.BooleanField(default=True)


class DeliveryQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.values, required=False)
    event = serializers.CharField(max_length=40, required=False)
    page = serializers.IntegerField(min_value=1, default=1)
    page_size = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
    )


def _first_error(errors: Any) -> str:
    while isinstance(errors, list | dict):
        errors = next(iter(errors.values() if isinstance(errors, dict) else errors), "invalid")
    return str(errors)


def validated(serializer: serializers.Serializer) -> dict[str, Any]:
    if not serializer.is_valid():
        raise InvalidRequest(
            fields={name: _first_error(err) for name, err in serializer.errors.items()}
        )
    return dict(serializer.validated_data)


def endpoint_data(endpoint: Endpoint, *, with_secret: bool = False) -> dict[str, Any]:
    data = {
        "id": str(endpoint.pk),
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "active": endpoint.active,
        "created_at": iso(endpoint.created_at),
        "updated_at": iso(endpoint.updated_at),
    }
    if with_secret:
        data["secret"] = endpoint.secret
    return data


def delivery_data(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": str(delivery.pk),
        "event_id": str(delivery.event_id),
        "endpoint_id": str(delivery.endpoint_id),
        "event": delivery.event.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": iso(delivery.next_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": iso(delivery.created_at),
    }


class MerchantView(APIView):
    """The org's POS secret key, as on /webhook/*: 401, then 402."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        api_key = api.authenticate(request._request)
        api.check_subscription(api_key)
        self.organization = api_key.organization

    def body(self, request: Request, *, partial: bool = False) -> dict[str, Any]:
        data = api.parse_json_object(request._request)
        return validated(EndpointRequest(data=data, partial=partial))

    def endpoint(self, endpoint_id) -> Endpoint:
        return services.get_endpoint(organization=self.organization, endpoint_id=endpoint_id)


class EndpointListView(MerchantView):
    @extend_schema(
        tags=[docs.TAG],
        operation_id="merchant_webhooks_endpoints_list",
        summary="The organisation's webhook endpoints (no secrets)",
        responses={200: docs.WebhookEndpointListEnvelope, **docs.errors(401, 402)},
    )
    def get(self, request: Request) -> Response:
        endpoints = Endpoint.objects.filter(organization=self.organization)
        return Response({"data": [endpoint_data(endpoint) for endpoint in endpoints]})

    @extend_schema(
        tags=[docs.TAG],
        operation_id="merchant_webhooks_endpoints_create",
        summary="Add an endpoint; the answer shows its secret, the only time",
        request={"application/json": docs.WebhookEndpointInput},
        responses={
            201: docs.WebhookEndpointSecretEnvelope,
            **docs.errors(400, 401, 402, 422, s422=docs.URL_ERRORS),
        },
    )
    def post(self, request: Request) -> Response:
        endpoint = services.create_endpoint(organization=self.organization, **self.body(request))
        return Response({"data": endpoint_data(endpoint, with_secret=True)}, status=201)


@extend_schema(tags=[docs.TAG], parameters=[docs.ENDPOINT_ID])
class EndpointDetailView(MerchantView):
    @extend_schema(
        operation_id="merchant_webhooks_endpoints_retrieve",
        summary="One endpoint (no secret)",
        responses={200: docs.WebhookEndpointEnvelope, **docs.errors(401, 402, 404)},
    )
    def get(self, request: Request, endpoint_id) -> Response:
        return Response({"data": endpoint_data(self.endpoint(endpoint_id))})

    @extend_schema(
        operation_id="merchant_webhooks_endpoints_update",
        summary="Change the given fields; a new URL is vetted like a new endpoint",
        request={"application/json": docs.WebhookEndpointInput},
        responses={
            200: docs.WebhookEndpointEnvelope,
            **docs.errors(400, 401, 402, 404, 422, s422=docs.URL_ERRORS),
        },
    )
    def patch(self, request: Request, endpoint_id) -> Response:
        endpoint = self.endpoint(endpoint_id)
        changes = self.body(request, partial=True)
        endpoint = services.update_endpoint(endpoint=endpoint, **changes)
        return Response({"data": endpoint_data(endpoint)})

    @extend_schema(
        operation_id="merchant_webhooks_endpoints_delete",
        summary="Remove the endpoint and its delivery log",
        responses={
            204: OpenApiResponse(description="Deleted; no body."),
            **docs.errors(401, 402, 404),
        },
    )
    def delete(self, request: Request, endpoint_id) -> Response:
        services.delete_endpoint(endpoint=self.endpoint(endpoint_id))
        return Response(status=204)


class RotateSecretView(MerchantView):
    @extend_schema(
        tags=[docs.TAG],
        operation_id="merchant_webhooks_endpoints_rotate_secret",
        summary="A new secret, effective at once; the old one stops",
        parameters=[docs.ENDPOINT_ID],
        request=None,
        responses={200: docs.WebhookEndpointSecretEnvelope, **docs.errors(401, 402, 404)},
    )
    def post(self, request: Request, endpoint_id) -> Response:
        endpoint = services.rotate_secret(endpoint=self.endpoint(endpoint_id))
        return Response({"data": endpoint_data(endpoint, with_secret=True)})


class TestEventView(MerchantView):
    @extend_schema(
        tags=[docs.TAG],
        operation_id="merchant_webhooks_endpoints_test",
        summary="Queue a signed `ping` to this endpoint (even if inactive)",
        parameters=[docs.ENDPOINT_ID],
        request=None,
        responses={
            202: OpenApiResponse(docs.WebhookDeliveryEnvelope, description="The queued delivery."),
            **docs.errors(401, 402, 404),
        },
    )
    def post(self, request: Request, endpoint_id) -> Response:
        delivery = services.send_test(endpoint=self.endpoint(endpoint_id))
        return Response({"data": delivery_data(delivery)}, status=202)


class DeliveryListView(MerchantView):
    @extend_schema(
        tags=[docs.TAG],
        operation_id="merchant_webhooks_deliveries_list",
        summary="The organisation's deliveries, newest first, paginated",
        parameters=docs.DELIVERY_FILTERS,
        responses={
            200: docs.WebhookDeliveryPage,
            **docs.errors(401, 402, 422, s422="`invalid_request` with `fields`: a bad filter"),
        },
    )
    def get(self, request: Request) -> Response:
        query = validated(DeliveryQuery(data=request.query_params))
        page, page_size = query.pop("page"), query.pop("page_size")
        deliveries = services.deliveries_of(organization=self.organization, **query)
        start = (page - 1) * page_size
        rows = list(deliveries[start : start + page_size + 1])
        return Response(
            {
                "data": [delivery_data(delivery) for delivery in rows[:page_size]],
                "page": page,
                "page_size": page_size,
                "has_more": len(rows) > page_size,
            }
        )


class DeliveryDetailView(MerchantView):
    @extend_schema(
        tags=[docs.TAG],
        operation_id="merchant_webhooks_deliveries_retrieve",
        summary="One delivery",
        parameters=[docs.DELIVERY_ID],
        responses={200: docs.WebhookDeliveryEnvelope, **docs.errors(401, 402, 404)},
    )
    def get(self, request: Request, delivery_id) -> Response:
        delivery = services.get_delivery(organization=self.organization, delivery_id=delivery_id)
        return Response({"data": delivery_data(delivery)})


class RedeliverView(MerchantView):
    @extend_schema(
        tags=[docs.TAG],
        operation_id="merchant_webhooks_deliveries_redeliver",
        summary="Send the same envelope (same id) again now, restarting the retries",
        parameters=[docs.DELIVERY_ID],
        request=None,
        responses={
            202: OpenApiResponse(
                docs.WebhookDeliveryEnvelope,
                description="The delivery, `pending` again with `attempts` 0.",
            ),
            **docs.errors(401, 402, 404),
        },
    )
    def post(self, request: Request, delivery_id) -> Response:
        delivery = services.get_delivery(organization=self.organization, delivery_id=delivery_id)
        delivery = services.redeliver(delivery=delivery)
        return Response({"data": delivery_data(delivery)}, status=202)
