"""The merchant API for webhook endpoints and deliveries (/merchant/webhooks/*)."""

import datetime
import json
import socket

import jsonschema
import pytest
import yaml
from django.core.management import call_command

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


# --- the OpenAPI schema -------------------------------------------------------------------
ENDPOINT_PATH = "/merchant/webhooks/endpoints/{endpoint_id}"
DELIVERY_PATH = "/merchant/webhooks/deliveries/{delivery_id}"
DOCUMENTED = {
    (ENDPOINTS, "get"): {"200", "401", "402"},
    (ENDPOINTS, "post"): {"201", "400", "401", "402", "422"},
    (ENDPOINT_PATH, "get"): {"200", "401", "402", "404"},
    (ENDPOINT_PATH, "patch"): {"200", "400", "401", "402", "404", "422"},
    (ENDPOINT_PATH, "delete"): {"204", "401", "402", "404"},
    (f"{ENDPOINT_PATH}/rotate-secret", "post"): {"200", "401", "402", "404"},
    (f"{ENDPOINT_PATH}/test", "post"): {"202", "401", "402", "404"},
    (DELIVERIES, "get"): {"200", "401", "402", "422"},
    (DELIVERY_PATH, "get"): {"200", "401", "402", "404"},
    (f"{DELIVERY_PATH}/redeliver", "post"): {"202", "401", "402", "404"},
}


@pytest.fixture
def openapi(client, db) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def merchant_operations(openapi: dict) -> dict[tuple[str, str], dict]:
    return {
        (path.rstrip("/"), method): operation
        for path, item in openapi["paths"].items()
        if path.startswith("/merchant/webhooks")
        for method, operation in item.items()
    }


def strict(node):
    """OpenAPI 3.0 → JSON Schema: nullable becomes a type, objects allow no other keys."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strict(value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


def assert_documented(openapi: dict, path: str, method: str, response) -> None:
    """The real answer matches the schema's response for its status, key for key."""
    documented = merchant_operations(openapi)[(path, method)]["responses"]
    assert str(response.status_code) in documented, (path, method, response.status_code)
    ref = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), {**ref, "components": strict(openapi["components"])})


def test_the_schema_documents_every_merchant_webhooks_operation(openapi):
    operations = merchant_operations(openapi)

    assert {key: set(op["responses"]) for key, op in operations.items()} == DOCUMENTED
    assert all(op["tags"] == ["Merchant webhooks"] for op in operations.values())
    ids = [op["operationId"] for op in operations.values()]
    assert len(set(ids)) == len(ids)
    for path, method in [(ENDPOINTS, "post"), (ENDPOINT_PATH, "patch")]:
        assert "application/json" in operations[(path, method)]["requestBody"]["content"]
    assert "url_not_allowed" in operations[(ENDPOINTS, "post")]["responses"]["422"]["description"]
    filters = {p["name"] for p in operations[(DELIVERIES, "get")]["parameters"]}
    assert filters == {"status", "event", "page", "page_size"}


def test_every_answer_matches_its_documented_shape(openapi, alice):
    created = alice.post(ENDPOINTS, {"url": URL, "events": ["points.earned"]})
    assert_documented(openapi, ENDPOINTS, "post", created)
    endpoint = f"{ENDPOINTS}/{created.json()['data']['id']}"
    assert_documented(openapi, ENDPOINTS, "get", alice.get(ENDPOINTS))
    assert_documented(openapi, ENDPOINT_PATH, "get", alice.get(endpoint))
    patched = send(alice, "patch", endpoint, {"events": ["*"]})
    assert_documented(openapi, ENDPOINT_PATH, "patch", patched)
    rotated = alice.post(f"{endpoint}/rotate-secret")
    assert_documented(openapi, f"{ENDPOINT_PATH}/rotate-secret", "post", rotated)
    tested = alice.post(f"{endpoint}/test")
    assert_documented(openapi, f"{ENDPOINT_PATH}/test", "post", tested)
    delivery = f"{DELIVERIES}/{tested.json()['data']['id']}"
    assert_documented(openapi, DELIVERIES, "get", alice.get(DELIVERIES))
    assert_documented(openapi, DELIVERY_PATH, "get", alice.get(delivery))
    redelivered = alice.post(f"{delivery}/redeliver")
    assert_documented(openapi, f"{DELIVERY_PATH}/redeliver", "post", redelivered)


def test_error_answers_match_their_documented_shape(openapi, alice, bob):
    refused = alice.post(ENDPOINTS, {"url": "http://hooks.shop.test/loyalty"})
    assert refused.json()["error"] == "url_not_allowed"
    assert_documented(openapi, ENDPOINTS, "post", refused)
    assert_documented(openapi, ENDPOINTS, "post", alice.post(ENDPOINTS, {"events": []}))
    assert_documented(openapi, ENDPOINTS, "post", alice.post(ENDPOINTS, raw=b"[1]"))
    assert_documented(openapi, ENDPOINTS, "get", alice.client.get(ENDPOINTS))
    assert_documented(openapi, DELIVERIES, "get", alice.get(f"{DELIVERIES}?page=0"))
    theirs = make_endpoint(bob)
    mine = f"{ENDPOINTS}/{theirs['id']}"
    assert_documented(openapi, ENDPOINT_PATH, "delete", send(alice, "delete", mine))


def test_the_whole_schema_generates_without_warnings(db, tmp_path):
    """A view spectacular cannot describe (or an operationId clash) fails here."""
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    paths = yaml.safe_load(target.read_text())["paths"]
    assert {path.rstrip("/") for path in paths} >= {ENDPOINTS, DELIVERIES, "/webhook/pos", "/v1/me"}
