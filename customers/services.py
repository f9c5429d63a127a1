"""Customer operations: enroll or find, look up by code or QR."""

import datetime
import random
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
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
from .models import (
    CUSTOMER_CODE_MAX,
    CUSTOMER_CODE_MIN,
    Customer,
    LoginToken,
    hash_login_token,
    new_totp_secret,
)

_code_random = random.SystemRandom()
CODE_ATTEMPTS = 20
EMAIL_MAX_LENGTH = Customer._meta.get_field("email").max_length


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
    if len(email) > EMAIL_MAX_LENGTH:  # the validator allows up to 320; the column does not
        raise EmailInvalid()
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
    customer = Customer.objects.filter(
        organization=organization, code=code, erased_at__isnull=True
    ).first()
    if customer is None:
        raise CustomerNotFound()
    return customer


# Scan-token formats owned by adapters (e.g. wallet cards, `LW1:`), registered at app start so
# this domain app never imports them.
ScanTokenResolver = Callable[..., Customer | None]
_scan_token_resolvers: dict[str, ScanTokenResolver] = {}


def register_scan_token_resolver(prefix: str, resolver: ScanTokenResolver) -> None:
    """`resolver(organization=, payload=)` returns the customer a `<prefix>:` payload names."""
    _scan_token_resolvers[prefix] = resolver


def _customer_by_scan_token(organization: Organization, payload: str) -> Customer | None:
    prefix = payload.strip().split(":", 1)[0]
    resolver = _scan_token_resolvers.get(prefix)
    if resolver is None:
        return None
    customer = resolver(organization=organization, payload=payload)
    if customer is None or customer.erased_at is not None:
        raise InvalidQr()
    return customer


def get_customer_by_qr(
    *, organization: Organization, payload: str, now: float | None = None
) -> Customer:
    """The customer a scanned QR names; InvalidQr if tampered, expired or another org's."""
    scanned = _customer_by_scan_token(organization, payload)
    if scanned is not None:
        return scanned
    claim = qr.parse(payload, now=now)
    if claim is None or claim.organization_id != organization.pk:
        raise InvalidQr()
    customer = Customer.objects.filter(
        organization=organization, code=claim.customer_code, erased_at__isnull=True
    ).first()
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


# --- the customer dashboard ---------------------------------------------------------------
LOGIN_LINK_TTL = datetime.timedelta(minutes=15)
LOGIN_TOKEN_RETENTION = datetime.timedelta(days=1)


def issue_login_link(*, customer: Customer, now: datetime.datetime | None = None) -> str:
    """A fresh absolute one-time login URL for the customer's dashboard (valid 15 minutes)."""
    now = now or timezone.now()
    raw_token = secrets.token_urlsafe(32)
    with transaction.atomic():
        LoginToken.objects.filter(
            customer=customer, expires_at__lt=now - LOGIN_TOKEN_RETENTION
        ).delete()
        LoginToken.objects.create(
            customer=customer,
            token_hash=hash_login_token(raw_token),
            expires_at=now + LOGIN_LINK_TTL,
        )
    path = reverse("customers:login-link", args=[customer.organization.slug, raw_token])
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def spend_login_token(
    *, organization: Organization, raw_token: str, now: datetime.datetime | None = None
) -> Customer | None:
    """The customer an unused, unexpired link of this org names, spending it; else None."""
    now = now or timezone.now()
    token = (
        LoginToken.objects.select_for_update()
        .select_related("customer__organization")
        .filter(token_hash=hash_login_token(raw_token), customer__organization=organization)
        .first()
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        return None
    token.used_at = now
    token.save(update_fields=["used_at"])
    if token.customer.erased_at is not None:
        return None
    return token.customer


def find_active_customer(*, organization: Organization, email: str) -> Customer | None:
    return (
        Customer.objects.select_related("organization")
        .filter(organization=organization, email=normalize_email(email), erased_at__isnull=True)
        .exclude(email="")
        .first()
    )


@transaction.atomic
def update_profile(
    *, customer: Customer, name: str, phone: str, consent_marketing: bool
) -> Customer:
    """The customer's own edits; a marketing consent change is recorded with its time."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    customer.name = name.strip()[:200]
    customer.phone = phone.strip()[:32]
    if customer.consent_marketing != consent_marketing or customer.consent_marketing_at is None:
        customer.consent_marketing = consent_marketing
        customer.consent_marketing_at = timezone.now()
    customer.save(update_fields=["name", "phone", "consent_marketing", "consent_marketing_at"])
    return customer


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def export_data(*, customer: Customer) -> dict:
    """Everything we hold about the customer: profile, ledger and coupons (GDPR access)."""
    profile = {
        "customer_code": customer.code,
        "organization": customer.organization.name,
        "email": customer.email,
        "name": customer.name,
        "phone": customer.phone,
        "consent_terms_at": _iso(customer.consent_terms_at),
        "consent_privacy_at": _iso(customer.consent_privacy_at),
        "consent_marketing": customer.consent_marketing,
        "consent_marketing_at": _iso(customer.consent_marketing_at),
        "created_at": _iso(customer.created_at),
        "points": customer.point_balance,
        "stamps": customer.stamp_count,
    }
    ledger = [
        {
            "created_at": _iso(entry.created_at),
            "card_type": entry.card_type,
            "delta": entry.delta,
            "balance_after": entry.balance_after,
            "reason": entry.reason,
            "source": entry.source,
            "external_id": entry.external_id,
            "amount": None if entry.amount is None else format(entry.amount.normalize(), "f"),
            "note": entry.note,
        }
        for entry in customer.ledger.order_by("created_at", "id")
    ]
    coupons = [
        {
            "id": coupon.pk,
            "name": coupon.name,
            "status": coupon.display_status,
            "issued_at": _iso(coupon.issued_at),
            "expires_at": _iso(coupon.expires_at),
            "redeemed_at": _iso(coupon.redeemed_at),
        }
        for coupon in customer.coupons.order_by("issued_at", "id")
    ]
    return {"profile": profile, "ledger": ledger, "coupons": coupons}


@transaction.atomic
def erase_customer(*, customer: Customer) -> Customer:
    """Erases personal data; the row and its ledger stay (anonymised) so totals stay true."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        return customer
    customer.email = ""
    customer.name = ""
    customer.phone = ""
    customer.consent_marketing = False
    customer.totp_secret = new_totp_secret()  # the rotating QR on any old screen stops working
    customer.erased_at = timezone.now()
    customer.save()
    customer.login_tokens.all().delete()
    return customer
