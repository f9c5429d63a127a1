"""Customers of an org: identity, consents and the cached balances of their cards."""

import hashlib
import secrets

from django.db import models
from django.utils import timezone

from loyalite.models import Organization

CUSTOMER_CODE_MIN = 100_000
CUSTOMER_CODE_MAX = 999_999


def new_totp_secret() -> str:
    return secrets.token_hex(20)


class Customer(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="customers"
    )
    code = models.PositiveIntegerField(help_text="Random 6-digit code, unique within the org.")
    email = models.EmailField(max_length=254, blank=True)
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    consent_terms_at = models.DateTimeField(null=True, blank=True)
    consent_privacy_at = models.DateTimeField(null=True, blank=True)
    consent_marketing = models.BooleanField(default=False)
    consent_marketing_at = models.DateTimeField(null=True, blank=True)
    # Balance caches: the ledger is the truth; these move in the same transaction as it.
    point_balance = models.IntegerField(default=0)
    stamp_count = models.IntegerField(default=0)
    totp_secret = models.CharField(max_length=64, default=new_totp_secret, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="customer_code_per_org"),
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=~models.Q(email=""),
                name="customer_email_per_org",
            ),
            models.CheckConstraint(
                condition=models.Q(point_balance__gte=0), name="points_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(stamp_count__gte=0), name="stamps_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.masked_email}"

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)


def mask_email(email: str) -> str:
    """`alice@gmail.com` → `a***@gmail.com`."""
    local, _, domain = email.partition("@")
    if not local:
        return ""
    return f"{local[0]}***@{domain}"


def hash_login_token(raw_token: str) -> str:
    """Tokens are 256-bit random, so a plain SHA-256 is a safe lookup hash."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


class LoginToken(models.Model):
    """A one-time dashboard login link; only its hash is stored."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="login_tokens")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"login link for {self.customer_id} ({'used' if self.used_at else 'unused'})"
