"""customers.qr: static HMAC payloads (24 h) and RFC 6238 TOTP."""

import time

import pytest
from django.test import override_settings

from customers import qr

NOW = 1_800_000_000.0


def test_a_static_payload_parses_back_to_its_claim():
    payload, expires = qr.sign_static(organization_id=7, customer_code=482193, now=NOW)
    assert payload.startswith("LQ1:7:482193:")
    assert expires == int(NOW) + 24 * 3600
    assert qr.parse(payload, now=NOW) == qr.QrClaim(7, 482193)


def test_a_static_payload_is_valid_for_24_hours():
    payload, expires = qr.sign_static(organization_id=1, customer_code=100001, now=NOW)
    assert qr.parse(payload, now=expires) is not None
    assert qr.parse(payload, now=expires + 1) is None


@pytest.mark.parametrize("part", [1, 2, 3, 4])
def test_changing_any_part_of_a_static_payload_breaks_it(part):
    payload, _ = qr.sign_static(organization_id=1, customer_code=100001, now=NOW)
    parts = payload.split(":")
    if part < 4:  # org id, customer code, expiry
        parts[part] = str(int(parts[part]) + 1)
    else:  # the signature
        parts[part] = parts[part][:-1] + ("A" if parts[part][-1] != "A" else "B")
    assert qr.parse(":".join(parts), now=NOW) is None


def test_a_payload_signed_with_another_secret_is_refused():
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40):
        payload, _ = qr.sign_static(organization_id=1, customer_code=100001, now=NOW)
    assert qr.parse(payload, now=NOW) is None


@pytest.mark.parametrize(
    "payload", ["", ":", "LQ1", "LQ1:1:2:3:4:5", "XX1:1:2:3:sig", "LT1:1:2:12345", "LT1:a:b:123456"]
)
def test_malformed_payloads_parse_to_none(payload):
    assert qr.parse(payload, now=NOW) is None


def test_surrounding_whitespace_from_a_scanner_is_ignored():
    payload, _ = qr.sign_static(organization_id=1, customer_code=100001, now=NOW)
    assert qr.parse(f"  {payload}\n", now=NOW) == qr.QrClaim(1, 100001)


# RFC 6238 Appendix B, SHA-1, 8 digits truncated to our 6: seed "12345678901234567890".
RFC_SECRET = b"12345678901234567890".hex()


@pytest.mark.parametrize(
    ("at", "expected"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_totp_matches_the_rfc_6238_vectors(at, expected):
    assert qr.totp(RFC_SECRET, at=at) == expected


def test_totp_accepts_the_current_step_and_one_either_side():
    secret = "ab" * 20
    at = NOW
    for offset in (-1, 0, 1):
        code = qr.totp(secret, at=at, step_offset=offset)
        assert qr.totp_matches(secret, code, at=at)
    assert not qr.totp_matches(secret, qr.totp(secret, at=at, step_offset=2), at=at)
    assert not qr.totp_matches(secret, qr.totp(secret, at=at, step_offset=-2), at=at)


def test_a_rotating_payload_carries_the_totp_and_its_step_end():
    secret = "cd" * 20
    payload, step_end = qr.sign_rotating(
        organization_id=3, customer_code=555555, secret_hex=secret, at=NOW + 7
    )
    assert step_end == (int(NOW + 7) // 30 + 1) * 30
    claim = qr.parse(payload, now=NOW)
    assert claim == qr.QrClaim(3, 555555, totp=qr.totp(secret, at=NOW + 7))


def test_static_payloads_default_to_the_real_clock():
    payload, expires = qr.sign_static(organization_id=1, customer_code=100001)
    assert abs(expires - (time.time() + 24 * 3600)) < 5
    assert qr.parse(payload) is not None
