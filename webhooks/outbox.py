"""Recording events; called by domain services inside their transaction."""

from typing import Any

from loyalite.models import Organization
from loyalite.tasks import enqueue_on_commit

from .models import Delivery, Endpoint, Event

DELIVER_TASK = "webhooks.tasks.deliver"


def record_event(*, organization: Organization, event: str, data: dict[str, Any]) -> Event:
    """Writes the event and one delivery per matching active endpoint in the caller's
    transaction; the delivery tasks are sent only if it commits."""
    record = Event.objects.create(organization=organization, event=event, data=data)
    endpoints = Endpoint.objects.filter(organization=organization, active=True)
    fan_out(record, [endpoint for endpoint in endpoints if endpoint.wants(event)])
    return record


def fan_out(event: Event, endpoints: list[Endpoint]) -> list[Delivery]:
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(event=event, endpoint=endpoint, next_attempt_at=event.occurred_at)
            for endpoint in endpoints
        ]
    )
    for delivery in deliveries:
        enqueue_on_commit(DELIVER_TASK, str(delivery.pk))
    return deliveries
