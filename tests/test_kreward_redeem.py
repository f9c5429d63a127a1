"""POST /v1/redeem: claiming tiers; the final stamp tier loops a claim-mode card."""

import pytest

from campaigns.cards import add_tier
from campaigns.models import LedgerEntry, TierClaim
from coupons.models import Coupon
from webhooks.models import Event

pytest_plugins = ["tests.kreward_support"]


@pytest.fixture
def claim_shop(kw_factory):
    tenant = kw_factory("carol", max_stamps=8, reward_mode="claim", reward_name="Free Coffee")
    add_tier(campaign=tenant.stamps, at=4, reward="Free cookie")
    return tenant


def add_stamps(tenant, email: str, delta: int) -> None:
    response = tenant.post("/v1/transaction", {"email": email, "delta": delta})
    assert response.status_code == 200, response.json()


def test_claiming_a_reached_tier_spends_nothing(claim_shop):
    customer = claim_shop.customer(email="jane@example.com")
    add_stamps(claim_shop, "jane@example.com", 5)
    response = claim_shop.post("/v1/redeem", {"email": "jane@example.com", "at": 4})
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "redeemed_at": 4,
        "looped": False,
        "redeemed_tiers": [4],
        "balance_before": 5,
        "balance_after": 5,
        "card_type": "stamps",
    }
    claim = TierClaim.objects.get(customer=customer)
    assert (claim.entry.delta, claim.entry.reason, claim.entry.source) == (0, "claim", "api")


def test_a_tier_is_claimed_once_per_loop(claim_shop):
    claim_shop.customer(email="jane@example.com")
    add_stamps(claim_shop, "jane@example.com", 5)
    claim_shop.post("/v1/redeem", {"email": "jane@example.com", "at": 4})
    response = claim_shop.post("/v1/redeem", {"email": "jane@example.com", "at": 4})
    assert response.status_code == 409
    assert response.json() == {"error": "tier_already_redeemed"}


def test_a_tier_above_the_balance_is_not_reached(claim_shop):
    claim_shop.customer(email="jane@example.com")
    add_stamps(claim_shop, "jane@example.com", 3)
    response = claim_shop.post("/v1/redeem", {"email": "jane@example.com", "at": 4})
    assert response.status_code == 409
    assert response.json() == {"error": "tier_not_reached"}
    assert not TierClaim.objects.exists()


def test_the_final_tier_loops_the_card_keeping_the_overflow(claim_shop):
    customer = claim_shop.customer(email="jane@example.com")
    add_stamps(claim_shop, "jane@example.com", 11)
    claim_shop.post("/v1/redeem", {"email": "jane@example.com", "at": 4})
    response = claim_shop.post("/v1/redeem", {"email": "jane@example.com", "at": 8})
    assert response.json() == {
        "ok": True,
        "redeemed_at": 8,
        "looped": True,
        "redeemed_tiers": [],
        "balance_before": 11,
        "balance_after": 3,
        "card_type": "stamps",
    }
    customer.refresh_from_db()
    assert customer.stamp_count == 3
    spent = Event.objects.get(event="stamp.redeemed")
    assert spent.data["stamps_spent"] == 8 and spent.data["stamps_balance"] == 3
    # every tier re-armed: the cookie can be claimed again once reached
    add_stamps(claim_shop, "jane@example.com", 1)
    again = claim_shop.post("/v1/redeem", {"email": "jane@example.com", "at": 4})
    assert again.status_code == 200
    assert again.json()["redeemed_tiers"] == [4]


def test_the_final_tier_of_a_coupon_mode_card_is_never_claimable(kw_alice):
    kw_alice.customer(email="jane@example.com")
    add_stamps(kw_alice, "jane@example.com", 7)
    response = kw_alice.post("/v1/redeem", {"email": "jane@example.com", "at": 8})
    assert response.status_code == 409
    assert response.json() == {"error": "tier_not_reached"}


def test_a_coupon_mode_fill_re_arms_the_tiers_whichever_surface_filled_it(kw_alice):
    add_tier(campaign=kw_alice.stamps, at=2, reward="Free cookie")
    customer = kw_alice.customer(email="jane@example.com")
    add_stamps(kw_alice, "jane@example.com", 3)
    assert kw_alice.post("/v1/redeem", {"email": customer.email, "at": 2}).status_code == 200
    pos = kw_alice.tenant.post(
        "/webhook/pos",
        {"customer_code": customer.code, "amount": 6, "external_id": "o-1", "card_type": "stamp"},
    )
    assert pos.json()["data"]["coupon"]["name"] == "Free Coffee"
    assert Coupon.objects.filter(customer=customer).count() == 1
    response = kw_alice.post("/v1/redeem", {"email": customer.email, "at": 2})
    assert response.status_code == 409  # 1 stamp left: re-armed but not reached
    assert response.json() == {"error": "tier_not_reached"}
    add_stamps(kw_alice, "jane@example.com", 1)
    assert kw_alice.post("/v1/redeem", {"email": customer.email, "at": 2}).status_code == 200


def test_points_tiers_are_claimed_once_and_never_re_arm(kw_alice):
    add_tier(campaign=kw_alice.points, at=10, reward="Mug")
    customer = kw_alice.customer()
    body = {"email": customer.email, "at": 10, "template_id": str(kw_alice.points.uuid)}
    kw_alice.post(
        "/v1/transaction",
        {"email": customer.email, "delta": 25, "template_id": str(kw_alice.points.uuid)},
    )
    first = kw_alice.post("/v1/redeem", body)
    assert first.json()["card_type"] == "points"
    assert first.json()["balance_after"] == 25 and first.json()["looped"] is False
    assert kw_alice.post("/v1/redeem", body).json() == {"error": "tier_already_redeemed"}


@pytest.mark.parametrize(
    "body,error",
    [
        ({"at": 4}, {"error": "missing_parameter", "param": "email"}),
        ({"email": "jane@example.com"}, {"error": "missing_parameter", "param": "at"}),
        ({"email": "jane@example.com", "at": 0}, {"error": "invalid_parameter", "param": "at"}),
        ({"email": "jane@example.com", "at": -4}, {"error": "invalid_parameter", "param": "at"}),
        ({"email": "jane@example.com", "at": "4"}, {"error": "invalid_parameter", "param": "at"}),
        ({"email": "jane@example.com", "at": 4.5}, {"error": "invalid_parameter", "param": "at"}),
        ({"email": "jane@example.com", "at": 5}, {"error": "invalid_tier"}),
        ({"email": "jane@example.com", "at": 9}, {"error": "invalid_tier"}),
    ],
)
def test_invalid_redeem_bodies(claim_shop, body, error):
    claim_shop.customer(email="jane@example.com")
    add_stamps(claim_shop, "jane@example.com", 9)
    response = claim_shop.post("/v1/redeem", body)
    assert response.status_code == 400
    assert response.json() == error


def test_an_integral_float_at_is_accepted(claim_shop):
    claim_shop.customer(email="jane@example.com")
    add_stamps(claim_shop, "jane@example.com", 4)
    response = claim_shop.post("/v1/redeem", {"email": "jane@example.com", "at": 4.0})
    assert response.status_code == 200


def test_an_unknown_email_is_not_found(claim_shop):
    response = claim_shop.post("/v1/redeem", {"email": "nobody@example.com", "at": 4})
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}


def test_another_orgs_customer_cannot_be_redeemed(claim_shop, kw_bob):
    bobs = kw_bob.customer(stamp_count=0)
    add_stamps(kw_bob, bobs.email, 5)
    response = claim_shop.post("/v1/redeem", {"email": bobs.email, "at": 4})
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}
    response = claim_shop.post(
        "/v1/redeem",
        {"email": claim_shop.customer().email, "at": 4, "template_id": str(kw_bob.stamps.uuid)},
    )
    assert response.json() == {"error": "template_not_found"}
    assert not TierClaim.objects.exists()
    assert LedgerEntry.objects.filter(customer=bobs).count() == 1
