"""Plumbing shared by the API adapters: key auth, subscription, rate limits, JSON bodies."""

import json
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from .breaker import Breaker
from .errors import InvalidApiKey, InvalidJson, SubscriptionRequired, TooManyRequests
from .models import ApiKey
from .services import authenticate_api_key

logger = logging.getLogger(__name__)
# A stalled cache would otherwise cost its socket timeout on every request.
rate_cache = Breaker("rate-limit cache", cool_down_seconds=10)


def raw_api_key(request: HttpRequest) -> str:
    key = request.headers.get("X-Api-Key", "").strip()
    if key:
        return key
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(request: HttpRequest) -> ApiKey:
    """The request's POS key (401 otherwise); tags the request with its org for the logs."""
    api_key = authenticate_api_key(raw_api_key(request))
    if api_key is None:
        raise InvalidApiKey()
    request.organization = api_key.organization
    return api_key


def check_subscription(api_key: ApiKey) -> None:
    if not api_key.organization.subscription_active():
        raise SubscriptionRequired()


def check_rate(
    request: HttpRequest, *, group: str, bucket: str, per_minute: int, error=TooManyRequests
) -> None:
    """Fixed one-minute window per bucket on the shared cache; fails open if the cache is down."""
    if rate_cache.is_open:
        return
    try:
        usage = get_usage(
            request,
            group=group,
            key=lambda _group, _request: bucket,
            rate=f"{per_minute}/m",
            increment=True,
        )
    except Exception:
        rate_cache.trip()
        logger.warning("rate limit cache unavailable; allowing requests", exc_info=True)
        return
    if usage and usage["should_limit"] and usage["time_left"] >= 0:
        # django-ratelimit's window still includes its last second (time_left == 0).
        retry_after = usage["time_left"] + 1
        raise error(headers={"Retry-After": str(retry_after)})
    if usage and usage["should_limit"]:
        logger.warning("rate limit cache unavailable; allowing request")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(request: HttpRequest) -> dict[str, Any]:
    """The body as a dict, numbers with a fraction read as Decimal from their literal."""
    try:
        body = json.loads(request.body or b"", parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise InvalidJson() from None
    if not isinstance(body, dict):
        raise InvalidJson()
    return body


def client_ip(request: HttpRequest) -> str | None:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None
