"""Managing webhook endpoints and deliveries: the only code that writes them.

The merchant API and the admin both call these. URLs are vetted (DNS included) before the
transaction opens, so no lock is held while a resolver answers.
"""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from loyalite.errors import NotFound
from loyalite.models import Organization
from loyalite.tasks import enqueue_on_commit

from .models import ALL_EVENTS, PING, Delivery, DeliveryStatus, Endpoint, Event, new_secret
from .outbox import DELIVER_TASK, fan_out
from .targets import check_url


def normalized_events(events: list[str]) -> list[str]:
    """`["*"]` when every event is wanted, else the distinct names in a stable order."""
    if ALL_EVENTS in events:
        return [ALL_EVENTS]
    return list(dict.fromkeys(events))


def create_endpoint(
    *,
    organization: Organization,
    url: str,
    events: list[str],
    description: str = "",
    active: bool = True,
) -> Endpoint:
    """A new endpoint with a fresh secret; the caller shows `endpoint.secret` this once."""
    check_url(url)
    with transaction.atomic():
        return Endpoint.objects.create(
            organization=organization,
            url=url.strip(),
            events=normalized_events(events),
            description=description.strip(),
            active=active,
        )


def update_endpoint(*, endpoint: Endpoint, **changes: Any) -> Endpoint:
    """Changes url, events, description or active; a new URL is vetted like a new endpoint."""
    allowed = {"url", "events", "description", "active"}
    if unknown := set(changes) - allowed:
        raise TypeError(f"cannot change {sorted(unknown)}")
    if "url" in changes:
        changes["url"] = changes["url"].strip()
        check_url(changes["url"])
    if "events" in changes:
        changes["events"] = normalized_events(changes["events"])
    if "description" in changes:
        changes["description"] = changes["description"].strip()
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changes, "updated_at"])
    return locked


@transaction.atomic
def delete_endpoint(*, endpoint: Endpoint) -> None:
    """Removes the endpoint with its delivery log; nothing more is sent to it."""
    Endpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def rotate_secret(*, endpoint: Endpoint) -> Endpoint:
    """A new secret, effective at once (retries are signed when sent, so with the new one)."""
    locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    locked.secret = new_secret()
    locked.updated_at = timezone.now()
    locked.save(update_fields=["secret", "updated_at"])
    return locked


@transaction.atomic
def send_test(*, endpoint: Endpoint) -> Delivery:
    """A signed `ping` to this endpoint only, whatever its event list or active flag."""
    event = Event.objects.create(
        organization=endpoint.organization,
        event=PING,
        data={"endpoint_id": str(endpoint.pk), "message": "Test event; no action needed."},
    )
    (delivery,) = fan_out(event, [endpoint])
    return delivery


@transaction.atomic
def redeliver(*, delivery: Delivery) -> Delivery:
    """Sends the same envelope (same id) again now, restarting the retry schedule."""
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    locked.status = DeliveryStatus.PENDING
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    # An attempt still in flight loses its claim, so its outcome no longer overwrites this.
    locked.claimed_until = None
    locked.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_until"])
    enqueue_on_commit(DELIVER_TASK, str(locked.pk))
    return locked


# --- selectors ----------------------------------------------------------------------------
def get_endpoint(*, organization: Organization, endpoint_id: Any) -> Endpoint:
    endpoint = Endpoint.objects.filter(organization=organization, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def get_delivery(*, organization: Organization, delivery_id: Any) -> Delivery:
    delivery = deliveries_of(organization=organization).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound()
    return delivery


def deliveries_of(
    *, organization: Organization, status: str = "", event: str = ""
) -> QuerySet[Delivery]:
    """The org's deliveries, newest first, optionally filtered by status and event name."""
    queryset = Delivery.objects.filter(endpoint__organization=organization).select_related("event")
    if status:
        queryset = queryset.filter(status=status)
    if event:
        queryset = queryset.filter(event__event=event)
    return queryset.order_by("-created_at", "-pk")
