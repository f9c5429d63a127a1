"""POST /v1/transaction: a signed delta on a card, over the shared ledger."""

import pytest

from campaigns.models import LedgerEntry
from campaigns.services import ledger_sum
from coupons.models import Coupon
from webhooks.models import Event

pytest_plugins = ["tests.kreward_support"]


def points_body(tenant, email: str, delta, **extra) -> dict:
    return {"email": email, "delta": delta, "template_id": str(tenant.points.uuid), **extra}


def test_a_positive_delta_adds_points_as_given(kw_alice):
    kw_alice.points.earn_ratio = 3
    kw_alice.points.save()
    customer = kw_alice.customer(point_balance=10)
    response = kw_alice.post("/v1/transaction", points_body(kw_alice, customer.email, 25))
    assert response.status_code == 200
    body = response.json()
    entry = LedgerEntry.objects.get(customer=customer)
    assert body == {
        "ok": True,
        "new_balance": 35,
        "card_type": "points",
        "goal": None,
        "transaction_id": entry.pk,
        "balance_before": 10,
    }
    assert (entry.delta, entry.source, entry.reason) == (25, "api", "earn")
    event = Event.objects.get(event="points.earned")
    assert event.data["points_added"] == 25 and event.data["source"] == "api"


def test_a_negative_delta_deducts(kw_alice):
    customer = kw_alice.customer(email="jane@example.com")
    kw_alice.post("/v1/transaction", points_body(kw_alice, "jane@example.com", 30))
    response = kw_alice.post(
        "/v1/transaction", points_body(kw_alice, "Jane@Example.com", -12, note="refund")
    )
    assert response.json()["new_balance"] == 18
    assert response.json()["balance_before"] == 30
    entry = LedgerEntry.objects.filter(customer=customer).first()
    assert (entry.delta, entry.reason, entry.note) == (-12, "redeem", "refund")
    assert Event.objects.filter(event="points.spent").get().data["points_spent"] == 12


def test_a_deduction_below_zero_is_refused_and_writes_nothing(kw_alice):
    customer = kw_alice.customer()
    kw_alice.post("/v1/transaction", points_body(kw_alice, customer.email, 5))
    response = kw_alice.post("/v1/transaction", points_body(kw_alice, customer.email, -6))
    assert response.status_code == 409
    assert response.json() == {"error": "insufficient_balance"}
    customer.refresh_from_db()
    assert customer.point_balance == 5
    assert LedgerEntry.objects.filter(customer=customer).count() == 1
    assert not Event.objects.filter(event="points.spent").exists()


def test_stamps_fill_a_coupon_mode_card_and_carry_over(kw_alice):
    customer = kw_alice.customer(email="jane@example.com")
    kw_alice.post("/v1/transaction", {"email": "jane@example.com", "delta": 6})
    response = kw_alice.post("/v1/transaction", {"email": "jane@example.com", "delta": 5})
    body = response.json()
    assert response.status_code == 200
    assert body["card_type"] == "stamps" and body["goal"] == 8
    assert body["balance_before"] == 6 and body["new_balance"] == 3
    coupon = Coupon.objects.get(customer=customer)
    assert body["coupon"]["id"] == coupon.pk
    assert body["coupon"]["name"] == "Free Coffee"
    assert body["coupon"]["qr_token"] == coupon.token
    assert [e.event for e in Event.objects.order_by("occurred_at")][-2:] == [
        "stamp.earned",
        "stamp.redeemed",
    ]
    assert ledger_sum(customer=customer, card_type="stamp") == 3


def test_no_coupon_key_without_a_fill(kw_alice):
    customer = kw_alice.customer()
    body = kw_alice.post("/v1/transaction", {"email": customer.email, "delta": 2}).json()
    assert "coupon" not in body


def test_a_coupon_mode_delta_above_the_goal_is_invalid(kw_alice):
    customer = kw_alice.customer()
    response = kw_alice.post("/v1/transaction", {"email": customer.email, "delta": 9})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_parameter", "param": "delta"}


def test_claim_mode_stamps_accumulate_past_the_goal(kw_factory):
    tenant = kw_factory("carol", max_stamps=8, reward_mode="claim")
    customer = tenant.customer()
    body = tenant.post("/v1/transaction", {"email": customer.email, "delta": 20}).json()
    assert body["new_balance"] == 20
    assert "coupon" not in body
    assert not Coupon.objects.exists()


JANE = "jane@example.com"
MISSING, INVALID = "missing_parameter", "invalid_parameter"


@pytest.mark.parametrize(
    "body,code,param",
    [
        ({"delta": 1}, MISSING, "email"),
        ({"email": JANE}, MISSING, "delta"),
        ({"email": JANE, "delta": None}, MISSING, "delta"),
        ({"email": JANE, "delta": 0}, INVALID, "delta"),
        ({"email": JANE, "delta": "3"}, INVALID, "delta"),
        ({"email": JANE, "delta": True}, INVALID, "delta"),
        ({"email": JANE, "delta": 1.5}, INVALID, "delta"),
        ({"email": JANE, "delta": 100001}, INVALID, "delta"),
        ({"email": JANE, "delta": -100001}, INVALID, "delta"),
        ({"email": JANE, "delta": 1, "note": "x" * 256}, INVALID, "note"),
        ({"email": JANE, "delta": 1, "note": 5}, INVALID, "note"),
        ({"email": "jane", "delta": 1}, INVALID, "email"),
    ],
)
def test_invalid_bodies_name_the_parameter(kw_alice, body, code, param):
    kw_alice.customer(email=JANE)
    response = kw_alice.post("/v1/transaction", body)
    assert response.status_code == 400
    assert response.json() == {"error": code, "param": param}
    assert not LedgerEntry.objects.exists()


def test_an_integral_float_delta_is_accepted(kw_alice):
    customer = kw_alice.customer()
    response = kw_alice.post("/v1/transaction", points_body(kw_alice, customer.email, 3.0))
    assert response.status_code == 200
    assert response.json()["new_balance"] == 3


def test_a_huge_exponent_is_invalid_not_slow(kw_alice):
    customer = kw_alice.customer()
    raw = f'{{"email": "{customer.email}", "delta": 1e999999}}'.encode()
    response = kw_alice.post("/v1/transaction", raw=raw)
    assert response.json() == {"error": "invalid_parameter", "param": "delta"}


def test_body_errors_come_before_lookups(kw_alice):
    response = kw_alice.post("/v1/transaction", {"email": "nobody@example.com", "delta": "x"})
    assert response.json() == {"error": "invalid_parameter", "param": "delta"}


def test_an_unknown_email_is_not_found(kw_alice):
    response = kw_alice.post("/v1/transaction", {"email": "nobody@example.com", "delta": 1})
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}


def test_another_orgs_customer_is_not_found_and_unchanged(kw_alice, kw_bob):
    bobs = kw_bob.customer(point_balance=0)
    response = kw_alice.post("/v1/transaction", {"email": bobs.email, "delta": 1})
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}
    response = kw_alice.post(
        "/v1/transaction",
        {"email": kw_alice.customer().email, "delta": 1, "template_id": str(kw_bob.points.uuid)},
    )
    assert response.json() == {"error": "template_not_found"}
    bobs.refresh_from_db()
    assert (bobs.point_balance, bobs.stamp_count) == (0, 0)
    assert not LedgerEntry.objects.exists()
