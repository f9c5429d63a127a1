"""The transactional outbox: events written in the same transaction as the change they report."""

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
