"""Idempotency-Key on POST /v1/enroll, /v1/transaction and /v1/redeem."""

import threading

import pytest
from django.db import connection

from campaigns.cards import add_tier
from campaigns.models import LedgerEntry
from customers.models import Customer
from loyalite.models import IdempotencyRecord

from .kreward_support import kreward_tenant

pytest_plugins = ["tests.kreward_support"]


def test_a_repeated_transaction_replays_the_first_answer(kw_alice):
    customer = kw_alice.customer()
    body = {"email": customer.email, "delta": 3}
    first = kw_alice.post("/v1/transaction", body, HTTP_IDEMPOTENCY_KEY="order-1")
    second = kw_alice.post("/v1/transaction", body, HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    customer.refresh_from_db()
    assert customer.stamp_count == 3
    assert LedgerEntry.objects.filter(customer=customer).count() == 1


def test_the_same_key_with_another_body_conflicts(kw_alice):
    customer = kw_alice.customer()
    kw_alice.post(
        "/v1/transaction", {"email": customer.email, "delta": 3}, HTTP_IDEMPOTENCY_KEY="k"
    )
    response = kw_alice.post(
        "/v1/transaction", {"email": customer.email, "delta": 4}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 409
    assert response.json() == {"error": "idempotency_key_conflict"}


def test_without_a_key_every_call_applies(kw_alice):
    customer = kw_alice.customer()
    for _ in range(2):
        kw_alice.post("/v1/transaction", {"email": customer.email, "delta": 3})
    customer.refresh_from_db()
    assert customer.stamp_count == 6


def test_keys_are_scoped_per_endpoint(kw_alice):
    add_tier(campaign=kw_alice.stamps, at=2, reward="Cookie")
    customer = kw_alice.customer()
    kw_alice.post(
        "/v1/transaction", {"email": customer.email, "delta": 3}, HTTP_IDEMPOTENCY_KEY="same"
    )
    response = kw_alice.post(
        "/v1/redeem", {"email": customer.email, "at": 2}, HTTP_IDEMPOTENCY_KEY="same"
    )
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response


def test_keys_are_shared_by_every_key_pair_of_the_org(kw_alice):
    from kreward.services import create_key_pair

    other = create_key_pair(organization=kw_alice.org, label="second").secret_key
    customer = kw_alice.customer()
    body = {"email": customer.email, "delta": 2}
    kw_alice.post("/v1/transaction", body, HTTP_IDEMPOTENCY_KEY="k")
    response = kw_alice.post("/v1/transaction", body, key=other, HTTP_IDEMPOTENCY_KEY="k")
    assert response["Idempotent-Replayed"] == "true"


def test_keys_of_another_org_do_not_collide(kw_alice, kw_bob):
    alices, bobs = kw_alice.customer(), kw_bob.customer()
    kw_alice.post("/v1/transaction", {"email": alices.email, "delta": 2}, HTTP_IDEMPOTENCY_KEY="k")
    response = kw_bob.post(
        "/v1/transaction", {"email": bobs.email, "delta": 5}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    bobs.refresh_from_db()
    assert bobs.stamp_count == 5


def test_a_refused_call_is_not_stored(kw_alice):
    customer = kw_alice.customer()
    body = {"email": customer.email, "delta": -1}
    assert kw_alice.post("/v1/transaction", body, HTTP_IDEMPOTENCY_KEY="k").status_code == 409
    assert not IdempotencyRecord.objects.exists()


def test_a_repeated_enroll_replays(kw_alice):
    body = {"email": "jane@example.com"}
    first = kw_alice.post("/v1/enroll", body, HTTP_IDEMPOTENCY_KEY="signup-1")
    second = kw_alice.post("/v1/enroll", body, key="public", HTTP_IDEMPOTENCY_KEY="signup-1")
    assert second.json() == first.json()
    assert second.json()["is_new"] is True
    assert second["Idempotent-Replayed"] == "true"


def test_a_repeated_redeem_replays_without_claiming_twice(kw_alice):
    add_tier(campaign=kw_alice.stamps, at=2, reward="Cookie")
    customer = kw_alice.customer()
    kw_alice.post("/v1/transaction", {"email": customer.email, "delta": 3})
    body = {"email": customer.email, "at": 2}
    first = kw_alice.post("/v1/redeem", body, HTTP_IDEMPOTENCY_KEY="r")
    second = kw_alice.post("/v1/redeem", body, HTTP_IDEMPOTENCY_KEY="r")
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"


def test_a_key_longer_than_255_is_invalid(kw_alice):
    customer = kw_alice.customer()
    response = kw_alice.post(
        "/v1/transaction", {"email": customer.email, "delta": 1}, HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_parameter", "param": "Idempotency-Key"}


def test_lookups_come_before_the_replay(kw_alice):
    customer = kw_alice.customer()
    body = {"email": customer.email, "delta": 1}
    kw_alice.post("/v1/transaction", body, HTTP_IDEMPOTENCY_KEY="k")
    Customer.objects.filter(pk=customer.pk).update(email="renamed@example.com")
    response = kw_alice.post("/v1/transaction", body, HTTP_IDEMPOTENCY_KEY="k")
    assert response.json() == {"error": "customer_not_found"}


@pytest.mark.postgres
def test_concurrent_duplicates_take_effect_once(postgres_db):
    tenant = kreward_tenant("dora")
    customer = tenant.customer()
    body = {"email": customer.email, "delta": 2}
    answers = []

    def call() -> None:
        try:
            response = tenant.fresh().post("/v1/transaction", body, HTTP_IDEMPOTENCY_KEY="race")
            answers.append((response.status_code, response.json()["new_balance"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [(200, 2)] * 6
    customer.refresh_from_db()
    assert customer.stamp_count == 2
    assert LedgerEntry.objects.filter(customer=customer).count() == 1
