"""Tenancy: organisations (merchants), their API keys and their admin users."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

TRIAL_DAYS = 7
API_KEY_PREFIX = "sk_live_"
API_KEY_DISPLAY_CHARS = 12


class Preset(models.TextChoices):
    STANDARD = "standard", "Standard"
    BALANCED = "balanced", "Balanced"
    STRICT = "strict", "Strict"


class Plan(models.TextChoices):
    STARTER = "starter", "Starter"
    GROWTH = "growth", "Growth"
    ENTERPRISE = "enterprise", "Enterprise"


def trial_end() -> datetime.date:
    return timezone.now().date() + datetime.timedelta(days=TRIAL_DAYS)


class Organization(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    preset = models.CharField(max_length=16, choices=Preset.choices, default=Preset.STANDARD)
    pin_length = models.PositiveSmallIntegerField(
        choices=[(4, "4 digits"), (2, "2 digits")], default=4
    )
    pin_ttl_seconds = models.PositiveIntegerField(
        default=120, validators=[MinValueValidator(10), MaxValueValidator(600)]
    )
    rate_pos_per_minute = models.PositiveIntegerField(default=60)
    rate_customer_per_minute = models.PositiveIntegerField(default=30)
    paid_until = models.DateField(default=trial_end)
    plan = models.CharField(max_length=16, choices=Plan.choices, default=Plan.STARTER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pin_ttl_seconds__gte=10, pin_ttl_seconds__lte=600),
                name="org_pin_ttl_range",
            ),
            models.CheckConstraint(
                condition=models.Q(pin_length__in=[2, 4]), name="org_pin_length"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    def subscription_active(self, today: datetime.date | None = None) -> bool:
        return self.paid_until >= (today or timezone.now().date())


def hash_api_key(raw_key: str) -> str:
    """Keys are 256-bit random, so a plain SHA-256 is a safe, fast lookup hash."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(
        max_length=API_KEY_DISPLAY_CHARS, help_text="Shown to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.label}".strip()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def generate_raw_key() -> str:
        return API_KEY_PREFIX + secrets.token_urlsafe(32)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        STAFF = "staff", "Staff"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization.slug} ({self.role})"


class IdempotencyRecord(models.Model):
    """The stored answer of an idempotent write, kept for the life of the ledger."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    scope = models.CharField(max_length=32, help_text="Operation namespace, e.g. pos.earn.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "scope", "key"], name="idempotency_key_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
