"""The /v1/* endpoints (Kreward's wire format): authenticate, check, parse, call one flow."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import cards
from campaigns.models import CardType, RewardMode
from loyalite import api
from loyalite.errors import DomainError, NotFound
from loyalite.errors import exception_handler as loyalite_exception_handler
from loyalite.models import Plan

from . import flows, params
from . import schema as docs
from .errors import (
    InvalidApiKey,
    InvalidParameter,
    OriginBlocked,
    PlanNotEligible,
    RateLimitExceeded,
    SecretKeyRequired,
    SubscriptionRequired,
    as_kreward,
    error_body,
)
from .services import authenticate, get_template, templates_of

RATE_PER_MINUTE = 100
TAG = "Kreward /v1"
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Headers": "authorization, content-type, idempotency-key",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Max-Age": "600",
}
EXPOSED_HEADERS = "Retry-After, Idempotent-Replayed"


def exception_handler(exc: Exception, context: dict) -> Response:
    """Kreward's error shape: `{"error": code}` (+ `param`), never HTML, never a message."""
    if isinstance(exc, DomainError):
        error = as_kreward(exc)
        return Response(error_body(error), status=error.status, headers=error.headers or None)
    response = loyalite_exception_handler(exc, context)
    response.data = {"error": response.data["error"]}
    return response


class KrewardView(APIView):
    """Key (401) → plan (403) → 402 → key type (403) → origin (403) → rate (429)."""

    public_allowed = False
    cors_origin: str | None = None

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "OPTIONS":
            return
        key = authenticate(api.raw_api_key(request._request))
        if key is None:
            raise InvalidApiKey()
        organization = key.organization
        request._request.organization = organization
        if organization.plan == Plan.STARTER:
            raise PlanNotEligible()
        if not organization.subscription_active():
            raise SubscriptionRequired()
        if not key.is_secret:
            self._check_public_key(request, key)
        api.check_rate(
            request._request,
            group="kreward",
            bucket=f"{key.pair.pk}:{key.kind}",
            per_minute=RATE_PER_MINUTE,
            error=RateLimitExceeded,
        )
        self.key = key

    def _check_public_key(self, request: Request, key) -> None:
        if not self.public_allowed:
            raise SecretKeyRequired()
        origin = request.headers.get("Origin")
        if not key.pair.allows_origin(origin):
            raise OriginBlocked()
        self.cors_origin = origin

    def options(self, request: Request, *args, **kwargs) -> Response:
        """Preflights carry no key: any origin gets an answer, the real request is checked."""
        response = Response(status=204)
        origin = request.headers.get("Origin")
        if origin:
            response["Access-Control-Allow-Origin"] = origin
            response["Vary"] = "Origin"
            for header, value in PREFLIGHT_HEADERS.items():
                response[header] = value
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.cors_origin:
            response["Access-Control-Allow-Origin"] = self.cors_origin
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            response["Vary"] = "Origin"
        return response

    @property
    def organization(self):
        return self.key.organization

    def body(self, request: Request) -> dict[str, Any]:
        return api.parse_json_object(request._request)

    def idempotency_key(self, request: Request) -> str | None:
        return params.idempotency_key(request.headers.get("Idempotency-Key"))

    @staticmethod
    def render(outcome: flows.Outcome) -> Response:
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        return Response(outcome.body, status=outcome.status, headers=headers)


class PingView(KrewardView):
    public_allowed = True

    @extend_schema(
        tags=[TAG],
        operation_id="v1_ping",
        summary="Check a key (public or secret)",
        responses={200: docs.PingResponse, **docs.errors(401, 402, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response({"ok": True, "merchant": self.organization.name})


class MeView(KrewardView):
    @extend_schema(
        tags=[TAG],
        operation_id="v1_me",
        summary="The merchant, its plan and its card templates",
        responses={200: docs.MeResponse, **docs.errors(401, 402, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "ok": True,
                "merchant": self.organization.name,
                "plan": self.organization.plan,
                "templates": [flows.template_data(c) for c in templates_of(self.organization)],
            }
        )


class EnrollView(KrewardView):
    public_allowed = True

    @extend_schema(
        tags=[TAG],
        operation_id="v1_enroll",
        summary="Enroll a customer (with email) or get the sign-up page (without)",
        parameters=[docs.IDEMPOTENCY_KEY],
        request={"application/json": docs.EnrollRequest},
        responses={
            200: OpenApiResponse(
                docs.EnrollResponse,
                description="With `email`: the card. Without: `enrolled: false`, "
                "`enrollment_url` and `qr`.",
            ),
            **docs.errors(400, 401, 402, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request) -> Response:
        body = self.body(request)
        email = params.email(body.get("email"), required=False)
        name = params.text(body.get("name"), "name", max_length=params.MAX_NAME)
        template_id = params.template_id(body.get("template_id"))
        idempotency_key = self.idempotency_key(request)
        campaign = get_template(organization=self.organization, template_id=template_id)
        if email is None:
            return Response(flows.enrollment_invite(organization=self.organization))
        return self.render(
            flows.enroll(
                key=self.key,
                campaign=campaign,
                email=email,
                name=name,
                idempotency_key=idempotency_key,
            )
        )


class CardLookupView(KrewardView):
    """GET endpoints addressed by `email` and an optional `template_id`."""

    def lookup(self, request: Request):
        email = params.email(request.query_params.get("email"))
        template_id = params.template_id(request.query_params.get("template_id"))
        campaign = get_template(organization=self.organization, template_id=template_id)
        return flows.get_customer(organization=self.organization, email=email), campaign


class BalanceView(CardLookupView):
    @extend_schema(
        tags=[TAG],
        operation_id="v1_balance",
        summary="A customer's balance on a template",
        parameters=docs.LOOKUP_PARAMETERS,
        responses={200: docs.BalanceResponse, **docs.errors(400, 401, 402, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        customer, campaign = self.lookup(request)
        return Response(flows.balance(customer=customer, campaign=campaign))


class CustomerView(CardLookupView):
    @extend_schema(
        tags=[TAG],
        operation_id="v1_customer",
        summary="A customer and their card with its tiers",
        parameters=docs.LOOKUP_PARAMETERS,
        responses={200: docs.CustomerResponse, **docs.errors(400, 401, 402, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        customer, campaign = self.lookup(request)
        return Response(flows.customer_card(customer=customer, campaign=campaign))


class TransactionView(KrewardView):
    @extend_schema(
        tags=[TAG],
        operation_id="v1_transaction",
        summary="Add (or, negative, deduct) points or stamps",
        parameters=[docs.IDEMPOTENCY_KEY],
        request={"application/json": docs.TransactionRequest},
        responses={
            200: docs.TransactionResponse,
            **docs.errors(400, 401, 402, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request) -> Response:
        body = self.body(request)
        email = params.email(body.get("email"))
        delta = params.delta(body.get("delta"))
        note = params.text(body.get("note"), "note", max_length=params.MAX_NOTE)
        template_id = params.template_id(body.get("template_id"))
        idempotency_key = self.idempotency_key(request)
        campaign = get_template(organization=self.organization, template_id=template_id)
        coupon_mode = (
            campaign.card_type == CardType.STAMP and campaign.reward_mode == RewardMode.COUPON
        )
        if coupon_mode and delta > campaign.max_stamps:
            raise InvalidParameter("delta")
        customer = flows.get_customer(organization=self.organization, email=email)
        return self.render(
            flows.transaction_(
                key=self.key,
                campaign=campaign,
                customer=customer,
                delta=delta,
                note=note,
                idempotency_key=idempotency_key,
            )
        )


class RedeemView(KrewardView):
    @extend_schema(
        tags=[TAG],
        operation_id="v1_redeem",
        summary="Claim a reached tier; the final stamp tier loops the card",
        parameters=[docs.IDEMPOTENCY_KEY],
        request={"application/json": docs.RedeemRequest},
        responses={200: docs.RedeemResponse, **docs.errors(400, 401, 402, 403, 404, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        body = self.body(request)
        email = params.email(body.get("email"))
        at = params.tier_at(body.get("at"))
        template_id = params.template_id(body.get("template_id"))
        idempotency_key = self.idempotency_key(request)
        campaign = get_template(organization=self.organization, template_id=template_id)
        cards.find_tier(campaign=campaign, at=at)
        customer = flows.get_customer(organization=self.organization, email=email)
        return self.render(
            flows.redeem(
                key=self.key,
                campaign=campaign,
                customer=customer,
                at=at,
                idempotency_key=idempotency_key,
            )
        )


class NotFoundView(APIView):
    """Unknown paths under /v1/ answer JSON (and never redirect to a trailing slash)."""

    schema = None

    def get_exception_handler(self):
        return exception_handler

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs, self.request = args, kwargs, self.initialize_request(request)
        self.headers = self.default_response_headers
        response = self.handle_exception(NotFound())
        self.response = self.finalize_response(self.request, response)
        return self.response
