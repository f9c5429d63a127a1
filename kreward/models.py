"""Kreward key pairs, an org's /v1 settings, and wallet cards with their scan tokens."""

import secrets
from urllib.parse import urlsplit

from django.db import models
from django.utils import timezone

from campaigns.models import Campaign
from customers.models import Customer
from loyalite.models import Organization

PUBLIC_PREFIX = "kw_pub_"
SECRET_PREFIX = "kw_sk_"
DISPLAY_CHARS = 4
DEFAULT_PORTS = {"http": 80, "https": 443}


class KeyKind(models.TextChoices):
    PUBLIC = "public", "Public"
    SECRET = "secret", "Secret"


def origin_parts(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of `scheme://host[:port]`, default ports filled in."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def origin_allowed(origin: str, entry: str) -> bool:
    """`https://shop.example` matches exactly; `https://*.shop.example` any subdomain only."""
    wildcard = "://*." in entry
    pattern = origin_parts(entry.replace("://*.", "://", 1) if wildcard else entry)
    actual = origin_parts(origin)
    if pattern is None or actual is None or pattern[0::2] != actual[0::2]:
        return False
    if wildcard:
        return actual[1].endswith("." + pattern[1])
    return actual[1] == pattern[1]


class KeyPairQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class KeyPair(models.Model):
    """A public key (browser: ping, enroll) and a secret key (server: everything)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="kreward_keys"
    )
    label = models.CharField(max_length=100, blank=True)
    public_prefix = models.CharField(max_length=16, editable=False)
    public_hash = models.CharField(max_length=64, unique=True, editable=False)
    secret_prefix = models.CharField(max_length=16, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    allowed_origins = models.TextField(
        blank=True,
        help_text="One origin per line (https://shop.example or https://*.shop.example) that "
        "may use the public key from a browser. Empty: any origin.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    request_count = models.PositiveBigIntegerField(default=0, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = KeyPairQuerySet.as_manager()

    class Meta:
        verbose_name = "Kreward key pair"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.public_prefix}… {self.label}".strip()

    @property
    def origins(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins.replace(",", "\n").split() if o.strip()]

    def allows_origin(self, origin: str | None) -> bool:
        origins = self.origins
        if not origins:
            return True
        return bool(origin) and any(origin_allowed(origin, entry) for entry in origins)

    @staticmethod
    def generate(kind: str) -> str:
        prefix = PUBLIC_PREFIX if kind == KeyKind.PUBLIC else SECRET_PREFIX
        return prefix + secrets.token_urlsafe(32)


class KrewardSettings(models.Model):
    """Per-org /v1 choices: the template used when a call names none."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="kreward_settings"
    )
    default_template = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Empty: the stamp card, else the point card.",
    )

    class Meta:
        verbose_name = "Kreward settings"
        verbose_name_plural = "Kreward settings"

    def __str__(self) -> str:
        return f"Kreward settings of {self.organization.slug}"


def new_auth_token() -> str:
    return secrets.token_urlsafe(24)


class WalletCard(models.Model):
    """A customer's card on one template as a wallet pass; `version` bumps revoke its links."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="wallet_cards")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE)
    serial = models.UUIDField(unique=True, help_text="The card_id of the /v1 API.")
    auth_token = models.CharField(max_length=64, default=new_auth_token, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    revoked_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Last time its links were revoked."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "campaign"], name="one_wallet_card")
        ]

    def __str__(self) -> str:
        return str(self.serial)


class WalletRegistration(models.Model):
    """An Apple device that asked for updates of a pass (Apple's pass web service)."""

    card = models.ForeignKey(WalletCard, on_delete=models.CASCADE, related_name="registrations")
    device_library_identifier = models.CharField(max_length=128)
    push_token = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["card", "device_library_identifier"], name="one_registration_per_device"
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_library_identifier} → {self.card_id}"
