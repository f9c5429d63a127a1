"""GET /me/api/state and the /me/ page: what a logged-in customer sees, and only theirs."""

import base64
import re

from django.conf import settings
from django.test import Client

from customers.services import issue_login_link
from loyalite.models import Preset

STATE_KEYS = {
    "customer_code",
    "masked_email",
    "name",
    "points",
    "stamps",
    "stamp_goal",
    "preset",
    "qr",
    "coupons",
    "challenges",
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def logged_in(customer) -> Client:
    client = Client()
    url = issue_login_link(customer=customer)
    assert client.get(url[len(settings.SITE_URL) :]).status_code == 302
    return client


def png_bytes(data_uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert data_uri.startswith(prefix)
    return base64.b64decode(data_uri[len(prefix) :])


def earn(tenant, customer, amount, card_type="point", external_id="e-1"):
    body = {
        "customer_code": customer.code,
        "amount": amount,
        "card_type": card_type,
        "external_id": external_id,
    }
    response = tenant.post("/webhook/pos", body)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_state_needs_a_session(db):
    response = Client().get("/me/api/state")
    assert response.status_code == 401
    assert response.json() == {"error": "not_authenticated"}


def test_state_has_the_documented_shape(tenant_factory):
    tenant = tenant_factory("kahveci", max_stamps=8)
    customer = tenant.customer(email="ayse@example.com", name="Ayşe")
    earn(tenant, customer, 250, external_id="p-1")
    earn(tenant, customer, 5, card_type="stamp", external_id="s-1")

    response = logged_in(customer).get("/me/api/state")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    state = response.json()
    assert set(state) == STATE_KEYS
    assert state["customer_code"] == customer.code
    assert state["masked_email"] == "a***@example.com"
    assert state["name"] == "Ayşe"
    assert (state["points"], state["stamps"], state["stamp_goal"]) == (250, 5, 8)
    assert state["preset"] == "standard"
    assert set(state["qr"]) == {"payload", "expires_at", "image"}
    assert png_bytes(state["qr"]["image"]).startswith(PNG_MAGIC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", state["qr"]["expires_at"])
    assert state["coupons"] == []
    assert state["challenges"] == []


def test_the_qr_payload_is_accepted_by_the_pos_lookup(alice):
    customer = alice.customer()
    payload = logged_in(customer).get("/me/api/state").json()["qr"]["payload"]
    response = alice.get("/webhook/customer", data={"qr": payload})
    assert response.status_code == 200
    assert response.json()["data"]["customer_code"] == customer.code


def test_the_qr_payload_is_refused_by_another_org(alice, bob):
    customer = alice.customer()
    payload = logged_in(customer).get("/me/api/state").json()["qr"]["payload"]
    response = bob.get("/webhook/customer", data={"qr": payload})
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_qr"}


def test_a_strict_org_shows_the_rotating_qr(tenant_factory):
    tenant = tenant_factory("strictshop", preset=Preset.STRICT)
    customer = tenant.customer()
    state = logged_in(customer).get("/me/api/state").json()
    assert state["preset"] == "strict"
    assert state["qr"]["payload"].startswith("LT1:")
    response = tenant.get("/webhook/customer", data={"qr": state["qr"]["payload"]})
    assert response.json()["data"]["customer_code"] == customer.code


def test_a_filled_card_shows_its_coupon_with_a_qr(tenant_factory):
    tenant = tenant_factory("kahveci", max_stamps=8, reward_name="Free Coffee")
    customer = tenant.customer()
    data = earn(tenant, customer, 8, card_type="stamp")
    state = logged_in(customer).get("/me/api/state").json()
    [coupon] = state["coupons"]
    assert set(coupon) == {"id", "name", "qr_token", "status", "issued_at", "expires_at", "image"}
    assert coupon["id"] == data["coupon"]["id"]
    assert coupon["qr_token"] == data["coupon"]["qr_token"]
    assert (coupon["name"], coupon["status"]) == ("Free Coffee", "issued")
    assert png_bytes(coupon["image"]).startswith(PNG_MAGIC)


def test_a_redeemed_coupon_is_listed_without_a_qr(tenant_factory):
    tenant = tenant_factory("kahveci", max_stamps=8)
    customer = tenant.customer()
    token = earn(tenant, customer, 8, card_type="stamp")["coupon"]["qr_token"]
    assert tenant.post("/webhook/coupons/redeem", {"token": token}).status_code == 200
    [coupon] = logged_in(customer).get("/me/api/state").json()["coupons"]
    assert (coupon["status"], coupon["image"]) == ("redeemed", None)


def test_a_pending_pin_is_in_the_state_and_works_once(tenant_factory):
    tenant = tenant_factory("kahveci", preset=Preset.BALANCED)
    customer = tenant.customer()
    earn(tenant, customer, 300)
    body = {"customer_code": customer.code, "value": 200, "card_type": "point", "external_id": "r1"}
    refused = tenant.post("/webhook/redeem", body)
    assert refused.status_code == 412

    client = logged_in(customer)
    [challenge] = client.get("/me/api/state").json()["challenges"]
    assert set(challenge) == {
        "challenge_id",
        "pin",
        "action",
        "amount",
        "expires_at",
        "remaining_attempts",
    }
    assert challenge["challenge_id"] == refused.json()["challenge_id"]
    assert (challenge["action"], challenge["amount"]) == ("redeem", "200")
    assert challenge["remaining_attempts"] == 3
    assert re.fullmatch(r"\d{4}", challenge["pin"])

    page = client.get("/me/").content.decode()
    assert challenge["pin"] in page
    assert "Redeem 200 points at Kahveci" in page

    redeemed = tenant.post("/webhook/redeem", {**body, "verification_pin": challenge["pin"]})
    assert redeemed.json() == {"data": {"stamps": 0, "points": 100}}
    state = client.get("/me/api/state").json()
    assert (state["points"], state["challenges"]) == (100, [])


def test_the_page_shows_balances_stamp_dots_and_the_qr(tenant_factory):
    tenant = tenant_factory("kahveci", max_stamps=8)
    customer = tenant.customer(name="Ayşe")
    earn(tenant, customer, 120, external_id="p-1")
    earn(tenant, customer, 5, card_type="stamp", external_id="s-1")
    response = logged_in(customer).get("/me/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Ayşe" in page
    assert "data-points>120<" in page
    assert "data-stamps>5<" in page and "data-stamp-goal>8<" in page
    assert page.count('class="dot filled"') == 5
    assert page.count('class="dot"') == 3
    assert 'src="data:image/png;base64,' in page
    assert "/ws/me/" in page


def test_a_session_sees_only_its_own_customer(alice, bob):
    mine = alice.customer(email="ayse@example.com")
    theirs = bob.customer(email="ayse@example.com")
    earn(bob, theirs, 999)
    state = logged_in(mine).get("/me/api/state").json()
    assert state["customer_code"] == mine.code
    assert state["points"] == 0


def test_another_orgs_link_replaces_the_session_customer(alice, bob):
    mine = alice.customer()
    theirs = bob.customer()
    client = logged_in(mine)
    url = issue_login_link(customer=theirs)
    client.get(url[len(settings.SITE_URL) :])
    assert client.get("/me/api/state").json()["customer_code"] == theirs.code
