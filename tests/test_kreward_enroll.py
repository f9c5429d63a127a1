"""POST /v1/enroll: with an email a card, without one the org's sign-up page."""

import base64
import uuid

import pytest

from customers.models import Customer
from webhooks.models import Event

pytest_plugins = ["tests.kreward_support"]


PNG = b"\x89PNG\r\n\x1a\n"


def png_of(data_uri: str) -> bytes:
    assert data_uri.startswith("data:image/png;base64,")
    return base64.b64decode(data_uri.split(",", 1)[1])


def test_enroll_creates_the_customer_and_card(kw_alice):
    response = kw_alice.post("/v1/enroll", {"email": " Jane@Example.com ", "name": "Jane"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "ok",
        "enrolled",
        "is_new",
        "card_id",
        "balance",
        "qr_ios",
        "qr_android",
        "wallet_url_ios",
        "wallet_url_android",
    }
    assert body["ok"] is True and body["enrolled"] is True and body["is_new"] is True
    assert body["balance"] == 0
    customer = Customer.objects.get(organization=kw_alice.org, email="jane@example.com")
    assert customer.name == "Jane"
    assert customer.consent_terms_at is not None and customer.consent_privacy_at is not None
    assert body["card_id"] == str(uuid.uuid5(kw_alice.stamps.uuid, str(customer.pk)))
    assert png_of(body["qr_ios"]).startswith(PNG)
    assert png_of(body["qr_android"]).startswith(PNG)
    event = Event.objects.get(organization=kw_alice.org, event="customer.enrolled")
    assert event.data["source"] == "api"


def test_without_wallet_configuration_both_urls_open_the_web_card(kw_alice, monkeypatch):
    for name in ("APPLE_PASS_TYPE_ID", "GOOGLE_WALLET_ISSUER_ID"):
        monkeypatch.delenv(name, raising=False)
    body = kw_alice.post("/v1/enroll", {"email": "jane@example.com"}).json()
    assert body["wallet_url_ios"] == body["wallet_url_android"]
    assert "/card/" in body["wallet_url_ios"]
    page = kw_alice.client.get(body["wallet_url_ios"].replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200
    assert b"Alice" in page.content


def test_enroll_is_idempotent_on_email(kw_alice):
    first = kw_alice.post("/v1/enroll", {"email": "jane@example.com"}).json()
    second = kw_alice.post("/v1/enroll", {"email": "JANE@example.com"}, key="public").json()
    assert second["is_new"] is False
    assert second["card_id"] == first["card_id"]
    assert Customer.objects.filter(organization=kw_alice.org).count() == 1


def test_a_customer_enrolled_on_the_pos_is_not_new_here(kw_alice):
    kw_alice.tenant.post(
        "/webhook/customer",
        {"email": "jane@example.com", "consent_terms": True, "consent_privacy": True},
    )
    body = kw_alice.post("/v1/enroll", {"email": "jane@example.com"}).json()
    assert body["is_new"] is False


def test_enroll_reports_the_balance_of_the_chosen_template(kw_alice):
    customer = kw_alice.customer(email="jane@example.com", point_balance=0)
    kw_alice.tenant.post(
        "/webhook/pos", {"customer_code": customer.code, "amount": 12, "external_id": "o-1"}
    )
    body = kw_alice.post(
        "/v1/enroll", {"email": "jane@example.com", "template_id": str(kw_alice.points.uuid)}
    ).json()
    assert body["balance"] == 12
    assert body["card_id"] == str(uuid.uuid5(kw_alice.points.uuid, str(customer.pk)))


def test_without_email_the_answer_is_the_sign_up_page(kw_alice):
    response = kw_alice.post("/v1/enroll", {"name": "Jane"}, key="public")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ok", "enrolled", "enrollment_url", "qr"}
    assert body["ok"] is True and body["enrolled"] is False
    assert body["enrollment_url"] == "http://127.0.0.1:8000/join/alice/"
    assert png_of(body["qr"]).startswith(PNG)
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "body,param",
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": 42}, "email"),
        ({"email": "jane@example.com", "name": ["Jane"]}, "name"),
        ({"email": "jane@example.com", "template_id": "nope"}, "template_id"),
        ({"email": "jane@example.com", "template_id": 7}, "template_id"),
    ],
)
def test_invalid_parameters_are_named(kw_alice, body, param):
    response = kw_alice.post("/v1/enroll", body)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_parameter", "param": param}


@pytest.mark.parametrize("raw", [b"", b"[]", b"{", b'"x"', b"NaN"])
def test_a_body_that_is_not_a_json_object_is_invalid_json(kw_alice, raw):
    response = kw_alice.post("/v1/enroll", raw=raw)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_json"}


def test_an_unknown_template_is_not_found(kw_alice):
    response = kw_alice.post(
        "/v1/enroll", {"email": "jane@example.com", "template_id": str(uuid.uuid4())}
    )
    assert response.status_code == 404
    assert response.json() == {"error": "template_not_found"}


def test_another_orgs_template_is_not_found(kw_alice, kw_bob):
    response = kw_alice.post(
        "/v1/enroll", {"email": "jane@example.com", "template_id": str(kw_bob.stamps.uuid)}
    )
    assert response.status_code == 404
    assert response.json() == {"error": "template_not_found"}
    assert not Customer.objects.exists()


def test_the_same_email_is_a_different_customer_in_another_org(kw_alice, kw_bob):
    kw_bob.customer(email="jane@example.com")
    body = kw_alice.post("/v1/enroll", {"email": "jane@example.com"}).json()
    assert body["is_new"] is True
    assert Customer.objects.filter(email="jane@example.com").count() == 2
