"""Operator endpoints: health and a trivial baseline for benchmarks."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the cache answer; 503 naming what failed otherwise."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        logger.warning("health: database failed: %s", exc)
        checks["database"] = "error"
    try:
        cache.set("healthz", "1", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "1" else "error"
    except Exception as exc:  # noqa: BLE001
        logger.warning("health: cache failed: %s", exc)
        checks["cache"] = "error"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


def hello(request: HttpRequest) -> HttpResponse:
    """A trivial endpoint: the benchmark's baseline for this server."""
    return HttpResponse(b"hello", content_type="text/plain")
