"""Recording events; called by domain services inside their transaction."""

from typing import Any

from loyalite.models import Organization

from .models import Event


def record_event(*, organization: Organization, event: str, data: dict[str, Any]) -> Event:
    """Writes the event in the caller's transaction; deliveries fan out from it."""
    return Event.objects.create(organization=organization, event=event, data=data)
