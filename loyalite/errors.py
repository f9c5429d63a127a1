"""Domain errors and the one place that turns errors into the contract's JSON.

Every grep-able error code lives here. Domain services raise these; adapters render them
(the POS API through `exception_handler`, other surfaces through their own mapping).
"""

import logging
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.views import defaults
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class DomainError(Exception):
    status: int = 400
    code: str = "error"
    message: str = ""

    def __init__(self, message: str = "", *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message or self.message or self.code)
        self.extra = extra
        self.headers = headers or {}
        if message:
            self.message = message

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, **self.extra}
        if self.message:
            body["message"] = self.message
        return body


# --- API plumbing -------------------------------------------------------------------------
class InvalidApiKey(DomainError):
    status, code = 401, "invalid or missing API key"


class SubscriptionRequired(DomainError):
    status, code = 402, "subscription_required"
    message = "The organisation's subscription has lapsed."


class TooManyRequests(DomainError):
    status, code = 429, "too many requests"


class InvalidJson(DomainError):
    status, code = 400, "invalid_json"
    message = "The body must be a JSON object."


class InvalidRequest(DomainError):
    status, code = 422, "invalid_request"


class CodeOrQrRequired(DomainError):
    status, code = 400, "code or qr is required"


class NotFound(DomainError):
    status, code = 404, "not_found"


class MethodNotAllowed(DomainError):
    status, code = 405, "method_not_allowed"


class InternalError(DomainError):
    status, code = 500, "internal_error"
    message = "Something went wrong on our side; the request id identifies it in our logs."


# --- customers ----------------------------------------------------------------------------
class CustomerNotFound(DomainError):
    status, code = 404, "customer_not_found"


class InvalidQr(DomainError):
    status, code = 422, "invalid_qr"


class EmailRequired(DomainError):
    status, code = 422, "email_required"


class EmailInvalid(DomainError):
    status, code = 422, "email_invalid"


class ConsentTermsRequired(DomainError):
    status, code = 422, "consent_terms_required"


class ConsentPrivacyRequired(DomainError):
    status, code = 422, "consent_privacy_required"


# --- ledger -------------------------------------------------------------------------------
class StampLimitExceeded(DomainError):
    status, code = 422, "stamp_limit_exceeded"


class InsufficientBalance(DomainError):
    status, code = 422, "insufficient_balance"


class ExternalIdConflict(DomainError):
    status, code = 409, "external_id_conflict"
    message = "This external_id was already used with a different request body."


# --- coupons ------------------------------------------------------------------------------
class CouponNotFound(DomainError):
    status, code = 404, "coupon_not_found"


class CouponAlreadyUsed(DomainError):
    status, code = 409, "coupon_already_used"


class CouponExpired(DomainError):
    status, code = 422, "coupon_expired"


class InvalidTier(DomainError):
    status, code = 400, "invalid_tier"


class TierNotReached(DomainError):
    status, code = 409, "tier_not_reached"


class TierAlreadyRedeemed(DomainError):
    status, code = 409, "tier_already_redeemed"


# --- outbound webhooks ----------------------------------------------------------------------
class UrlNotAllowed(DomainError):
    status, code = 422, "url_not_allowed"


# --- fraud gate ---------------------------------------------------------------------------
class ManualCodeDisabled(DomainError):
    status, code = 422, "manual_code_disabled"
    message = "This shop requires scanning the customer's QR code."


class PinRequired(DomainError):
    status, code = 412, "pin_required"


class PinInvalid(DomainError):
    status, code = 422, "pin_invalid"


class PinExpired(DomainError):
    status, code = 422, "pin_expired"


class PinAttemptsExceeded(DomainError):
    status, code = 429, "pin_attempts_exceeded"


class PinLocked(DomainError):
    status, code = 429, "pin_locked"


def render_error(error: DomainError) -> Response:
    return Response(error.body(), status=error.status, headers=error.headers or None)


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's exception handler: every failure becomes the contract's JSON, never HTML."""
    if isinstance(exc, DomainError):
        return render_error(exc)
    if isinstance(exc, drf_exceptions.ParseError):
        return render_error(InvalidJson())
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return render_error(MethodNotAllowed())
    if isinstance(exc, drf_exceptions.NotFound | Http404):
        return render_error(NotFound())
    if isinstance(exc, drf_exceptions.Throttled):
        wait = int(exc.wait or 60)
        return render_error(TooManyRequests(headers={"Retry-After": str(wait)}))
    if isinstance(exc, drf_exceptions.APIException):
        return Response(
            {"error": exc.default_code, "message": str(exc.detail)}, status=exc.status_code
        )
    logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
    return render_error(InternalError())


API_PREFIXES = ("/webhook/", "/v1/", "/merchant/", "/api/", "/me/api/")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def json_404(request: HttpRequest, exception: Exception | None = None):
    if _is_api(request):
        return JsonResponse(NotFound().body(), status=404)
    return defaults.page_not_found(request, exception)


def json_500(request: HttpRequest):
    if _is_api(request):
        return JsonResponse(InternalError().body(), status=500)
    return defaults.server_error(request)
