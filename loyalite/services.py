"""Tenancy operations: create orgs and keys, authenticate keys, set subscriptions."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import ApiKey, Membership, Organization, Plan, Preset, hash_api_key

LAST_USED_GRANULARITY = datetime.timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str  # shown once, never stored


def create_api_key(*, organization: Organization, label: str = "") -> IssuedKey:
    raw_key = ApiKey.generate_raw_key()
    api_key = ApiKey.objects.create(
        organization=organization,
        label=label,
        prefix=raw_key[: len("sk_live_") + 4],
        key_hash=hash_api_key(raw_key),
    )
    return IssuedKey(api_key=api_key, raw_key=raw_key)


def revoke_api_key(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


def authenticate_api_key(raw_key: str) -> ApiKey | None:
    """The active key matching raw_key, with its org loaded; marks it used (coarsely)."""
    if not raw_key:
        return None
    api_key = (
        ApiKey.objects.active()
        .select_related("organization")
        .filter(key_hash=hash_api_key(raw_key))
        .first()
    )
    if api_key is None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_GRANULARITY:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


@transaction.atomic
def create_organization(
    *,
    slug: str,
    name: str,
    preset: str = Preset.STANDARD,
    pin_length: int = 4,
    pin_ttl_seconds: int = 120,
    rate_pos_per_minute: int = 60,
    rate_customer_per_minute: int = 30,
    plan: str = Plan.STARTER,
) -> Organization:
    """Creates the org only; campaigns are set up by campaigns.services.setup_default_campaigns."""
    organization = Organization(
        slug=slug,
        name=name,
        preset=preset,
        pin_length=pin_length,
        pin_ttl_seconds=pin_ttl_seconds,
        rate_pos_per_minute=rate_pos_per_minute,
        rate_customer_per_minute=rate_customer_per_minute,
        plan=plan,
    )
    organization.full_clean()
    organization.save()
    return organization


def set_subscription(
    *, organization: Organization, paid_until: datetime.date | None = None, plan: str | None = None
) -> Organization:
    fields = []
    if paid_until is not None:
        organization.paid_until = paid_until
        fields.append("paid_until")
    if plan is not None:
        organization.plan = plan
        fields.append("plan")
    if fields:
        organization.save(update_fields=fields)
    return organization


@transaction.atomic
def create_merchant_user(
    *,
    organization: Organization,
    email: str,
    role: str = Membership.Role.STAFF,
    password: str | None = None,
):
    """A staff user (username = email) who logs in at /admin/ and sees only this org.

    Without a password the account has an unusable one until set through
    `set_password_url`.
    """
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"not a valid email address: {email!r}"}) from None
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"unknown role {role!r}"})
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=email).exists():
        raise ValidationError({"email": f"a user {email} already exists"})
    user = user_model(username=email, email=email, is_staff=True)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


def set_password_url(*, user) -> str:
    """An absolute one-time link (Django's reset token: spent once the password changes)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"
