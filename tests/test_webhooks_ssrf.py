"""Webhook URLs may not reach internal services: refused at creation and again at delivery.

DNS is faked (socket.getaddrinfo) so no name is really resolved, and every outbound
connection attempt is recorded so the tests can assert that none was made.
"""

import socket

import httpx
import pytest

from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, Endpoint

pytestmark = pytest.mark.django_db(transaction=True)

ENDPOINTS = "/merchant/webhooks/endpoints"
PUBLIC_ADDRESS = "93.184.216.34"

REFUSED_URLS = {
    "loopback ip": "https://127.0.0.1/hooks",
    "private ip": "https://10.0.0.1/hooks",
    "cloud metadata": "https://169.254.169.254/latest/meta-data/",
    "localhost": "https://localhost/hooks",
    "ipv6 loopback": "https://[::1]/hooks",
    "ipv4-mapped ipv6 loopback": "https://[::ffff:127.0.0.1]/hooks",
    "unspecified": "https://0.0.0.0/hooks",
    "name resolving to private": "https://intranet.shop.test/hooks",
    "name with one private address": "https://mixed.shop.test/hooks",
    "plain http to a public name": "http://hooks.shop.test/hooks",
    "plain http to loopback": "http://127.0.0.1:8080/hooks",
}


@pytest.fixture
def dns(monkeypatch):
    """Fake answers; IP literals still go through the real (numeric, offline) resolver."""
    real = socket.getaddrinfo
    answers = {
        "hooks.shop.test": [PUBLIC_ADDRESS],
        "intranet.shop.test": ["10.20.30.40"],
        "mixed.shop.test": [PUBLIC_ADDRESS, "192.168.1.5"],
        "localhost": ["127.0.0.1", "::1"],
    }

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in answers:
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (address, port),
                )
                for address in answers[name]
            ]
        if any(c.isalpha() for c in name.replace("::ffff:", "")):
            raise socket.gaierror(socket.EAI_NONAME, "unknown name in this test")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def connections(monkeypatch):
    """Every attempt to open a connection, at the httpx transport and at the socket."""
    attempts: list = []

    def transport(self, request):
        attempts.append(("transport", str(request.url)))
        raise httpx.ConnectError("blocked by the test", request=request)

    def create_connection(address, *args, **kwargs):
        attempts.append(("socket", address))
        raise ConnectionRefusedError("blocked by the test")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", transport)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


@pytest.fixture(autouse=True)
def _no_loopback(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False


@pytest.mark.parametrize("url", REFUSED_URLS.values(), ids=REFUSED_URLS.keys())
def test_creating_an_endpoint_to_an_internal_address_is_refused(alice, dns, url):
    response = alice.post(ENDPOINTS, {"url": url})

    assert response.status_code == 422
    assert response.json()["error"] == "url_not_allowed"
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    "url", ["ftp://hooks.shop.test/x", "https:///nohost", "not a url", "https://nowhere.test/"]
)
def test_malformed_or_unresolvable_urls_are_refused(alice, dns, url):
    response = alice.post(ENDPOINTS, {"url": url})

    assert response.status_code == 422
    assert response.json()["error"] == "url_not_allowed"


def test_https_to_a_public_name_is_accepted(alice, dns):
    response = alice.post(ENDPOINTS, {"url": "https://hooks.shop.test/hooks"})

    assert response.status_code == 201


def test_changing_the_url_to_an_internal_address_is_refused(alice, dns):
    endpoint = alice.post(ENDPOINTS, {"url": "https://hooks.shop.test/hooks"}).json()["data"]

    response = alice.client.patch(
        f"{ENDPOINTS}/{endpoint['id']}",
        data={"url": "https://169.254.169.254/"},
        content_type="application/json",
        HTTP_X_API_KEY=alice.key,
    )

    assert response.status_code == 422
    assert response.json()["error"] == "url_not_allowed"
    assert Endpoint.objects.get().url == "https://hooks.shop.test/hooks"


@pytest.mark.parametrize("url", REFUSED_URLS.values(), ids=REFUSED_URLS.keys())
def test_a_stored_internal_url_is_refused_at_delivery_without_connecting(
    alice, dns, connections, url
):
    # As if the row predates a policy change or was written around the API.
    endpoint = Endpoint.objects.create(organization=alice.org, url=url, events=["*"])

    services.send_test(endpoint=endpoint)

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("url_not_allowed")
    assert connections == []


def test_a_name_that_starts_resolving_to_a_private_address_is_never_connected_to(
    alice, dns, connections
):
    endpoint = alice.post(ENDPOINTS, {"url": "https://hooks.shop.test/hooks"}).json()["data"]
    dns["hooks.shop.test"] = ["10.0.0.7"]  # DNS rebinding after the check at creation

    response = alice.post(f"{ENDPOINTS}/{endpoint['id']}/test")

    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.last_error.startswith("url_not_allowed")
    assert connections == []


def test_a_public_name_is_connected_to_by_its_checked_address(alice, dns, connections):
    endpoint = alice.post(ENDPOINTS, {"url": "https://hooks.shop.test/hooks"}).json()["data"]

    alice.post(f"{ENDPOINTS}/{endpoint['id']}/test")

    assert connections == [("transport", f"https://{PUBLIC_ADDRESS}/hooks")]
    assert Delivery.objects.get().last_error.startswith("connection failed")


def test_loopback_setting_allows_plain_http_to_loopback_only(alice, dns, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True

    loopback = alice.post(ENDPOINTS, {"url": "http://127.0.0.1:8080/hooks"})
    public = alice.post(ENDPOINTS, {"url": "http://hooks.shop.test/hooks"})
    private = alice.post(ENDPOINTS, {"url": "https://10.0.0.1/hooks"})

    assert loopback.status_code == 201
    assert (public.status_code, public.json()["error"]) == (422, "url_not_allowed")
    assert (private.status_code, private.json()["error"]) == (422, "url_not_allowed")
