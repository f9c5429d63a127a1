"""Delivering one (event, endpoint) pair: claim the attempt, POST the signed envelope, record.

An attempt is claimed in a short transaction (row lock, skip locked) that counts it and holds
the row until `claimed_until`, so two workers (the after-commit task and the beat sweeper, or
two sweepers) never send the same attempt twice. The HTTP call runs outside any transaction.
"""

import datetime
import json
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Delivery, DeliveryStatus
from .signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign
from .targets import Target, UrlNotAllowed, check_url

logger = logging.getLogger(__name__)

# Waits after attempts 1..5; the sixth failure exhausts the delivery.
RETRY_DELAYS = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
TIMEOUT_SECONDS = 10.0
# Longer than DNS + the HTTP timeout, so only a crashed worker's claim runs out.
CLAIM_DURATION = datetime.timedelta(minutes=2)
SWEEP_BATCH = 50
USER_AGENT = "Loyalite-Webhooks/1.0"
TLS_VERIFY: bool | ssl.SSLContext = True
RETRYABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


@dataclass(frozen=True)
class Result:
    status_code: int | None
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def iso(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def envelope(delivery: Delivery) -> dict[str, Any]:
    event = delivery.event
    return {
        "id": str(delivery.pk),
        "event": event.event,
        "occurred_at": iso(event.occurred_at),
        "organization": event.organization.slug,
        "data": event.data,
    }


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(envelope(delivery), separators=(",", ":"), ensure_ascii=False).encode()


def headers_for(delivery: Delivery, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event.event,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: sign(secret=delivery.endpoint.secret, body=body),
    }


def due(now: datetime.datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status__in=RETRYABLE, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


def claim(*, now: datetime.datetime, delivery_id: Any = None) -> Delivery | None:
    """Takes the next due attempt (or this delivery's, if due) for this worker alone."""
    with transaction.atomic():
        queryset = due(now).select_for_update(skip_locked=True).order_by("next_attempt_at")
        if delivery_id is not None:
            queryset = queryset.filter(pk=delivery_id)
        delivery = queryset.first()
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.claimed_until = now + CLAIM_DURATION
        delivery.last_attempt_at = now
        delivery.save(update_fields=["attempts", "claimed_until", "last_attempt_at"])
    return Delivery.objects.select_related("event__organization", "endpoint").get(pk=delivery.pk)


def post(target: Target, body: bytes, headers: dict[str, str]) -> Result:
    """POSTs to the vetted addresses in turn (the next one only if connecting failed)."""
    started = time.monotonic()
    error = "no address to connect to"
    for address in target.addresses:
        try:
            with (
                httpx.Client(
                    timeout=TIMEOUT_SECONDS,
                    follow_redirects=False,
                    trust_env=False,
                    verify=TLS_VERIFY,
                ) as client,
                client.stream(
                    "POST",
                    target.url_for(address),
                    content=body,
                    headers={**headers, "Host": target.host_header},
                    extensions={"sni_hostname": target.hostname},
                ) as response,
            ):
                status_code = response.status_code
        except httpx.ConnectError as exc:
            error = f"connection failed: {exc}"
            continue
        except httpx.TimeoutException:
            return Result(None, f"timed out after {TIMEOUT_SECONDS:g} s")
        except httpx.HTTPError as exc:
            return Result(None, f"request failed: {exc}")
        if time.monotonic() - started > TIMEOUT_SECONDS:
            return Result(status_code, f"answered after more than {TIMEOUT_SECONDS:g} s")
        return Result(status_code, "" if 200 <= status_code < 300 else f"HTTP {status_code}")
    return Result(None, error)


def send(delivery: Delivery) -> Result:
    """One attempt; the URL is vetted again now, and a refused one is never connected to."""
    try:
        target = check_url(delivery.endpoint.url)
    except UrlNotAllowed as refused:
        return Result(None, f"url_not_allowed: {refused.message}")
    body = body_of(delivery)
    try:
        return post(target, body, headers_for(delivery, body))
    except Exception:
        logger.exception("webhook delivery %s crashed", delivery.pk)
        return Result(None, "internal error while sending")


def record(delivery: Delivery, result: Result, *, now: datetime.datetime) -> None:
    """Stores the outcome unless a redelivery took the row over while this attempt ran."""
    if result.succeeded:
        status, next_attempt_at = DeliveryStatus.SUCCESS, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        status, next_attempt_at = DeliveryStatus.EXHAUSTED, None
    else:
        status = DeliveryStatus.FAILED
        next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    Delivery.objects.filter(pk=delivery.pk, claimed_until=delivery.claimed_until).update(
        status=status,
        next_attempt_at=next_attempt_at,
        claimed_until=None,
        last_status_code=result.status_code,
        last_error=result.error[:500],
    )


def attempt(*, delivery_id: Any = None, now: datetime.datetime | None = None) -> bool:
    """Makes one due attempt (of this delivery, or of any); False when nothing was due."""
    now = now or timezone.now()
    delivery = claim(now=now, delivery_id=delivery_id)
    if delivery is None:
        return False
    result = send(delivery)
    record(delivery, result, now=now)
    logger.info(
        "webhook %s %s attempt %s: %s",
        delivery.event.event,
        delivery.pk,
        delivery.attempts,
        result.error or result.status_code,
    )
    return True


def sweep(*, now: datetime.datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Makes due attempts: retries, and deliveries whose task never reached the broker."""
    made = 0
    while made < limit and attempt(now=now):
        made += 1
    return made
