"""Parsing /v1 parameters: each failure names its parameter (400 `param`)."""

import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from customers.services import normalize_email

from .errors import InvalidParameter, MissingParameter

MAX_DELTA = 100_000
MAX_NOTE = 255
MAX_NAME = 200
MAX_IDEMPOTENCY_KEY = 255
MAX_DIGITS = 18  # bigger numbers are invalid anyway; int() of 1e999999 would be costly


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def email(value: Any, *, required: bool = True) -> str | None:
    if _absent(value):
        if required:
            raise MissingParameter("email")
        return None
    if not isinstance(value, str):
        raise InvalidParameter("email")
    normalized = normalize_email(value)
    try:
        validate_email(normalized)
    except ValidationError:
        raise InvalidParameter("email") from None
    return normalized


def template_id(value: Any) -> uuid.UUID | None:
    if _absent(value):
        return None
    if not isinstance(value, str):
        raise InvalidParameter("template_id")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidParameter("template_id") from None


def _integral_decimal(value: Any) -> bool:
    return (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.adjusted() < MAX_DIGITS
        and value == value.to_integral_value()
    )


def integer(value: Any, name: str) -> int:
    """A JSON integer; an integral float (`3.0`) is accepted, strings and booleans are not."""
    if value is None:
        raise MissingParameter(name)
    if isinstance(value, bool):
        raise InvalidParameter(name)
    if isinstance(value, int):
        return value
    if _integral_decimal(value):
        return int(value)
    raise InvalidParameter(name)


def delta(value: Any) -> int:
    number = integer(value, "delta")
    if number == 0 or abs(number) > MAX_DELTA:
        raise InvalidParameter("delta")
    return number


def tier_at(value: Any) -> int:
    number = integer(value, "at")
    if number <= 0:
        raise InvalidParameter("at")
    return number


def text(value: Any, name: str, *, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidParameter(name)
    return value.strip()


def idempotency_key(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > MAX_IDEMPOTENCY_KEY:
        raise InvalidParameter("Idempotency-Key")
    return value
