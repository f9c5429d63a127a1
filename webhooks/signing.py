"""Signing webhook bodies: `sha256=<hex HMAC-SHA256>` keyed by the endpoint secret's bytes."""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Loyalite-Signature-256"
EVENT_HEADER = "X-Loyalite-Event"
DELIVERY_HEADER = "X-Loyalite-Delivery"
SIGNATURE_PREFIX = "sha256="


def sign(*, secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(*, secret: str, body: bytes, signature: str) -> bool:
    """Constant-time check of a received signature header against the raw body."""
    return hmac.compare_digest(sign(secret=secret, body=body), signature or "")
