"""The right PIN sent twice at once has one effect (PostgreSQL, real threads)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from campaigns.models import LedgerEntry
from coupons.models import CouponStatus
from fraud.models import Challenge, ChallengeState
from loyalite.models import Preset

from .test_fraud_gate import make_gate, seed_customer

ROUNDS = 4


def post_twice_at_once(gate, body: dict) -> list:
    """Two POS terminals send the same request with the same PIN at the same moment."""
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def send(slot: int) -> None:
        try:
            client = Client()
            barrier.wait()
            responses[slot] = client.post(
                gate.path, body, content_type="application/json", HTTP_X_API_KEY=gate.tenant.key
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return responses


@pytest.mark.postgres
@pytest.mark.parametrize("preset", [Preset.BALANCED, Preset.STRICT])
def test_the_right_pin_twice_in_parallel_redeems_once(postgres_db, tenant_factory, preset):
    gate = make_gate(tenant_factory, preset, "redeem")
    for round_ in range(ROUNDS):  # a fresh customer each round: the losers' 412s count too
        gate.customer = seed_customer(gate.tenant, code=300_000 + round_)
        gate.external_id = f"order-{round_}"
        challenge = gate.issue()
        responses = post_twice_at_once(gate, gate.body(pin=challenge.pin))
        statuses = sorted(r.status_code for r in responses)
        assert 200 in statuses, [r.content for r in responses]
        for response in responses:  # the twin replays the answer or is asked for a new PIN
            assert response.status_code in (200, 412), response.content
        if statuses == [200, 200]:
            assert responses[0].json() == responses[1].json()
        assert LedgerEntry.objects.filter(external_id=gate.external_id).count() == 1
        assert Challenge.objects.get(pk=challenge.pk).state == ChallengeState.CONSUMED
        gate.customer.refresh_from_db()
        assert gate.customer.point_balance == 1000 - 5


@pytest.mark.postgres
@pytest.mark.parametrize("preset", [Preset.BALANCED, Preset.STRICT])
def test_the_right_pin_twice_in_parallel_redeems_a_coupon_once(postgres_db, tenant_factory, preset):
    gate = make_gate(tenant_factory, preset, "coupon")
    challenge = gate.issue()
    responses = post_twice_at_once(gate, gate.body(pin=challenge.pin))
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([200, 409], [200, 412]), [r.content for r in responses]
    loser = next(r for r in responses if r.status_code != 200)
    assert loser.json()["error"] in ("coupon_already_used", "pin_required")
    gate.coupon.refresh_from_db()
    assert gate.coupon.status == CouponStatus.REDEEMED
    assert Challenge.objects.get(pk=challenge.pk).state == ChallengeState.CONSUMED


@pytest.mark.postgres
def test_parallel_earns_with_one_pin_earn_once_on_strict(postgres_db, tenant_factory):
    gate = make_gate(tenant_factory, Preset.STRICT, "earn")
    challenge = gate.issue()
    responses = post_twice_at_once(gate, gate.body(pin=challenge.pin))
    assert 200 in [r.status_code for r in responses]
    assert LedgerEntry.objects.filter(external_id="order-1").count() == 1
    gate.customer.refresh_from_db()
    assert gate.customer.point_balance == 1000 + int(Decimal(5))
