"""The transactional outbox: events written in the same transaction as the change they report.

An `Event` fans out to one `Delivery` per matching active `Endpoint`; the delivery's id is the
envelope id the receiver sees, stable across retries and redeliveries.
"""

import secrets
import uuid

from django.db import models
from django.utils import timezone

from loyalite.models import Organization

EVENT_TYPES = [
    "customer.enrolled",
    "points.earned",
    "points.spent",
    "stamp.earned",
    "stamp.redeemed",
    "coupon.redeemed",
]
PING = "ping"
ALL_EVENTS = "*"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=40)
    data = models.JSONField()
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.event} {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class Endpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=True)
    events = models.JSONField(default=list, help_text='Event names, or ["*"] for every event.')
    # Kept in clear because every delivery is signed with it; only shown at creation/rotation.
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "webhook endpoint"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return ALL_EVENTS in self.events or event in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed (will retry)"
    EXHAUSTED = "exhausted", "Exhausted"


class Delivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # An attempt in flight holds the row until then; a crashed worker's claim runs out.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event.event} → {self.endpoint.url} ({self.status})"
