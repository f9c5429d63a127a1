"""Customer QR payloads: a static HMAC-signed token (24 h) and a rotating RFC 6238 TOTP.

Static: `LQ1:<org_id>:<code>:<expires_unix>:<signature>`.
Rotating (Strict orgs): `LT1:<org_id>:<code>:<6-digit TOTP>`.
Wallet cards (Standard and Balanced orgs): `LW1:…`, long-lived and revocable; the wallet adapter
signs and checks them against its WalletCard rows.
"""

import base64
import functools
import hashlib
import hmac
import io
import struct
import time
from dataclasses import dataclass

import qrcode
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

STATIC_QR_TTL_SECONDS = 24 * 3600
TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
TOTP_WINDOW_STEPS = 1
STATIC_PREFIX = "LQ1"
TOTP_PREFIX = "LT1"
WALLET_PREFIX = "LW1"


@dataclass(frozen=True)
class QrClaim:
    organization_id: int
    customer_code: int
    totp: str | None = None  # present for rotating payloads; checked against the customer


def _static_signature(organization_id: int, customer_code: int, expires: int) -> str:
    message = f"{organization_id}:{customer_code}:{expires}"
    digest = salted_hmac(
        "customers.qr.static", message, secret=settings.SECRET_KEY, algorithm="sha256"
    )
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode()


def sign_static(
    *, organization_id: int, customer_code: int, now: float | None = None
) -> tuple[str, int]:
    """The payload and its expiry (unix seconds)."""
    expires = int((now if now is not None else time.time()) + STATIC_QR_TTL_SECONDS)
    signature = _static_signature(organization_id, customer_code, expires)
    return f"{STATIC_PREFIX}:{organization_id}:{customer_code}:{expires}:{signature}", expires


def totp(secret_hex: str, *, at: float | None = None, step_offset: int = 0) -> str:
    """RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) of a hex secret."""
    counter = int((at if at is not None else time.time()) // TOTP_STEP_SECONDS) + step_offset
    digest = hmac.new(bytes.fromhex(secret_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**TOTP_DIGITS).zfill(TOTP_DIGITS)


def totp_matches(secret_hex: str, candidate: str, *, at: float | None = None) -> bool:
    at = at if at is not None else time.time()
    return any(
        constant_time_compare(totp(secret_hex, at=at, step_offset=offset), candidate)
        for offset in range(-TOTP_WINDOW_STEPS, TOTP_WINDOW_STEPS + 1)
    )


def sign_rotating(
    *, organization_id: int, customer_code: int, secret_hex: str, at: float | None = None
) -> tuple[str, int]:
    """The current rotating payload and when its step ends (unix seconds)."""
    at = at if at is not None else time.time()
    step_end = (int(at // TOTP_STEP_SECONDS) + 1) * TOTP_STEP_SECONDS
    code = totp(secret_hex, at=at)
    return f"{TOTP_PREFIX}:{organization_id}:{customer_code}:{code}", step_end


def parse(payload: str, *, now: float | None = None) -> QrClaim | None:
    """The claim a well-formed, correctly signed, unexpired payload makes; else None.

    Rotating payloads are only parsed here; the TOTP is checked against the customer's secret.
    """
    parts = payload.strip().split(":")
    try:
        if parts[0] == STATIC_PREFIX and len(parts) == 5:
            organization_id, customer_code, expires = int(parts[1]), int(parts[2]), int(parts[3])
            expected = _static_signature(organization_id, customer_code, expires)
            if not constant_time_compare(expected, parts[4]):
                return None
            if expires < (now if now is not None else time.time()):
                return None
            return QrClaim(organization_id, customer_code)
        if parts[0] == TOTP_PREFIX and len(parts) == 4 and len(parts[3]) == TOTP_DIGITS:
            return QrClaim(int(parts[1]), int(parts[2]), totp=parts[3])
    except (ValueError, IndexError):
        return None
    return None


QR_BOX_PIXELS = 8
QR_BORDER_MODULES = 2


@functools.lru_cache(maxsize=512)
def png_data_uri(text: str) -> str:
    """The text as a PNG QR code in a `data:` URI (dashboard, coupons, wallet links)."""
    image = qrcode.make(
        text,
        box_size=QR_BOX_PIXELS,
        border=QR_BORDER_MODULES,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
