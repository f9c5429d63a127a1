"""The merchant API for webhook endpoints and deliveries (/merchant/webhooks/*)."""

import datetime
import json
import socket

import pytest

from webhooks import services
from webhooks.models import Delivery, Endpoint
from webhooks.outbox import record_event

ENDPOINTS = "/merchant/webhooks/endpoints"
DELIVERIES = "/merchant/webhooks/deliveries"
URL = "https://hooks.shop.test/loyalty"


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    """The shop's receiver name resolves to a public address; nothing is ever connected to."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in ("hooks.shop.test", b"hooks.shop.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
        return real(host, port, *args, **kwargs)

    def no_connection(*args, **kwargs):
        raise AssertionError("these tests never connect anywhere")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", no_connection)


def send(tenant, method: str, path: str, body=None):
    return getattr(tenant.client, method)(
        path,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        HTTP_X_API_KEY=tenant.key,
    )


def make_endpoint(tenant, **body) -> dict:
    response = tenant.post(ENDPOINTS, {"url": URL, **body})
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_creating_an_endpoint_shows_its_secret_once(alice):
    response = alice.post(
        ENDPOINTS, {"url": URL, "events": ["points.earned"], "description": "CRM"}
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["secret"].startswith("whsec_")
    assert {k: data[k] for k in ("url", "events", "description", "active")} == {
        "url": URL,
        "events": ["points.earned"],
        "description": "CRM",
        "active": True,
    }
    listed = alice.get(ENDPOINTS).json()["data"]
    assert [e["id"] for e in listed] == [data["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in alice.get(f"{ENDPOINTS}/{data['id']}").json()["data"]


def test_events_default_to_all(alice):
    assert make_endpoint(alice)["events"] == ["*"]
    assert make_endpoint(alice, events=["*", "points.earned"])["events"] == ["*"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"events": ["points.burned"]}, "events"),
        ({"events": []}, "events"),
        ({"events": "points.earned"}, "events"),
        ({"url": None}, "url"),
        ({"description": "x" * 256}, "description"),
    ],
)
def test_invalid_bodies_are_422_invalid_request(alice, body, field):
    response = alice.post(ENDPOINTS, {"url": URL, **body})

    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert field in response.json()["fields"]


def test_malformed_json_is_400(alice):
    response = alice.post(ENDPOINTS, raw=b"{nope")

    assert (response.status_code, response.json()["error"]) == (400, "invalid_json")


def test_it_needs_the_pos_key(alice):
    response = alice.client.get(ENDPOINTS)

    assert (response.status_code, response.json()["error"]) == (401, "invalid or missing API key")


def test_a_lapsed_subscription_is_402(alice):
    alice.org.paid_until = datetime.date(2020, 1, 1)
    alice.org.save()

    response = alice.get(DELIVERIES)

    assert (response.status_code, response.json()["error"]) == (402, "subscription_required")


def test_patch_changes_only_the_given_fields(alice):
    endpoint = make_endpoint(alice, description="CRM")

    response = send(
        alice,
        "patch",
        f"{ENDPOINTS}/{endpoint['id']}",
        {"active": False, "events": ["stamp.earned"]},
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["active"], data["events"], data["description"]) == (
        False,
        ["stamp.earned"],
        "CRM",
    )


def test_delete_removes_the_endpoint(alice):
    endpoint = make_endpoint(alice)

    response = send(alice, "delete", f"{ENDPOINTS}/{endpoint['id']}")

    assert response.status_code == 204
    assert send(alice, "get", f"{ENDPOINTS}/{endpoint['id']}").status_code == 404
    assert not Endpoint.objects.exists()


def test_rotate_secret_returns_a_new_secret(alice):
    endpoint = make_endpoint(alice)

    response = alice.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret")

    assert response.status_code == 200
    assert response.json()["data"]["secret"] not in ("", endpoint["secret"])
    assert Endpoint.objects.get().secret == response.json()["data"]["secret"]


def test_test_queues_a_ping_delivery(alice):
    endpoint = make_endpoint(alice)

    response = alice.post(f"{ENDPOINTS}/{endpoint['id']}/test")

    assert response.status_code == 202
    data = response.json()["data"]
    assert set(data) == {
        "id",
        "event_id",
        "endpoint_id",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
    }
    assert (data["event"], data["endpoint_id"], data["status"]) == (
        "ping",
        endpoint["id"],
        "pending",
    )


def test_events_fan_out_to_active_matching_endpoints_only(alice):
    every = make_endpoint(alice)
    points = make_endpoint(alice, events=["points.earned"])
    make_endpoint(alice, active=False)

    record_event(organization=alice.org, event="points.earned", data={"customer_code": 1})
    record_event(organization=alice.org, event="stamp.earned", data={"customer_code": 1})

    rows = alice.get(DELIVERIES).json()["data"]
    assert sorted((row["event"], row["endpoint_id"]) for row in rows) == sorted(
        [
            ("points.earned", every["id"]),
            ("points.earned", points["id"]),
            ("stamp.earned", every["id"]),
        ]
    )


def test_deliveries_are_newest_first_filtered_and_paginated(alice):
    make_endpoint(alice)
    for index in range(3):
        record_event(organization=alice.org, event="points.earned", data={"customer_code": index})
    record_event(organization=alice.org, event="points.spent", data={"customer_code": 9})
    Delivery.objects.filter(event__event="points.spent").update(status="exhausted")

    everything = alice.get(DELIVERIES).json()
    first_page = alice.get(f"{DELIVERIES}?event=points.earned&page_size=2").json()
    second_page = alice.get(f"{DELIVERIES}?event=points.earned&page_size=2&page=2").json()
    exhausted = alice.get(f"{DELIVERIES}?status=exhausted").json()["data"]

    assert [row["event"] for row in everything["data"]][0] == "points.spent"
    created = [row["created_at"] for row in everything["data"]]
    assert created == sorted(created, reverse=True)
    assert (len(first_page["data"]), first_page["has_more"]) == (2, True)
    assert (len(second_page["data"]), second_page["has_more"]) == (1, False)
    earned = Delivery.objects.filter(event__event="points.earned").values_list("id", flat=True)
    paged = [row["id"] for row in first_page["data"] + second_page["data"]]
    assert sorted(paged) == sorted(str(pk) for pk in earned)
    assert [row["event"] for row in exhausted] == ["points.spent"]


@pytest.mark.parametrize("query", ["status=lost", "page=0", "page_size=1000"])
def test_bad_delivery_filters_are_422(alice, query):
    response = alice.get(f"{DELIVERIES}?{query}")

    assert (response.status_code, response.json()["error"]) == (422, "invalid_request")


def test_redeliver_queues_the_same_delivery_again(alice):
    make_endpoint(alice)
    record_event(organization=alice.org, event="points.earned", data={"customer_code": 1})
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="exhausted", attempts=6)

    response = alice.post(f"{DELIVERIES}/{delivery.pk}/redeliver")

    assert response.status_code == 202
    data = response.json()["data"]
    assert (data["id"], data["status"], data["attempts"]) == (str(delivery.pk), "pending", 0)


def test_unknown_ids_are_404(alice):
    missing = "00000000-0000-0000-0000-000000000000"

    assert alice.post(f"{DELIVERIES}/{missing}/redeliver").status_code == 404
    assert send(alice, "patch", f"{ENDPOINTS}/{missing}", {}).status_code == 404
    assert alice.post(f"{ENDPOINTS}/not-a-uuid/test").json()["error"] == "not_found"


def test_other_orgs_endpoints_and_deliveries_are_invisible(alice, bob):
    theirs = make_endpoint(bob)
    services.send_test(endpoint=Endpoint.objects.get(pk=theirs["id"]))
    their_delivery = Delivery.objects.get()
    endpoint_path = f"{ENDPOINTS}/{theirs['id']}"

    assert alice.get(ENDPOINTS).json()["data"] == []
    assert alice.get(DELIVERIES).json()["data"] == []
    for method, path, body in [
        ("get", endpoint_path, None),
        ("patch", endpoint_path, {"description": "mine now"}),
        ("delete", endpoint_path, None),
        ("post", f"{endpoint_path}/rotate-secret", None),
        ("post", f"{endpoint_path}/test", None),
        ("get", f"{DELIVERIES}/{their_delivery.pk}", None),
        ("post", f"{DELIVERIES}/{their_delivery.pk}/redeliver", None),
    ]:
        response = send(alice, method, path, body)
        assert (response.status_code, response.json()["error"]) == (404, "not_found"), path
    endpoint = Endpoint.objects.get()
    assert (endpoint.description, endpoint.secret) == ("", theirs["secret"])
    assert Delivery.objects.count() == 1
