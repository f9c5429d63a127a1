"""external_id: a repeat replays the stored answer; a different body with the same id is 409."""

import pytest

from campaigns.models import LedgerEntry
from coupons.models import Coupon
from webhooks.models import Event


def earn(tenant, code, amount=10, external_id="o-1", **fields):
    body = {"customer_code": code, "amount": amount, "external_id": external_id, **fields}
    return tenant.post("/webhook/pos", body)


def redeem(tenant, code, value=5, external_id="o-1", **fields):
    body = {"customer_code": code, "value": value, "external_id": external_id, **fields}
    return tenant.post("/webhook/redeem", body)


def snapshot(customer) -> tuple:
    customer.refresh_from_db()
    return (
        customer.point_balance,
        customer.stamp_count,
        LedgerEntry.objects.count(),
        Coupon.objects.count(),
        Event.objects.count(),
    )


def test_a_repeated_earn_replays_the_original_answer(alice):
    customer = alice.customer()
    first = earn(alice, customer.code)
    assert "Idempotent-Replayed" not in first
    before = snapshot(customer)
    again = earn(alice, customer.code)
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert snapshot(customer) == before


def test_a_replay_returns_the_balances_of_the_original_request(alice):
    customer = alice.customer()
    first = earn(alice, customer.code, 10, external_id="a").json()
    earn(alice, customer.code, 5, external_id="b")
    assert (
        earn(alice, customer.code, 10, external_id="a").json()
        == first
        == {"data": {"stamps": 0, "points": 10}}
    )


def test_a_repeated_stamp_earn_that_issued_a_coupon_replays_it(alice):
    customer = alice.customer(stamp_count=0)
    body = {"card_type": "stamp", "external_id": "fill"}
    first = earn(alice, customer.code, 10, **body)
    before = snapshot(customer)
    again = earn(alice, customer.code, 10, **body)
    assert again.json() == first.json()
    assert "coupon" in again.json()["data"]
    assert snapshot(customer) == before


def test_a_repeated_redeem_replays_and_spends_once(alice):
    customer = alice.customer()
    earn(alice, customer.code, 20, external_id="fund")
    first = redeem(alice, customer.code, 15, card_type="point", external_id="r")
    before = snapshot(customer)
    # Replays come before the balance check: the answer is the original 200, not 422.
    again = redeem(alice, customer.code, 15, card_type="point", external_id="r")
    assert again.status_code == 200
    assert again.json() == first.json() == {"data": {"stamps": 0, "points": 5}}
    assert again["Idempotent-Replayed"] == "true"
    assert snapshot(customer) == before


@pytest.mark.parametrize(
    "change",
    [{"amount": 11}, {"card_type": "stamp"}, {"amount": 10.5}],
)
def test_the_same_external_id_with_a_different_earn_is_409(alice, change):
    customer = alice.customer()
    earn(alice, customer.code, 10)
    before = snapshot(customer)
    response = earn(alice, customer.code, **{"amount": 10, **change})
    assert response.status_code == 409
    assert response.json()["error"] == "external_id_conflict"
    assert snapshot(customer) == before


def test_the_same_external_id_for_another_customer_is_409(alice):
    customer, other = alice.customer(), alice.customer()
    earn(alice, customer.code)
    response = earn(alice, other.code)
    assert response.status_code == 409
    assert response.json()["error"] == "external_id_conflict"
    assert snapshot(other)[0] == 0


def test_the_same_external_id_with_a_different_redeem_is_409(alice):
    customer = alice.customer()
    earn(alice, customer.code, 50, external_id="fund")
    redeem(alice, customer.code, 5, card_type="point")
    for change in [{"value": 6, "card_type": "point"}, {"value": 5, "card_type": "stamp"}]:
        response = redeem(alice, customer.code, **change)
        assert response.status_code == 409
        assert response.json()["error"] == "external_id_conflict"
    assert snapshot(customer)[0] == 45


def test_the_same_amount_spelled_differently_is_the_same_request(alice):
    customer = alice.customer()
    first = alice.post(
        "/webhook/pos",
        raw=f'{{"customer_code": {customer.code}, "amount": 10, "external_id": "o"}}'.encode(),
    )
    again = alice.post(
        "/webhook/pos",
        raw=f'{{"customer_code": {customer.code}, "amount": 10.0, "external_id": "o"}}'.encode(),
    )
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"


def test_manual_code_and_pin_fields_do_not_change_the_fingerprint(alice):
    customer = alice.customer()
    first = earn(alice, customer.code)
    again = earn(alice, customer.code, manual_code=True)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"


def test_earn_and_redeem_are_separate_namespaces(alice):
    customer = alice.customer()
    assert earn(alice, customer.code, 10, external_id="shared").status_code == 200
    response = redeem(alice, customer.code, 4, card_type="point", external_id="shared")
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert response.json()["data"]["points"] == 6


def test_external_ids_are_scoped_per_org(alice, bob):
    mine, theirs = alice.customer(), bob.customer()
    earn(alice, mine.code, 10, external_id="order-1")
    response = earn(bob, theirs.code, 3, external_id="order-1")
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert response.json()["data"]["points"] == 3


def test_a_failed_request_is_not_stored(alice):
    customer = alice.customer()
    first = redeem(alice, customer.code, 5, card_type="point", external_id="r")
    assert first.status_code == 422
    earn(alice, customer.code, 5, external_id="fund")
    response = redeem(alice, customer.code, 5, card_type="point", external_id="r")
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response


def test_another_orgs_key_cannot_replay_an_answer(alice, bob):
    customer = alice.customer()
    earn(alice, customer.code, 10, external_id="o-1")
    response = earn(bob, customer.code, 10, external_id="o-1")
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}


def test_external_ids_are_case_and_space_sensitive(alice):
    customer = alice.customer()
    earn(alice, customer.code, 1, external_id="Order-1")
    for other_id in ["order-1", "Order-1 ", " Order-1"]:
        response = earn(alice, customer.code, 1, external_id=other_id)
        assert "Idempotent-Replayed" not in response
    assert snapshot(customer)[0] == 4
