"""Webhook endpoints and the delivery log in the merchant admin."""

import socket

import pytest
from django.urls import reverse

from loyalite.models import Membership
from webhooks import services
from webhooks.models import Delivery, Endpoint
from webhooks.outbox import record_event

from .admin_support import logged_in, merchant

URL = "https://hooks.shop.test/loyalty"


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in ("hooks.shop.test", b"hooks.shop.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def owner_client(alice):
    return logged_in(merchant(alice.org, Membership.Role.OWNER))


def endpoint_for(tenant, url: str = URL) -> Endpoint:
    return services.create_endpoint(organization=tenant.org, url=url, events=["*"])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_creating_an_endpoint_shows_the_secret_once(alice, owner_client):
    response = owner_client.post(
        reverse("admin:webhooks_endpoint_add"),
        {"url": URL, "description": "CRM", "active": "on", "events": ["points.earned"]},
        follow=True,
    )

    endpoint = Endpoint.objects.get()
    assert endpoint.organization == alice.org
    assert endpoint.events == ["points.earned"]
    assert any(endpoint.secret in message for message in messages_of(response))
    change_page = owner_client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in change_page.content.decode()


def test_an_internal_url_is_refused_in_the_form(owner_client):
    response = owner_client.post(
        reverse("admin:webhooks_endpoint_add"),
        {"url": "https://169.254.169.254/", "active": "on", "events": ["*"]},
    )

    assert response.status_code == 200
    assert "private, loopback or reserved" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_rotate_and_test_actions_call_the_services(alice, owner_client):
    endpoint = endpoint_for(alice)
    changelist = reverse("admin:webhooks_endpoint_changelist")

    rotated = owner_client.post(
        changelist,
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    owner_client.post(changelist, {"action": "send_test_event", "_selected_action": [endpoint.pk]})

    new_secret = Endpoint.objects.get().secret
    assert new_secret != endpoint.secret
    assert any(new_secret in message for message in messages_of(rotated))
    assert list(Delivery.objects.values_list("event__event", flat=True)) == ["ping"]


def test_the_delivery_log_shows_the_payload_and_redelivers(alice, owner_client):
    endpoint_for(alice)
    record_event(organization=alice.org, event="points.earned", data={"customer_code": 424242})
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="exhausted", attempts=6)

    page = owner_client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    owner_client.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )

    assert page.status_code == 200
    assert "424242" in page.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_a_merchant_sees_only_their_orgs_endpoints_and_deliveries(alice, bob, owner_client):
    endpoint_for(alice, URL + "/alice")
    theirs = endpoint_for(bob, URL + "/bob")
    record_event(organization=bob.org, event="points.earned", data={"customer_code": 1})
    their_delivery = Delivery.objects.get()

    endpoints = owner_client.get(reverse("admin:webhooks_endpoint_changelist"))
    deliveries = owner_client.get(reverse("admin:webhooks_delivery_changelist"))
    their_page = owner_client.get(reverse("admin:webhooks_endpoint_change", args=[theirs.pk]))
    their_log = owner_client.get(
        reverse("admin:webhooks_delivery_change", args=[their_delivery.pk])
    )

    assert "/alice" in endpoints.content.decode()
    assert "/bob" not in endpoints.content.decode()
    assert deliveries.context["cl"].result_count == 0
    assert (their_page.status_code, their_log.status_code) == (404, 404)
