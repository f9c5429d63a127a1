"""Outbound webhooks end to end: a real HTTP receiver on loopback, events driven by the POS API.

These tests use real transactions (on_commit fires), so delivery tasks run as in production
(eagerly, after commit); retries are driven by calling the sweeper with a moved `now`.
"""

import datetime
import json
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone

import loyalite.tasks
from campaigns import services as ledger
from campaigns.models import Campaign
from webhooks import delivery as delivery_module
from webhooks import services, tasks
from webhooks.models import Delivery, DeliveryStatus, Event
from webhooks.signing import verify

pytestmark = pytest.mark.django_db(transaction=True)

ENDPOINTS = "/merchant/webhooks/endpoints"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def envelope(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A merchant's webhook receiver: records raw requests, answers `status` after `delay`."""

    port: int = 0
    status: int = 200
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def events(self) -> list[str]:
        return [request.envelope["event"] for request in self.requests]

    def verified(self, secret: str) -> bool:
        return all(
            verify(secret=secret, body=r.body, signature=r.headers["X-Loyalite-Signature-256"])
            for r in self.requests
        )


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.requests.append(Received(self.path, dict(self.headers), body))
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    return Handler


def _serve(receiver: Receiver, wrap=None):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(receiver))
    server.daemon_threads = True
    server.block_on_close = False
    if wrap is not None:
        server.socket = wrap(server.socket)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    receiver = Receiver()
    server = _serve(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def create_endpoint(tenant, url: str, events=None) -> dict:
    body = {"url": url, "description": "till system"}
    if events is not None:
        body["events"] = events
    response = tenant.post(ENDPOINTS, body)
    assert response.status_code == 201, response.content
    return response.json()["data"]


def enroll(tenant, email: str = "ann@example.com") -> int:
    response = tenant.post(
        "/webhook/customer", {"email": email, "consent_terms": True, "consent_privacy": True}
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]["customer_code"]


def pos(tenant, path: str, body: dict) -> dict:
    response = tenant.post(path, body)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_every_event_arrives_once_per_matching_endpoint_signed_over_the_raw_body(alice, receiver):
    everything = create_endpoint(alice, receiver.url)
    points_only = create_endpoint(alice, receiver.url + "?points", ["points.earned"])

    code = enroll(alice)
    pos(alice, "/webhook/pos", {"customer_code": code, "amount": 12, "external_id": "e-1"})
    earned = pos(
        alice,
        "/webhook/pos",
        {"customer_code": code, "amount": 10, "card_type": "stamp", "external_id": "e-2"},
    )
    pos(
        alice,
        "/webhook/redeem",
        {"customer_code": code, "value": 5, "card_type": "point", "external_id": "r-1"},
    )
    pos(alice, "/webhook/coupons/redeem", {"token": earned["coupon"]["qr_token"]})

    to_everything = [r for r in receiver.requests if r.path == "/hooks"]
    to_points = [r for r in receiver.requests if r.path == "/hooks?points"]
    assert [r.envelope["event"] for r in to_everything] == [
        "customer.enrolled",
        "points.earned",
        "stamp.earned",
        "stamp.redeemed",
        "points.spent",
        "coupon.redeemed",
    ]
    assert [r.envelope["event"] for r in to_points] == ["points.earned"]
    for request, secret in [(r, everything["secret"]) for r in to_everything] + [
        (r, points_only["secret"]) for r in to_points
    ]:
        envelope = request.envelope
        assert verify(
            secret=secret, body=request.body, signature=request.headers["X-Loyalite-Signature-256"]
        )
        assert request.headers["X-Loyalite-Signature-256"].startswith("sha256=")
        assert request.headers["X-Loyalite-Event"] == envelope["event"]
        assert request.headers["X-Loyalite-Delivery"] == envelope["id"]
        assert set(envelope) == {"id", "event", "occurred_at", "organization", "data"}
        assert envelope["organization"] == "alice"
        assert envelope["data"]["customer_code"] == code
        assert envelope["data"]["source"] == "webhook"
    data = {r.envelope["event"]: r.envelope["data"] for r in to_everything}
    assert data["points.earned"]["points_added"] == 12
    assert data["points.earned"]["points_balance"] == 12
    assert data["stamp.earned"]["stamps_added"] == 10
    assert data["stamp.redeemed"]["coupon_id"] == earned["coupon"]["id"]
    assert data["stamp.redeemed"]["coupon_name"] == earned["coupon"]["name"]
    assert data["stamp.redeemed"]["stamps_balance"] == 0
    assert data["points.spent"] == {**data["points.spent"], "points_spent": 5, "points_balance": 7}
    assert data["coupon.redeemed"]["coupon_id"] == earned["coupon"]["id"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCESS}


def test_a_signature_made_with_another_secret_does_not_verify(alice, receiver):
    create_endpoint(alice, receiver.url)
    enroll(alice)
    assert not receiver.verified("whsec_not-the-secret")


@pytest.mark.parametrize("failure", ["http_500", "timeout", "refused"])
def test_a_failing_receiver_gets_the_retry_schedule_then_is_exhausted(
    alice, receiver, closed_port, monkeypatch, failure
):
    monkeypatch.setattr(delivery_module, "TIMEOUT_SECONDS", 0.3)
    url = receiver.url
    if failure == "http_500":
        receiver.status = 500
    elif failure == "timeout":
        receiver.delay = 1.0
    else:
        url = f"http://127.0.0.1:{closed_port}/hooks"
    create_endpoint(alice, url)
    enroll(alice)

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.next_attempt_at == delivery.last_attempt_at + datetime.timedelta(minutes=1)
    for wait in [5, 30, 120, 360]:
        due = delivery.next_attempt_at
        assert delivery_module.sweep(now=due - datetime.timedelta(seconds=1)) == 0
        assert delivery_module.sweep(now=due) == 1
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.next_attempt_at == due + datetime.timedelta(minutes=wait)
    assert delivery_module.sweep(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.EXHAUSTED,
        6,
        None,
    )
    assert delivery_module.sweep(now=timezone.now() + datetime.timedelta(days=2)) == 0
    expected_error = {"http_500": "HTTP 500", "timeout": "timed out", "refused": "connection"}
    assert delivery.last_error.startswith(expected_error[failure])
    assert delivery.last_status_code == (500 if failure == "http_500" else None)
    arrivals = 0 if failure == "refused" else 6
    assert len(receiver.requests) == arrivals
    assert {r.headers["X-Loyalite-Delivery"] for r in receiver.requests} <= {str(delivery.pk)}


def test_a_receiver_that_recovers_gets_the_retry_and_success_is_final(alice, receiver):
    receiver.status = 503
    create_endpoint(alice, receiver.url)
    enroll(alice)
    receiver.status = 204
    delivery = Delivery.objects.get()
    assert delivery_module.sweep(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("success", 2, 204)
    assert delivery_module.sweep(now=timezone.now() + datetime.timedelta(days=1)) == 0
    assert len({r.body for r in receiver.requests}) == 1


def test_redeliver_sends_the_same_envelope_id_again(alice, receiver):
    create_endpoint(alice, receiver.url)
    enroll(alice)
    first = receiver.requests[0]

    delivery_id = first.envelope["id"]
    response = alice.post(f"/merchant/webhooks/deliveries/{delivery_id}/redeliver")

    assert response.status_code == 202
    assert response.json()["data"]["id"] == delivery_id
    assert len(receiver.requests) == 2
    again = receiver.requests[1]
    assert again.headers["X-Loyalite-Delivery"] == delivery_id
    assert again.envelope == first.envelope
    assert Delivery.objects.get().status == DeliveryStatus.SUCCESS


def test_a_rolled_back_earn_produces_no_event(alice, receiver):
    create_endpoint(alice, receiver.url)
    customer = alice.customer()
    campaign = Campaign.objects.get(organization=alice.org, card_type="point")

    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.earn(customer=customer, campaign=campaign, amount=Decimal("10"), source="api")
        raise RuntimeError("the till crashed after the earn")

    assert not Event.objects.exists()
    assert not Delivery.objects.exists()
    assert delivery_module.sweep(now=timezone.now() + datetime.timedelta(hours=1)) == 0
    assert receiver.requests == []


def test_an_earn_committed_while_the_broker_is_down_is_delivered_by_the_sweeper(
    alice, receiver, monkeypatch
):
    create_endpoint(alice, receiver.url, ["points.earned"])
    code = alice.customer().code
    loyalite.tasks.broker.reset()

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(tasks.deliver, "delay", broker_down)
    response = alice.post(
        "/webhook/pos", {"customer_code": code, "amount": 3, "external_id": "while-down"}
    )
    assert response.status_code == 200
    assert receiver.requests == []
    assert Delivery.objects.get().status == DeliveryStatus.PENDING

    monkeypatch.undo()  # the broker is back; beat runs the sweeper
    assert tasks.sweep_deliveries() == 1

    assert receiver.events() == ["points.earned"]
    assert receiver.requests[0].envelope["data"]["points_added"] == 3
    assert Delivery.objects.get().status == DeliveryStatus.SUCCESS
    assert tasks.sweep_deliveries() == 0


def test_rotation_is_immediate(alice, receiver):
    endpoint = create_endpoint(alice, receiver.url)
    rotated = alice.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret").json()["data"]

    response = alice.post(f"{ENDPOINTS}/{endpoint['id']}/test")

    assert response.status_code == 202
    assert receiver.events() == ["ping"]
    assert receiver.verified(rotated["secret"])
    assert not receiver.verified(endpoint["secret"])


def test_the_test_button_sends_a_signed_ping_to_that_endpoint_only(alice, receiver):
    endpoint = create_endpoint(alice, receiver.url, ["coupon.redeemed"])
    create_endpoint(alice, receiver.url + "?other")

    response = alice.post(f"{ENDPOINTS}/{endpoint['id']}/test")

    assert response.status_code == 202
    assert [(r.path, r.envelope["event"]) for r in receiver.requests] == [("/hooks", "ping")]
    assert receiver.requests[0].headers["X-Loyalite-Delivery"] == response.json()["data"]["id"]
    assert receiver.verified(endpoint["secret"])


@pytest.fixture
def fake_dns(monkeypatch):
    """Names in the dict resolve to the given addresses; calls are counted per name."""
    real = socket.getaddrinfo
    answers: dict[str, list[str]] = {}
    calls: dict[str, int] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in answers:
            calls[name] = calls.get(name, 0) + 1
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in answers[name]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, calls


def test_delivery_connects_to_the_checked_address_with_the_original_host_header(
    alice, receiver, fake_dns
):
    answers, calls = fake_dns
    answers["hooks.shop.test"] = ["127.0.0.1"]
    create_endpoint(alice, f"http://hooks.shop.test:{receiver.port}/in")

    enroll(alice)

    assert [r.headers["Host"] for r in receiver.requests] == [f"hooks.shop.test:{receiver.port}"]
    assert receiver.requests[0].path == "/in"
    assert calls["hooks.shop.test"] == 2  # once at creation, once for the attempt; never more


def _self_signed(tmp_path, hostname: str) -> tuple[str, str]:
    cert, key = tmp_path / f"{hostname}.pem", tmp_path / f"{hostname}.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", f"/CN={hostname}", "-addext", f"subjectAltName=DNS:{hostname}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.mark.parametrize("certificate_for", ["hooks.shop.test", "elsewhere.test"])
def test_https_delivery_checks_the_certificate_against_the_url_host(
    alice, settings, tmp_path, fake_dns, monkeypatch, certificate_for
):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    cert, key = _self_signed(tmp_path, certificate_for)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=cert)
    monkeypatch.setattr(delivery_module, "TLS_VERIFY", client_context)
    tls_receiver = Receiver()
    server = _serve(
        tls_receiver, wrap=lambda sock: server_context.wrap_socket(sock, server_side=True)
    )
    answers, _ = fake_dns
    answers["hooks.shop.test"] = ["127.0.0.1"]
    try:
        create_endpoint(alice, f"https://hooks.shop.test:{tls_receiver.port}/in")
        enroll(alice)
    finally:
        server.shutdown()
        server.server_close()

    delivery = Delivery.objects.get()
    if certificate_for == "hooks.shop.test":
        assert delivery.status == DeliveryStatus.SUCCESS
        assert tls_receiver.events() == ["customer.enrolled"]
    else:
        assert delivery.status == DeliveryStatus.FAILED
        assert "certificate" in delivery.last_error.lower()
        assert tls_receiver.requests == []


@pytest.mark.postgres
def test_concurrent_sweepers_never_send_the_same_attempt_twice(
    postgres_db, alice, receiver, monkeypatch
):
    endpoint = create_endpoint(alice, receiver.url)
    monkeypatch.setattr(tasks.deliver, "delay", lambda *args: None)  # queued, never run
    for _ in range(8):
        services.send_test(
            endpoint=services.get_endpoint(organization=alice.org, endpoint_id=endpoint["id"])
        )
    receiver.delay = 0.05
    made: list[int] = []

    def sweeper() -> None:
        try:
            made.append(delivery_module.sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(made) == 8
    ids = [r.headers["X-Loyalite-Delivery"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 8
    assert set(Delivery.objects.values_list("status", "attempts")) == {("success", 1)}
