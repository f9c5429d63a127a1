"""Idempotent replay of writes keyed by a client id (`external_id`, `Idempotency-Key`).

The record is inserted first inside the write's transaction, so a concurrent duplicate blocks
on the unique index until the first commits, then replays its stored answer.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from .models import IdempotencyRecord, Organization


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


def fingerprint(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, print_: str, conflict: type[Exception]) -> StoredResponse:
    if record.fingerprint != print_:
        raise conflict()
    return StoredResponse(record.status, record.body)


def find(
    *, organization: Organization, scope: str, key: str, print_: str, conflict: type[Exception]
) -> StoredResponse | None:
    """The stored answer for a repeat (or `conflict` for a different body), else None."""
    record = IdempotencyRecord.objects.filter(
        organization=organization, scope=scope, key=key
    ).first()
    return None if record is None else _replay(record, print_, conflict)


class Slot:
    """A claimed key inside the caller's transaction; `store` records the answer."""

    def __init__(self, record: IdempotencyRecord):
        self.record = record

    def store(self, status: int, body: dict[str, Any]) -> None:
        self.record.status = status
        self.record.body = body
        self.record.save(update_fields=["status", "body"])


def claim(
    *, organization: Organization, scope: str, key: str, print_: str, conflict: type[Exception]
) -> Slot | StoredResponse:
    """Claims the key (call inside transaction.atomic); a duplicate gets the stored answer."""
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                organization=organization, scope=scope, key=key, fingerprint=print_
            )
        return Slot(record)
    except IntegrityError:
        record = IdempotencyRecord.objects.get(organization=organization, scope=scope, key=key)
        return _replay(record, print_, conflict)
