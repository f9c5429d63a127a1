"""POST /webhook/redeem: spend stamps (the default card) or points."""

import pytest

from campaigns.models import LedgerEntry
from campaigns.services import ledger_sum


def redeem(tenant, code: int, value, external_id: str = "r-1", **fields):
    return tenant.post(
        "/webhook/redeem",
        {"customer_code": code, "value": value, "external_id": external_id, **fields},
    )


def funded(tenant, *, points: int = 0, stamps: int = 0):
    """A customer whose balances came through the API, so the ledger matches them."""
    customer = tenant.customer()
    if points:
        body = {"customer_code": customer.code, "amount": points, "external_id": "fund-p"}
        assert tenant.post("/webhook/pos", body).status_code == 200
    if stamps:
        body = {
            "customer_code": customer.code,
            "amount": stamps,
            "card_type": "stamp",
            "external_id": "fund-s",
        }
        assert tenant.post("/webhook/pos", body).status_code == 200
    return customer


def test_redeeming_stamps_is_the_default(alice):
    customer = funded(alice, points=20, stamps=5)
    response = redeem(alice, customer.code, 2)
    assert response.status_code == 200
    assert response.json() == {"data": {"stamps": 3, "points": 20}}


def test_redeeming_points(alice):
    customer = funded(alice, points=100)
    response = redeem(alice, customer.code, 30, card_type="point")
    assert response.status_code == 200
    assert response.json() == {"data": {"stamps": 0, "points": 70}}
    customer.refresh_from_db()
    assert customer.point_balance == 70 == ledger_sum(customer=customer, card_type="point")


def test_redeeming_the_whole_balance_leaves_zero(alice):
    customer = funded(alice, points=10)
    response = redeem(alice, customer.code, 10, card_type="point")
    assert response.json()["data"]["points"] == 0


def test_redeeming_more_than_the_balance_is_422(alice):
    customer = funded(alice, points=10, stamps=2)
    for value, card_type in [(11, "point"), (3, "stamp")]:
        response = redeem(alice, customer.code, value, card_type=card_type, external_id=card_type)
        assert response.status_code == 422
        assert response.json()["error"] == "insufficient_balance"
    customer.refresh_from_db()
    assert (customer.point_balance, customer.stamp_count) == (10, 2)
    assert LedgerEntry.objects.filter(customer=customer, reason="redeem").count() == 0


def test_an_insufficient_redeem_can_be_retried_with_the_same_id_once_funded(alice):
    customer = funded(alice, points=5)
    assert redeem(alice, customer.code, 8, card_type="point").status_code == 422
    body = {"customer_code": customer.code, "amount": 5, "external_id": "top-up"}
    alice.post("/webhook/pos", body)
    response = redeem(alice, customer.code, 8, card_type="point")
    assert response.status_code == 200
    assert response.json()["data"]["points"] == 2


def test_redeeming_for_an_unknown_customer_is_404(alice):
    response = redeem(alice, 999999, 1)
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}


def test_redeeming_from_another_orgs_customer_is_404(alice, bob):
    customer = funded(bob, points=50)
    response = redeem(alice, customer.code, 10, card_type="point")
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}
    customer.refresh_from_db()
    assert customer.point_balance == 50


def test_a_redeem_writes_a_negative_ledger_entry(alice):
    customer = funded(alice, points=40)
    redeem(alice, customer.code, 15, card_type="point", external_id="sale-9")
    entry = LedgerEntry.objects.get(customer=customer, reason="redeem")
    assert (entry.delta, entry.balance_after, entry.external_id, entry.source) == (
        -15,
        25,
        "sale-9",
        "webhook",
    )


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"value": 0}, "value"),
        ({"value": -3}, "value"),
        ({"value": 1.5}, "value"),
        ({"value": "5"}, "value"),
        ({"value": True}, "value"),
        ({"value": None}, "value"),
        ({"value": 10**10}, "value"),
        ({"card_type": "gold"}, "card_type"),
        ({"customer_code": "abc"}, "customer_code"),
        ({"customer_code": False}, "customer_code"),
        ({"external_id": 5}, "external_id"),
        ({"external_id": "x" * 129}, "external_id"),
        ({"manual_code": "no"}, "manual_code"),
        ({"verification_pin": 12}, "verification_pin"),
    ],
)
def test_a_wrong_type_or_range_is_invalid_request(alice, fields, bad_field):
    customer = funded(alice, points=10)
    body = {"customer_code": customer.code, "value": 1, "external_id": "r-1", **fields}
    response = alice.post("/webhook/redeem", body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert set(response.json()["fields"]) == {bad_field}


@pytest.mark.parametrize("missing", ["customer_code", "value", "external_id"])
def test_a_missing_required_field_is_invalid_request(alice, missing):
    body = {"customer_code": 123456, "value": 1, "external_id": "r-1"}
    del body[missing]
    response = alice.post("/webhook/redeem", body)
    assert response.status_code == 422
    assert list(response.json()["fields"]) == [missing]


def test_an_integral_json_number_is_a_valid_value(alice):
    customer = funded(alice, points=10)
    response = alice.post(
        "/webhook/redeem",
        raw=f'{{"customer_code": {customer.code}, "value": 4.0, "card_type": "point", '
        f'"external_id": "r"}}'.encode(),
    )
    assert response.status_code == 200
    assert response.json()["data"]["points"] == 6


def test_invalid_body_is_checked_before_the_customer(alice):
    response = alice.post("/webhook/redeem", {"customer_code": 999999, "value": 0})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
