"""PIN challenges and the append-only verification audit trail."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from customers.models import Customer
from loyalite.models import ApiKey, Organization

from .presets import Action

MAX_ATTEMPTS = 3


class ChallengeState(models.TextChoices):
    PENDING = "pending", "Pending"
    CONSUMED = "consumed", "Consumed"
    EXPIRED = "expired", "Expired"
    LOCKED = "locked", "Locked (attempts exceeded)"
    SUPERSEDED = "superseded", "Superseded"


class Challenge(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="challenges"
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="challenges")
    action = models.CharField(max_length=16, choices=Action.choices)
    card_type = models.CharField(max_length=8, blank=True)
    amount = models.CharField(max_length=64, blank=True, help_text="Amount or value, as sent.")
    external_id = models.CharField(max_length=128, blank=True)
    coupon = models.ForeignKey("coupons.Coupon", null=True, blank=True, on_delete=models.CASCADE)
    binding = models.CharField(
        max_length=64, db_index=True, help_text="Hash of what the PIN authorises."
    )
    description = models.CharField(max_length=200)
    # Readable by the customer's dashboard while pending; blanked when the challenge ends.
    pin = models.CharField(max_length=8, blank=True)
    state = models.CharField(
        max_length=10, choices=ChallengeState.choices, default=ChallengeState.PENDING
    )
    attempts_left = models.PositiveSmallIntegerField(default=MAX_ATTEMPTS)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.description} ({self.state})"


class EventKind(models.TextChoices):
    ISSUED = "issued", "PIN issued"
    PIN_INVALID = "pin_invalid", "Wrong PIN"
    ATTEMPTS_EXCEEDED = "attempts_exceeded", "Attempts exceeded"
    EXPIRED = "expired", "Expired"
    CONSUMED = "consumed", "Verified (action ran)"
    SUPERSEDED = "superseded", "Superseded by a new PIN"
    LOCKED = "locked", "Refused: customer locked"
    MANUAL_CODE_REFUSED = "manual_code_refused", "Refused: manual code on Strict"


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk rewrites of the audit trail are refused (deleting its org or customer cascades)."""

    def update(self, **kwargs):
        raise ValueError("verification events are append-only")

    def delete(self):
        raise ValueError("verification events are append-only")


class VerificationEvent(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="verification_events"
    )
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="verification_events",
    )
    challenge = models.ForeignKey(Challenge, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    action = models.CharField(max_length=16, blank=True)
    amount = models.CharField(max_length=64, blank=True)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.action} {self.created_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("verification events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("verification events are append-only")
