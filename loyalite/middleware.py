"""Request ids and one log line per request."""

import contextvars
import logging
import time
import uuid

from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("loyalite.access")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RequestIdMiddleware:
    """Tags each request with an id (kept from X-Request-Id if sane) and logs its outcome."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else ""
        request_id = request_id or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        request.request_id = request_id
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-Id"] = request_id
            elapsed_ms = (time.perf_counter() - started) * 1000
            access_log.info(
                "%s %s %s %.1fms org=%s",
                request.method,
                request.path,
                response.status_code,
                elapsed_ms,
                getattr(getattr(request, "organization", None), "slug", "-"),
            )
            return response
        finally:
            request_id_var.reset(token)
