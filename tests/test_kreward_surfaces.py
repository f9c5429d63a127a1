"""Both surfaces over one ledger: POS and /v1 see, audit and announce each other's changes."""

import random
import threading

import pytest
from django.db import connection
from django.test import Client

from campaigns.cards import add_tier
from campaigns.models import LedgerEntry
from campaigns.services import ledger_sum
from webhooks.models import Event

from .kreward_support import kreward_tenant

pytest_plugins = ["tests.kreward_support"]


def test_a_pos_earn_shows_in_the_v1_balance(kw_alice):
    customer = kw_alice.customer(email="jane@example.com")
    kw_alice.tenant.post(
        "/webhook/pos", {"customer_code": customer.code, "amount": 3, "external_id": "o-1",
                         "card_type": "stamp"},
    )  # fmt: skip
    body = kw_alice.get("/v1/balance?email=jane@example.com").json()
    assert body["balance"] == 3


def test_a_v1_transaction_shows_in_the_pos_lookup(kw_alice):
    customer = kw_alice.customer(email="jane@example.com")
    kw_alice.post(
        "/v1/transaction",
        {"email": "jane@example.com", "delta": 40, "template_id": str(kw_alice.points.uuid)},
    )
    kw_alice.post("/v1/transaction", {"email": "jane@example.com", "delta": 2})
    data = kw_alice.tenant.get(f"/webhook/customer?code={customer.code}").json()["data"]
    assert data["point_balance"] == 40 and data["stamp_count"] == 2


def test_events_and_the_ledger_show_both_surfaces(kw_alice):
    customer = kw_alice.customer(email="jane@example.com")
    kw_alice.tenant.post(
        "/webhook/pos", {"customer_code": customer.code, "amount": 10, "external_id": "o-1"}
    )
    kw_alice.post(
        "/v1/transaction",
        {"email": "jane@example.com", "delta": -4, "template_id": str(kw_alice.points.uuid)},
    )
    sources = [e.source for e in LedgerEntry.objects.filter(customer=customer).order_by("id")]
    assert sources == ["webhook", "api"]
    events = Event.objects.filter(organization=kw_alice.org).order_by("occurred_at")
    assert [(e.event, e.data["source"]) for e in events] == [
        ("points.earned", "webhook"),
        ("points.spent", "api"),
    ]
    assert set(events[0].data) == set(events[1].data) - {"points_spent"} | {"points_added"}


def test_claim_mode_pos_earns_never_issue_coupons_and_keep_the_request_limit(kw_factory):
    tenant = kw_factory("carol", max_stamps=4, reward_mode="claim")
    customer = tenant.customer(email="jane@example.com")
    for order in range(3):
        response = tenant.tenant.post(
            "/webhook/pos",
            {"customer_code": customer.code, "amount": 3, "external_id": f"o-{order}",
             "card_type": "stamp"},
        )  # fmt: skip
        assert "coupon" not in response.json()["data"]
    assert tenant.get("/v1/balance?email=jane@example.com").json()["balance"] == 9
    too_many = tenant.tenant.post(
        "/webhook/pos",
        {"customer_code": customer.code, "amount": 5, "external_id": "o-9", "card_type": "stamp"},
    )
    assert too_many.json()["error"] == "stamp_limit_exceeded"
    looped = tenant.post("/v1/redeem", {"email": "jane@example.com", "at": 4}).json()
    assert looped["balance_after"] == 5 and looped["looped"] is True


def test_another_orgs_pos_key_cannot_see_v1_changes(kw_alice, kw_bob):
    customer = kw_alice.customer(email="jane@example.com")
    kw_alice.post("/v1/transaction", {"email": "jane@example.com", "delta": 2})
    response = kw_bob.tenant.get(f"/webhook/customer?code={customer.code}")
    assert response.status_code == 404


@pytest.mark.postgres
def test_the_ledger_sums_to_the_balance_after_mixed_concurrent_calls(postgres_db):
    tenant = kreward_tenant("erin", max_stamps=5)
    add_tier(campaign=tenant.stamps, at=2, reward="Cookie")
    customer = tenant.customer(email="jane@example.com")
    points = str(tenant.points.uuid)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine, pos = tenant.fresh(), Client()
        try:
            for step in range(8):
                choice = rng.choice(["pos_points", "pos_stamps", "v1_points", "v1_stamps",
                                     "v1_spend", "v1_redeem"])  # fmt: skip
                if choice.startswith("pos"):
                    card_type = "point" if choice == "pos_points" else "stamp"
                    response = pos.post(
                        "/webhook/pos",
                        data={"customer_code": customer.code, "amount": rng.randint(1, 4),
                              "external_id": f"{seed}-{step}", "card_type": card_type},
                        content_type="application/json",
                        HTTP_X_API_KEY=tenant.tenant.key,
                    )  # fmt: skip
                elif choice == "v1_redeem":
                    response = mine.post("/v1/redeem", {"email": customer.email, "at": 2})
                else:
                    body = {"email": customer.email, "delta": rng.randint(1, 4)}
                    if choice == "v1_spend":
                        body["delta"] = -body["delta"]
                    if choice != "v1_stamps":
                        body["template_id"] = points
                    response = mine.post("/v1/transaction", body)
                assert response.status_code in (200, 409, 422), response.content
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    customer.refresh_from_db()
    assert ledger_sum(customer=customer, card_type="point") == customer.point_balance
    assert ledger_sum(customer=customer, card_type="stamp") == customer.stamp_count
    sources = set(LedgerEntry.objects.filter(customer=customer).values_list("source", flat=True))
    assert sources == {"webhook", "api"}
    v1 = tenant.get("/v1/balance?email=jane@example.com").json()["balance"]
    assert v1 == customer.stamp_count
