"""GET /v1/me, /v1/balance and /v1/customer: templates, balances and tiers."""

import uuid

import pytest

from campaigns.cards import add_tier
from kreward.services import set_default_template

pytest_plugins = ["tests.kreward_support"]


def test_me_lists_the_plan_and_templates_stamps_first(kw_alice):
    add_tier(campaign=kw_alice.points, at=100, reward="Tote bag")
    add_tier(campaign=kw_alice.points, at=50, reward="Mug")
    response = kw_alice.get("/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "merchant": "Alice",
        "plan": "growth",
        "templates": [
            {"id": str(kw_alice.stamps.uuid), "name": "Stamp card", "type": "stamps", "goal": 8},
            {"id": str(kw_alice.points.uuid), "name": "Points", "type": "points", "goal": 100},
        ],
    }


def test_a_points_template_without_tiers_has_no_goal(kw_alice):
    templates = kw_alice.get("/v1/me").json()["templates"]
    assert templates[1]["goal"] is None


def test_the_orgs_default_template_comes_first(kw_alice):
    set_default_template(organization=kw_alice.org, campaign=kw_alice.points)
    customer = kw_alice.customer(point_balance=7)
    assert kw_alice.get("/v1/me").json()["templates"][0]["type"] == "points"
    balance = kw_alice.get(f"/v1/balance?email={customer.email}").json()
    assert balance["card_type"] == "points" and balance["balance"] == 7


def test_an_inactive_campaign_is_not_a_template(kw_alice):
    stamps = kw_alice.stamps
    stamps.active = False
    stamps.save()
    templates = kw_alice.get("/v1/me").json()["templates"]
    assert [t["type"] for t in templates] == ["points"]
    customer = kw_alice.customer()
    response = kw_alice.get(f"/v1/balance?email={customer.email}&template_id={stamps.uuid}")
    assert response.json() == {"error": "template_not_found"}


def test_balance_defaults_to_the_stamp_card(kw_alice):
    customer = kw_alice.customer(email="jane@example.com", name="Jane", stamp_count=5)
    response = kw_alice.get("/v1/balance?email=JANE@example.com")
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "card_type": "stamps",
        "balance": 5,
        "goal": 8,
        "name": "Jane",
    }
    assert customer.stamp_count == 5


def test_balance_of_the_points_template(kw_alice):
    customer = kw_alice.customer(point_balance=42)
    response = kw_alice.get(
        f"/v1/balance?email={customer.email}&template_id={kw_alice.points.uuid}"
    )
    assert response.json()["card_type"] == "points"
    assert response.json()["balance"] == 42


@pytest.mark.parametrize(
    "query,body",
    [
        ("", {"error": "missing_parameter", "param": "email"}),
        ("email=", {"error": "missing_parameter", "param": "email"}),
        ("email=nope", {"error": "invalid_parameter", "param": "email"}),
        (
            "email=a@example.com&template_id=x",
            {"error": "invalid_parameter", "param": "template_id"},
        ),
    ],
)
@pytest.mark.parametrize("path", ["/v1/balance", "/v1/customer"])
def test_lookups_validate_their_parameters(kw_alice, path, query, body):
    response = kw_alice.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json() == body


@pytest.mark.parametrize("path", ["/v1/balance", "/v1/customer"])
def test_an_unknown_email_is_not_found(kw_alice, path):
    response = kw_alice.get(f"{path}?email=nobody@example.com")
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}


@pytest.mark.parametrize("path", ["/v1/balance", "/v1/customer"])
def test_an_unknown_template_is_not_found_before_the_customer(kw_alice, path):
    response = kw_alice.get(f"{path}?email=nobody@example.com&template_id={uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"error": "template_not_found"}


@pytest.mark.parametrize("path", ["/v1/balance", "/v1/customer"])
def test_another_orgs_customer_and_template_are_not_found(kw_alice, kw_bob, path):
    bobs = kw_bob.customer(stamp_count=3)
    assert kw_alice.get(f"{path}?email={bobs.email}").json() == {"error": "customer_not_found"}
    mine = kw_alice.customer()
    response = kw_alice.get(f"{path}?email={mine.email}&template_id={kw_bob.stamps.uuid}")
    assert response.json() == {"error": "template_not_found"}


def test_customer_shows_the_card_with_its_tiers(kw_alice):
    add_tier(campaign=kw_alice.stamps, at=4, reward="Free cookie")
    add_tier(campaign=kw_alice.stamps, at=6, reward="Free muffin")
    customer = kw_alice.customer(email="jane@example.com", name="Jane", stamp_count=5)
    response = kw_alice.get("/v1/customer?email=jane@example.com")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["customer"] == {
        "email": "jane@example.com",
        "name": "Jane",
        "card_id": str(uuid.uuid5(kw_alice.stamps.uuid, str(customer.pk))),
        "customer_code": customer.code,
        "created_at": customer.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert body["card"] == {
        "type": "stamps",
        "balance": 5,
        "goal": 8,
        "tiers": [
            {"at": 4, "reward": "Free cookie", "reached": True, "redeemed": False},
            {"at": 6, "reward": "Free muffin", "reached": False, "redeemed": False},
            {"at": 8, "reward": "Free Coffee", "reached": False, "redeemed": False},
        ],
    }


def test_customer_shows_redeemed_tiers(kw_alice):
    add_tier(campaign=kw_alice.points, at=10, reward="Mug")
    customer = kw_alice.customer(point_balance=15)
    redeem = kw_alice.post(
        "/v1/redeem", {"email": customer.email, "at": 10, "template_id": str(kw_alice.points.uuid)}
    )
    assert redeem.status_code == 200
    card = kw_alice.get(
        f"/v1/customer?email={customer.email}&template_id={kw_alice.points.uuid}"
    ).json()["card"]
    assert card == {
        "type": "points",
        "balance": 15,
        "goal": 10,
        "tiers": [{"at": 10, "reward": "Mug", "reached": True, "redeemed": True}],
    }
