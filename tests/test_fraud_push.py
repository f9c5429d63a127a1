"""Pushes to the customer's Channels group after commit, and the beat task that expires PINs.

These run Celery eagerly with the in-memory channel layer; test_fraud_services_live.py does
the same through a real worker, Redis and a WebSocket.
"""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer

from fraud.models import Challenge, EventKind, VerificationEvent
from fraud.services import expire_stale_challenges, pending_challenges
from fraud.tasks import expire_challenges
from loyalite.models import Preset

from .test_fraud_gate import install_clock, make_gate, wrong


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


async def _drain(layer, channel: str) -> list[dict]:
    messages = []
    while True:
        try:
            messages.append(await asyncio.wait_for(layer.receive(channel), timeout=0.5))
        except TimeoutError:
            return messages


@pytest.fixture
def listen(settings):
    """Joins a customer's group like an open dashboard; returns a function that drains it.

    In-memory layer even when REDIS_URL is set: one event loop per call here would trip the
    Redis layer's loop-bound buffers. test_fraud_live.py covers Redis end to end."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    layer = get_channel_layer()

    def join(customer):
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(f"customer.{customer.pk}", channel)
        return lambda: async_to_sync(_drain)(layer, channel)

    yield join
    channel_layers.backends.clear()


def _gate(tenant_factory, name: str = "Kahveci"):
    gate = make_gate(tenant_factory, Preset.BALANCED, "redeem", slug="kahveci")
    gate.tenant.org.name = name
    gate.tenant.org.save()
    return gate


def test_a_412_pushes_the_pin_with_what_it_authorises_after_commit(
    tenant_factory, clock, listen, django_capture_on_commit_callbacks
):
    gate = _gate(tenant_factory)
    drain = listen(gate.customer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = gate.send(value=200)
    assert drain() == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    challenge = Challenge.objects.get(pk=response.json()["challenge_id"])
    assert drain() == [
        {
            "type": "challenge.issued",
            "challenge": {
                "challenge_id": str(challenge.pk),
                "pin": challenge.pin,
                "action": "redeem",
                "amount": "200",
                "description": "Redeem 200 points at Kahveci",
                "expires_at": challenge.expires_at.isoformat().replace("+00:00", "Z"),
                "remaining_attempts": 3,
            },
        }
    ]


def test_consumed_locked_and_superseded_challenges_are_announced(
    tenant_factory, clock, listen, django_capture_on_commit_callbacks
):
    gate = _gate(tenant_factory)
    drain = listen(gate.customer)
    with django_capture_on_commit_callbacks(execute=True):
        first = gate.issue()
        second = gate.issue()  # supersedes the first
        gate.send(pin=second.pin)
        third = gate.issue(external_id="order-3")
        for _ in range(3):
            gate.send(pin=wrong(third.pin), external_id="order-3")
    ended = [(m["challenge_id"], m["state"]) for m in drain() if m["type"] == "challenge.ended"]
    assert ended == [
        (str(first.pk), "superseded"),
        (str(second.pk), "consumed"),
        (str(third.pk), "locked"),
    ]


def test_the_beat_task_expires_stale_challenges_and_announces_them(
    tenant_factory, clock, listen, django_capture_on_commit_callbacks
):
    gate = _gate(tenant_factory)
    stale = gate.issue()
    clock.advance(60)
    fresh = gate.issue(external_id="order-2")
    clock.advance(61)
    drain = listen(gate.customer)
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_challenges.delay().get() == 1
    stale.refresh_from_db()
    assert (stale.state, stale.pin) == ("expired", "")
    assert VerificationEvent.objects.filter(challenge=stale, kind=EventKind.EXPIRED).count() == 1
    assert [m["state"] for m in drain()] == ["expired"]
    assert list(pending_challenges(customer=gate.customer)) == [fresh]
    assert expire_stale_challenges() == 0
    clock.advance(60)
    assert list(pending_challenges(customer=gate.customer)) == []
    assert expire_stale_challenges() == 1


def test_the_beat_schedule_runs_the_expiry_every_30_seconds():
    from loyalite.celery import app

    entry = app.conf.beat_schedule["expire-challenges"]
    assert entry == {"task": "fraud.tasks.expire_challenges", "schedule": 30.0}
    assert "fraud.tasks.expire_challenges" in app.tasks


def test_pending_challenges_show_the_pin_only_while_pending(tenant_factory, clock):
    gate = _gate(tenant_factory)
    challenge = gate.issue()
    assert [c.pin for c in pending_challenges(customer=gate.customer)] == [challenge.pin]
    gate.send(pin=challenge.pin)
    assert list(pending_challenges(customer=gate.customer)) == []
    assert Challenge.objects.get(pk=challenge.pk).pin == ""


def test_a_push_is_only_for_the_customers_own_group(
    tenant_factory, clock, listen, django_capture_on_commit_callbacks
):
    gate = _gate(tenant_factory)
    other = make_gate(tenant_factory, Preset.BALANCED, "redeem", slug="other")
    drain_other = listen(other.customer)
    with django_capture_on_commit_callbacks(execute=True):
        gate.issue()
    assert drain_other() == []
