"""The /webhook/* endpoints: authenticate, limit, parse, call one flow, render."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.services import enroll_customer, get_customer_by_code, get_customer_by_qr
from fraud import services as fraud
from loyalite import api
from loyalite.errors import CodeOrQrRequired, InvalidRequest, NotFound

from . import flows
from .serializers import (
    BalancesData,
    CouponData,
    CouponRedeemRequest,
    CustomerData,
    EarnData,
    EarnRequest,
    EnrollData,
    EnrollRequest,
    ErrorBody,
    RedeemRequest,
    envelope,
    is_ascii_digits,
)

ERRORS = {
    400: OpenApiResponse(ErrorBody, description="`invalid_json`"),
    401: OpenApiResponse(ErrorBody, description="`invalid or missing API key`"),
    402: OpenApiResponse(ErrorBody, description="`subscription_required`"),
    422: OpenApiResponse(ErrorBody, description="`invalid_request` with `fields`"),
    429: OpenApiResponse(ErrorBody, description="`too many requests` (with `Retry-After`)"),
}
GATE_ERRORS = {
    412: OpenApiResponse(
        ErrorBody,
        description="`pin_required`: challenge_id, remaining_attempts, expires_in, pin_length",
    ),
    422: OpenApiResponse(
        ErrorBody,
        description="`invalid_request`, `manual_code_disabled`, `pin_invalid` "
        "(remaining_attempts), `pin_expired`, and the endpoint's business errors",
    ),
    429: OpenApiResponse(
        ErrorBody,
        description="`too many requests`, `pin_attempts_exceeded`, `pin_locked` (retry_after)",
    ),
}


def _first_error(errors: Any) -> str:
    while isinstance(errors, list | dict):
        errors = next(iter(errors.values() if isinstance(errors, dict) else errors), "invalid")
    return str(errors)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise InvalidRequest(
            fields={name: _first_error(err) for name, err in serializer.errors.items()}
        )
    return dict(serializer.validated_data)


class WebhookView(APIView):
    """Auth → 402 → 429 before any body is read; the rate bucket is per key and group."""

    rate_group = "pos"

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.api_key = api.authenticate(request._request)
        api.check_subscription(self.api_key)
        org = self.api_key.organization
        per_minute = (
            org.rate_pos_per_minute if self.rate_group == "pos" else org.rate_customer_per_minute
        )
        api.check_rate(
            request._request,
            group=f"webhook.{self.rate_group}",
            bucket=str(self.api_key.pk),
            per_minute=per_minute,
        )

    def actor(self, request: Request) -> fraud.Actor:
        return fraud.Actor(api_key=self.api_key, client_ip=api.client_ip(request._request))

    def body(self, request: Request, serializer_class) -> dict[str, Any]:
        return validated(serializer_class, api.parse_json_object(request._request))

    @staticmethod
    def render(outcome: flows.Outcome) -> Response:
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        return Response(outcome.body, status=outcome.status, headers=headers)


class CustomerView(WebhookView):
    rate_group = "customer"

    @extend_schema(
        operation_id="customer_lookup",
        summary="Look a customer up by typed code or scanned QR",
        parameters=[
            OpenApiParameter(
                "code", int, description="The customer's 6-digit code (typed by hand)."
            ),
            OpenApiParameter("qr", str, description="The raw scanned QR payload."),
        ],
        responses={
            200: envelope("CustomerEnvelope", CustomerData),
            400: OpenApiResponse(ErrorBody, description="`code or qr is required`"),
            401: ERRORS[401],
            402: ERRORS[402],
            404: OpenApiResponse(ErrorBody, description="`customer_not_found`"),
            422: OpenApiResponse(
                ErrorBody, description="`invalid_qr`, `manual_code_disabled`, `invalid_request`"
            ),
            429: ERRORS[429],
        },
    )
    def get(self, request: Request) -> Response:
        org = self.api_key.organization
        qr, code = request.query_params.get("qr"), request.query_params.get("code")
        if qr:
            customer = get_customer_by_qr(organization=org, payload=qr)
        elif code:
            fraud.check_manual_code(
                organization=org, manual_code=True, actor=self.actor(request), action="lookup"
            )
            if not is_ascii_digits(code.strip()):
                raise InvalidRequest(fields={"code": "Must be a positive integer."})
            customer = get_customer_by_code(organization=org, code=int(code))
        else:
            raise CodeOrQrRequired()
        return Response({"data": flows.customer_data(customer)})

    @extend_schema(
        operation_id="customer_enroll",
        summary="Enroll a customer, or find them by email",
        request={"application/json": EnrollRequest},
        responses={
            200: envelope("EnrollEnvelope", EnrollData),
            **ERRORS,
            422: OpenApiResponse(
                ErrorBody,
                description="`email_required`, `email_invalid`, `consent_terms_required`, "
                "`consent_privacy_required`, `invalid_request`",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        params = self.body(request, EnrollRequest)
        customer, is_new = enroll_customer(organization=self.api_key.organization, **params)
        return Response({"data": {**flows.customer_data(customer), "is_new": is_new}})


class EarnView(WebhookView):
    @extend_schema(
        operation_id="earn",
        summary="Award points or stamps for a purchase",
        request={"application/json": EarnRequest},
        responses={
            200: envelope("EarnEnvelope", EarnData),
            **ERRORS,
            404: OpenApiResponse(ErrorBody, description="`customer_not_found`"),
            409: OpenApiResponse(ErrorBody, description="`external_id_conflict`"),
            **GATE_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        params = self.body(request, EarnRequest)
        return self.render(
            flows.earn(api_key=self.api_key, actor=self.actor(request), params=params)
        )


class RedeemView(WebhookView):
    @extend_schema(
        operation_id="redeem",
        summary="Spend points or stamps",
        request={"application/json": RedeemRequest},
        responses={
            200: envelope("RedeemEnvelope", BalancesData),
            **ERRORS,
            404: OpenApiResponse(ErrorBody, description="`customer_not_found`"),
            409: OpenApiResponse(ErrorBody, description="`external_id_conflict`"),
            **GATE_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        params = self.body(request, RedeemRequest)
        return self.render(
            flows.redeem(api_key=self.api_key, actor=self.actor(request), params=params)
        )


class CouponRedeemView(WebhookView):
    @extend_schema(
        operation_id="coupon_redeem",
        summary="Redeem a reward coupon by its scanned token",
        request={"application/json": CouponRedeemRequest},
        responses={
            200: envelope("CouponEnvelope", CouponData),
            **ERRORS,
            404: OpenApiResponse(ErrorBody, description="`coupon_not_found`"),
            409: OpenApiResponse(ErrorBody, description="`coupon_already_used`"),
            **GATE_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        params = self.body(request, CouponRedeemRequest)
        return self.render(
            flows.redeem_coupon(api_key=self.api_key, actor=self.actor(request), params=params)
        )


class NotFoundView(APIView):
    """Unknown paths under /webhook/ answer JSON, never Django's HTML page."""

    schema = None

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs, self.request = args, kwargs, self.initialize_request(request)
        self.headers = self.default_response_headers
        response = self.handle_exception(NotFound())
        self.response = self.finalize_response(self.request, response)
        return self.response
