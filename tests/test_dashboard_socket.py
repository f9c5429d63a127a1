"""The dashboard's WebSocket (/ws/me/) with the session cookie of a link login."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

from customers.services import issue_login_link
from loyalite.asgi import application
from loyalite.models import Preset

pytestmark = pytest.mark.django_db(transaction=True)


class WebsocketCommunicator(ApplicationCommunicator):
    """channels.testing's communicator, minus its import of daphne (not installed)."""

    def __init__(self, headers: list[tuple[bytes, bytes]]):
        scope = {"type": "websocket", "path": "/ws/me/", "query_string": b"", "headers": headers}
        super().__init__(application, scope)

    async def connect(self) -> tuple[bool, object]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(2)
        return response["type"] == "websocket.accept", response.get("code")

    async def receive_json_from(self, timeout: float) -> dict:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(1)


def cookie_of(client: Client) -> bytes:
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def session_cookie(customer) -> bytes:
    client = Client()
    url = issue_login_link(customer=customer)
    assert client.get(url[len(settings.SITE_URL) :]).status_code == 302
    return cookie_of(client)


def communicator(cookie: bytes | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(headers)


def earn_body(customer, amount, external_id):
    return {"customer_code": customer.code, "amount": amount, "external_id": external_id}


def test_the_socket_refuses_a_browser_without_a_session(alice):
    async def scenario():
        socket = communicator(None)
        connected, _ = await socket.connect()
        await socket.disconnect()
        return connected

    assert async_to_sync(scenario)() is False


def test_an_earn_pushes_the_new_balance_to_the_open_page(alice):
    customer = alice.customer()
    cookie = session_cookie(customer)

    async def scenario():
        socket = communicator(cookie)
        connected, _ = await socket.connect()
        assert connected
        response = await sync_to_async(alice.post)("/webhook/pos", earn_body(customer, 25, "e-1"))
        assert response.status_code == 200
        message = await socket.receive_json_from(timeout=3)
        await socket.disconnect()
        return message

    assert async_to_sync(scenario)() == {"type": "balance.changed", "points": 25, "stamps": 0}


def test_a_pin_reaches_the_page_and_its_end_follows(tenant_factory):
    tenant = tenant_factory("kahveci", preset=Preset.BALANCED)
    customer = tenant.customer()
    tenant.post("/webhook/pos", earn_body(customer, 300, "e-1"))
    cookie = session_cookie(customer)
    body = {"customer_code": customer.code, "value": 200, "card_type": "point", "external_id": "r"}

    async def scenario():
        socket = communicator(cookie)
        assert (await socket.connect())[0]
        refused = await sync_to_async(tenant.post)("/webhook/redeem", body)
        assert refused.status_code == 412
        issued = await socket.receive_json_from(timeout=3)
        pin = issued["challenge"]["pin"]
        done = await sync_to_async(tenant.post)(
            "/webhook/redeem", {**body, "verification_pin": pin}
        )
        assert done.status_code == 200
        rest = [await socket.receive_json_from(timeout=3) for _ in range(2)]
        await socket.disconnect()
        return refused.json(), issued, rest

    refused, issued, rest = async_to_sync(scenario)()
    assert issued["type"] == "challenge.issued"
    assert issued["challenge"]["challenge_id"] == refused["challenge_id"]
    assert issued["challenge"]["description"] == "Redeem 200 points at Kahveci"
    assert sorted(message["type"] for message in rest) == ["balance.changed", "challenge.ended"]
    ended = next(message for message in rest if message["type"] == "challenge.ended")
    assert ended == {
        "type": "challenge.ended",
        "challenge_id": refused["challenge_id"],
        "state": "consumed",
    }


def test_the_socket_gets_nothing_from_another_orgs_customer(alice, bob):
    mine = alice.customer(email="ayse@example.com")
    theirs = bob.customer(email="ayse@example.com")
    cookie = session_cookie(mine)

    async def scenario():
        socket = communicator(cookie)
        assert (await socket.connect())[0]
        await sync_to_async(bob.post)("/webhook/pos", earn_body(theirs, 10, "e-1"))
        quiet = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return quiet

    assert async_to_sync(scenario)() is True


def test_the_socket_refuses_a_logged_out_session(alice):
    customer = alice.customer()
    client = Client()
    client.get(issue_login_link(customer=customer)[len(settings.SITE_URL) :])
    cookie = cookie_of(client)
    client.post("/me/logout")

    async def scenario():
        socket = communicator(cookie)
        connected, _ = await socket.connect()
        await socket.disconnect()
        return connected

    assert async_to_sync(scenario)() is False


def test_balance_pushes_are_only_sent_while_a_dashboard_is_open(alice, monkeypatch):
    from customers import push

    customer = alice.customer()
    cookie = session_cookie(customer)
    sent: list[tuple] = []
    monkeypatch.setattr(push, "send_now", lambda *args: sent.append(args))

    assert alice.post("/webhook/pos", earn_body(customer, 5, "closed")).status_code == 200
    assert sent == []

    async def scenario():
        socket = communicator(cookie)
        assert (await socket.connect())[0]
        await sync_to_async(alice.post)("/webhook/pos", earn_body(customer, 5, "open"))
        opened = list(sent)
        await socket.disconnect()
        return opened

    assert async_to_sync(scenario)() == [("customers.tasks.push_balances", customer.pk)]
    sent.clear()
    assert alice.post("/webhook/pos", earn_body(customer, 5, "closed-again")).status_code == 200
    assert sent == []
    assert push.dashboard_open(customer.pk) is False
