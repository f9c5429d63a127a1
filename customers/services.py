"""Customer operations: enroll or find, look up by code or QR."""

import random
import time

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from loyalite.errors import (
    ConsentPrivacyRequired,
    ConsentTermsRequired,
    CustomerNotFound,
    EmailInvalid,
    EmailRequired,
    InvalidQr,
)
from loyalite.models import Organization, Preset

from . import qr
from .models import CUSTOMER_CODE_MAX, CUSTOMER_CODE_MIN, Customer

_code_random = random.SystemRandom()
CODE_ATTEMPTS = 20


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validated_email(email: str | None) -> str:
    email = normalize_email(email or "")
    if not email:
        raise EmailRequired()
    try:
        validate_email(email)
    except ValidationError:
        raise EmailInvalid() from None
    return email


def enroll_customer(
    *,
    organization: Organization,
    email: str | None,
    consent_terms: bool,
    consent_privacy: bool,
    consent_marketing: bool | None = None,
    name: str = "",
    source: str = "webhook",
) -> tuple[Customer, bool]:
    """The org's customer with this email, created (with consents) if new. (customer, is_new)."""
    email = validated_email(email)
    existing = Customer.objects.filter(organization=organization, email=email).first()
    if existing is not None:
        return existing, False
    if not consent_terms:
        raise ConsentTermsRequired()
    if not consent_privacy:
        raise ConsentPrivacyRequired()
    now = timezone.now()
    for _ in range(CODE_ATTEMPTS):
        customer = Customer(
            organization=organization,
            code=_code_random.randint(CUSTOMER_CODE_MIN, CUSTOMER_CODE_MAX),
            email=email,
            name=(name or "").strip()[:200],
            consent_terms_at=now,
            consent_privacy_at=now,
            consent_marketing=bool(consent_marketing),
            consent_marketing_at=now if consent_marketing is not None else None,
        )
        try:
            with transaction.atomic():
                customer.save()
                _on_enrolled(customer, source=source)
            return customer, True
        except IntegrityError:
            # Either the random code collided (try another) or the same email won a race.
            existing = Customer.objects.filter(organization=organization, email=email).first()
            if existing is not None:
                return existing, False
    raise RuntimeError("could not allocate a unique customer code")


def _on_enrolled(customer: Customer, *, source: str) -> None:
    """Hook for the outbox (customer.enrolled); imported lazily to keep the apps acyclic."""
    from webhooks.outbox import record_event

    record_event(
        organization=customer.organization,
        event="customer.enrolled",
        data={"customer_code": customer.code, "customer_id": customer.pk, "source": source},
    )


def get_customer_by_code(*, organization: Organization, code: int) -> Customer:
    customer = Customer.objects.filter(organization=organization, code=code).first()
    if customer is None:
        raise CustomerNotFound()
    return customer


def get_customer_by_qr(
    *, organization: Organization, payload: str, now: float | None = None
) -> Customer:
    """The customer a scanned QR names; InvalidQr if tampered, expired or another org's."""
    claim = qr.parse(payload, now=now)
    if claim is None or claim.organization_id != organization.pk:
        raise InvalidQr()
    customer = Customer.objects.filter(organization=organization, code=claim.customer_code).first()
    if customer is None:
        raise InvalidQr()
    if claim.totp is not None:
        if not qr.totp_matches(
            customer.totp_secret, claim.totp, at=now if now is not None else time.time()
        ):
            raise InvalidQr()
    elif organization.preset == Preset.STRICT:
        raise InvalidQr()  # Strict accepts only the rotating QR
    return customer


def current_qr(*, customer: Customer, now: float | None = None) -> tuple[str, int]:
    """The payload the customer's dashboard shows now, and when it stops being valid."""
    organization = customer.organization
    if organization.preset == Preset.STRICT:
        return qr.sign_rotating(
            organization_id=organization.pk,
            customer_code=customer.code,
            secret_hex=customer.totp_secret,
            at=now,
        )
    return qr.sign_static(organization_id=organization.pk, customer_code=customer.code, now=now)
