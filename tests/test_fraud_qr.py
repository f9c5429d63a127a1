"""The customer QR per preset: static HMAC (24 h) on Standard/Balanced, TOTP (30 s) on Strict."""

import time
from urllib.parse import quote

import pytest

from customers import qr
from customers.services import current_qr
from loyalite.models import Preset

RFC_SECRET = b"12345678901234567890".hex()


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
    ],
)
def test_totp_matches_the_rfc_6238_sha1_vectors(at, expected):
    assert qr.totp(RFC_SECRET, at=at) == expected


def test_totp_accepts_the_current_step_and_one_either_side_only():
    at = 1_000_000_015.0
    for offset, accepted in [(-2, False), (-1, True), (0, True), (1, True), (2, False)]:
        code = qr.totp(RFC_SECRET, at=at, step_offset=offset)
        assert qr.totp_matches(RFC_SECRET, code, at=at) is accepted


def lookup(tenant, payload: str):
    return tenant.get(f"/webhook/customer?qr={quote(payload)}")


def rotating(customer, at: float) -> str:
    return qr.sign_rotating(
        organization_id=customer.organization_id,
        customer_code=customer.code,
        secret_hex=customer.totp_secret,
        at=at,
    )[0]


def static(customer, now: float | None = None) -> str:
    return qr.sign_static(
        organization_id=customer.organization_id, customer_code=customer.code, now=now
    )[0]


@pytest.fixture
def strict(tenant_factory):
    return tenant_factory("strict", preset=Preset.STRICT)


@pytest.mark.parametrize("steps", [-1, 0, 1])
def test_strict_looks_a_customer_up_by_a_current_totp_qr(strict, steps):
    customer = strict.customer()
    response = lookup(strict, rotating(customer, time.time() + steps * 30))
    assert response.status_code == 200, response.content
    assert response.json()["data"]["customer_code"] == customer.code


@pytest.mark.parametrize("steps", [-3, 3])
def test_strict_refuses_a_totp_qr_older_or_newer_than_one_step(strict, steps):
    customer = strict.customer()
    response = lookup(strict, rotating(customer, time.time() + steps * 30))
    assert (response.status_code, response.json()) == (422, {"error": "invalid_qr"})


def test_strict_refuses_the_static_qr(strict):
    customer = strict.customer()
    response = lookup(strict, static(customer))
    assert (response.status_code, response.json()["error"]) == (422, "invalid_qr")


def test_the_totp_secret_is_per_customer(strict):
    first, second = strict.customer(), strict.customer()
    code = qr.totp(first.totp_secret)
    forged = f"{qr.TOTP_PREFIX}:{strict.org.pk}:{second.code}:{code}"
    assert first.totp_secret != second.totp_secret
    assert lookup(strict, forged).status_code == 422


def test_strict_dashboards_show_the_rotating_qr(strict):
    customer = strict.customer()
    payload, step_end = current_qr(customer=customer, now=1_000_000_015.0)
    assert payload == rotating(customer, 1_000_000_015.0)
    assert step_end == 1_000_000_020


def test_another_orgs_qr_is_invalid(strict, tenant_factory):
    bob = tenant_factory("bob", preset=Preset.STRICT)
    bobs_customer = bob.customer()
    response = lookup(strict, rotating(bobs_customer, time.time()))
    assert (response.status_code, response.json()["error"]) == (422, "invalid_qr")


@pytest.mark.parametrize("preset", [Preset.STANDARD, Preset.BALANCED])
def test_standard_and_balanced_keep_the_static_24h_qr(tenant_factory, preset):
    tenant = tenant_factory("shop", preset=preset)
    customer = tenant.customer()
    payload, expires = current_qr(customer=customer)
    assert payload.startswith(qr.STATIC_PREFIX + ":")
    assert 24 * 3600 - 5 <= expires - time.time() <= 24 * 3600
    assert lookup(tenant, payload).status_code == 200
    assert lookup(tenant, static(customer, now=time.time() - 23 * 3600)).status_code == 200
    expired = lookup(tenant, static(customer, now=time.time() - 24 * 3600 - 5))
    assert (expired.status_code, expired.json()["error"]) == (422, "invalid_qr")
    tampered = payload.replace(f":{customer.code}:", f":{customer.code + 1}:")
    assert lookup(tenant, tampered).status_code == 422
