"""The PIN gate through the POS API: every transition and error body, per preset and endpoint.

The PIN is read from the Challenge row, as the customer's dashboard reads it while pending.
Helpers here (Clock, Gate) are shared by the other test_fraud_* modules.
"""

import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns import services as ledger
from campaigns.models import LedgerEntry
from coupons.models import Coupon, CouponStatus
from coupons.services import issue_coupon
from fraud.models import Challenge, ChallengeState, EventKind, VerificationEvent
from loyalite.models import Preset

from .conftest import Tenant

PATHS = {"earn": "/webhook/pos", "redeem": "/webhook/redeem", "coupon": "/webhook/coupons/redeem"}
GATED = {
    Preset.STANDARD: set(),
    Preset.BALANCED: {"redeem", "coupon"},
    Preset.STRICT: {"earn", "redeem", "coupon"},
}
GATED_CASES = [(preset, op) for preset, ops in GATED.items() for op in sorted(ops)]
UNGATED_CASES = [
    (preset, op) for preset in GATED for op in sorted(PATHS) if op not in GATED[preset]
]
ACTIONS = {"earn": "earn", "redeem": "redeem", "coupon": "coupon_redeem"}


class Clock:
    """A controllable `timezone.now`: ticks `tick_us` per read and jumps on demand."""

    def __init__(self, start: datetime.datetime, tick_us: int = 1):
        self.current = start
        self.tick = datetime.timedelta(microseconds=tick_us)

    def __call__(self) -> datetime.datetime:
        self.current += self.tick
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += datetime.timedelta(seconds=seconds)


def install_clock(monkeypatch, tick_us: int = 1) -> Clock:
    """Replaces `timezone.now` (what the services read) with a controllable clock."""
    controllable = Clock(timezone.now(), tick_us)
    monkeypatch.setattr(timezone, "now", controllable)
    return controllable


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return install_clock(monkeypatch)


def wrong(pin: str) -> str:
    return str((int(pin) + 1) % 10 ** len(pin)).zfill(len(pin))


def seed_customer(tenant: Tenant, **fields):
    """A customer with 1000 points, 5 stamps and one unredeemed coupon."""
    customer = tenant.customer(**fields)
    for card_type, amount in (("point", 1000), ("stamp", 5)):
        campaign = ledger.get_campaign(organization=tenant.org, card_type=card_type)
        ledger.earn(customer=customer, campaign=campaign, amount=Decimal(amount), source="manual")
    stamps = ledger.get_campaign(organization=tenant.org, card_type="stamp")
    issue_coupon(customer=customer, campaign=stamps)
    customer.refresh_from_db()
    return customer


@dataclass
class Gate:
    """One gated endpoint for one customer: builds bodies, reads challenges and effects."""

    tenant: Tenant
    op: str
    customer: object
    coupon: Coupon | None = None
    external_id: str = "order-1"
    extra: dict = field(default_factory=dict)

    @property
    def path(self) -> str:
        return PATHS[self.op]

    def body(self, pin: str | None = None, **overrides) -> dict:
        if self.op == "coupon":
            body = {"token": self.coupon.token}
        elif self.op == "earn":
            body = {"customer_code": self.customer.code, "amount": 5}
            body["external_id"] = self.external_id
        else:
            body = {"customer_code": self.customer.code, "value": 5, "card_type": "point"}
            body["external_id"] = self.external_id
        if pin is not None:
            body["verification_pin"] = pin
        return {**body, **self.extra, **overrides}

    def send(self, pin: str | None = None, **overrides):
        return self.tenant.post(self.path, self.body(pin, **overrides))

    def effects(self) -> int:
        """How many times the action has run."""
        if self.op == "coupon":
            self.coupon.refresh_from_db()
            return int(self.coupon.status == CouponStatus.REDEEMED)
        return LedgerEntry.objects.filter(
            customer__organization=self.tenant.org, external_id__startswith="order-"
        ).count()

    def issue(self, **overrides) -> Challenge:
        response = self.send(**overrides)
        assert response.status_code == 412, response.content
        return Challenge.objects.get(pk=response.json()["challenge_id"])


def make_gate(tenant_factory, preset: str, op: str, slug: str = "shop", **org) -> Gate:
    tenant = tenant_factory(slug, preset=preset, **org)
    customer = seed_customer(tenant)
    return Gate(tenant, op, customer, coupon=Coupon.objects.get(customer=customer))


@pytest.fixture
def gate_for(tenant_factory):
    def build(preset: str, op: str, **org) -> Gate:
        return make_gate(tenant_factory, preset, op, **org)

    return build


def events(challenge: Challenge) -> list[str]:
    return list(
        VerificationEvent.objects.filter(challenge=challenge)
        .order_by("created_at", "id")
        .values_list("kind", flat=True)
    )


# --- the matrix -------------------------------------------------------------------------------
@pytest.mark.parametrize(("preset", "op"), UNGATED_CASES)
def test_ungated_actions_run_without_a_pin(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    response = gate.send()
    assert response.status_code == 200, response.content
    assert gate.effects() == 1
    assert not Challenge.objects.exists()


@pytest.mark.parametrize(("preset", "op"), UNGATED_CASES)
def test_ungated_actions_ignore_a_pin_sent_anyway(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    assert gate.send(pin="1234").status_code == 200
    assert gate.effects() == 1


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_a_gated_request_without_a_pin_answers_412_and_changes_nothing(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    response = gate.send()
    assert response.status_code == 412
    challenge = Challenge.objects.get()
    assert response.json() == {
        "error": "pin_required",
        "challenge_id": str(challenge.pk),
        "remaining_attempts": 3,
        "expires_in": 120,
        "pin_length": 4,
    }
    assert gate.effects() == 0
    assert challenge.state == ChallengeState.PENDING
    assert len(challenge.pin) == 4 and challenge.pin.isdigit()
    assert challenge.action == ACTIONS[op]
    assert challenge.organization == gate.tenant.org and challenge.customer == gate.customer
    if op == "coupon":
        assert challenge.coupon == gate.coupon
    else:
        assert challenge.external_id == "order-1"
        assert challenge.amount == "5"


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_the_right_pin_runs_the_action_once_and_consumes_the_challenge(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    challenge = gate.issue()
    response = gate.send(pin=challenge.pin)
    assert response.status_code == 200, response.content
    assert gate.effects() == 1
    challenge.refresh_from_db()
    assert challenge.state == ChallengeState.CONSUMED
    assert challenge.pin == ""
    assert events(challenge) == [EventKind.ISSUED, EventKind.CONSUMED]


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_a_consumed_pin_never_runs_the_action_again(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    pin = gate.issue().pin
    assert gate.send(pin=pin).status_code == 200
    again = gate.send(pin=pin)
    if op == "coupon":
        assert again.status_code == 409
        assert again.json()["error"] == "coupon_already_used"
    else:  # the same external_id replays the stored answer
        assert again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        next_order = gate.send(pin=pin, external_id="order-2")
        assert next_order.status_code == 412
    assert gate.effects() == 1


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_wrong_pins_count_down_and_the_third_kills_the_challenge(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    challenge = gate.issue()
    bad = wrong(challenge.pin)
    first, second, third = (gate.send(pin=bad) for _ in range(3))
    assert (first.status_code, first.json()) == (
        422,
        {"error": "pin_invalid", "challenge_id": str(challenge.pk), "remaining_attempts": 2},
    )
    assert (second.status_code, second.json()["remaining_attempts"]) == (422, 1)
    assert (third.status_code, third.json()) == (
        429,
        {"error": "pin_attempts_exceeded", "challenge_id": str(challenge.pk)},
    )
    right_but_dead = gate.send(pin=challenge.pin)
    assert right_but_dead.status_code == 412
    assert right_but_dead.json()["challenge_id"] != str(challenge.pk)
    assert gate.effects() == 0
    challenge.refresh_from_db()
    assert (challenge.state, challenge.pin, challenge.attempts_left) == ("locked", "", 0)
    assert events(challenge) == [
        EventKind.ISSUED,
        EventKind.PIN_INVALID,
        EventKind.PIN_INVALID,
        EventKind.PIN_INVALID,
        EventKind.ATTEMPTS_EXCEEDED,
    ]


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_a_right_pin_after_a_miss_still_works(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    challenge = gate.issue()
    assert gate.send(pin=wrong(challenge.pin)).status_code == 422
    assert gate.send(pin=challenge.pin).status_code == 200
    assert gate.effects() == 1


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_a_pin_past_its_ttl_is_expired_even_when_right(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    challenge = gate.issue()
    clock.advance(120)
    response = gate.send(pin=challenge.pin)
    assert (response.status_code, response.json()) == (
        422,
        {"error": "pin_expired", "challenge_id": str(challenge.pk)},
    )
    challenge.refresh_from_db()
    assert (challenge.state, challenge.pin) == ("expired", "")
    assert gate.send(pin=challenge.pin or "0000").json()["error"] == "pin_expired"
    fresh = gate.issue()
    assert fresh.pk != challenge.pk
    assert gate.send(pin=fresh.pin).status_code == 200
    assert gate.effects() == 1


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_a_pin_just_inside_its_ttl_works(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    challenge = gate.issue()
    clock.advance(119)
    assert gate.send(pin=challenge.pin).status_code == 200


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_a_new_412_for_the_same_binding_supersedes_the_old_pin(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    old = gate.issue()
    old_pin = old.pin
    new = gate.issue()
    while new.pin == old_pin:  # 1 in 10 000: draw again so the old PIN is really wrong
        new = gate.issue()
    old.refresh_from_db()
    assert (old.state, old.pin) == ("superseded", "")
    assert events(old) == [EventKind.ISSUED, EventKind.SUPERSEDED]
    stale = gate.send(pin=old_pin)
    assert (stale.status_code, stale.json()) == (
        422,
        {"error": "pin_invalid", "challenge_id": str(new.pk), "remaining_attempts": 2},
    )
    assert gate.send(pin=new.pin).status_code == 200
    assert gate.effects() == 1


# --- a PIN never authorises anything else ----------------------------------------------------
CHANGES = {
    "earn": ["amount", "external_id", "customer", "card_type", "action"],
    "redeem": ["amount", "external_id", "customer", "card_type", "action"],
    "coupon": ["coupon", "customer", "action"],
}
BINDING_CASES = [(preset, op, change) for preset, op in GATED_CASES for change in CHANGES[op]]


def _changed_request(gate: Gate, change: str, pin: str):
    """The gate's request with one thing changed, carrying the PIN issued for the original."""
    tenant, code = gate.tenant, gate.customer.code
    if change == "action":  # the same customer and PIN on another endpoint
        if gate.op == "earn":
            body = {"customer_code": code, "value": 5, "card_type": "point"}
            path = PATHS["redeem"]
        else:
            body, path = {"customer_code": code, "amount": 5}, PATHS["earn"]
        return tenant.post(path, {**body, "external_id": "x-1", "verification_pin": pin})
    if gate.op == "coupon":
        owner = gate.customer if change == "coupon" else seed_customer(tenant, code=900001)
        stamps = ledger.get_campaign(organization=tenant.org, card_type="stamp")
        other = issue_coupon(customer=owner, campaign=stamps)
        return tenant.post(gate.path, {"token": other.token, "verification_pin": pin})
    overrides = {
        "amount": {"amount": 6} if gate.op == "earn" else {"value": 6},
        "external_id": {"external_id": "order-2"},
        "customer": {"customer_code": seed_customer(tenant, code=900001).code},
        "card_type": {"card_type": "stamp"},
    }[change]
    return gate.send(pin=pin, **overrides)


@pytest.mark.parametrize(("preset", "op", "change"), BINDING_CASES)
def test_a_right_pin_for_a_different_binding_gets_a_new_412(gate_for, clock, preset, op, change):
    gate = gate_for(preset, op)
    challenge = gate.issue()
    response = _changed_request(gate, change, challenge.pin)
    ungated = change == "action" and "earn" not in GATED[preset]
    if ungated:  # Balanced: the earn runs, needing no PIN; the redeem's challenge is untouched
        assert response.status_code == 200
    else:
        assert response.status_code == 412, response.content
        assert response.json()["challenge_id"] != str(challenge.pk)
    assert gate.effects() == 0
    challenge.refresh_from_db()
    assert challenge.state == ChallengeState.PENDING
    assert gate.send(pin=challenge.pin).status_code == 200
    assert gate.effects() == 1


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_a_pin_sent_before_any_challenge_gets_a_412(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    response = gate.send(pin="1234")
    assert response.status_code == 412
    assert response.json()["error"] == "pin_required"
    assert gate.effects() == 0
    assert not VerificationEvent.objects.filter(kind=EventKind.PIN_INVALID).exists()


# --- per-customer throttles -------------------------------------------------------------------
@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_a_sixth_challenge_in_15_minutes_is_locked(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    for _ in range(5):
        gate.issue()
        clock.advance(60)
    response = gate.send()
    assert response.status_code == 429
    body = response.json()
    assert body == {"error": "pin_locked", "retry_after": body["retry_after"]}
    assert 15 * 60 - 5 * 60 <= body["retry_after"] <= 15 * 60 - 4 * 60 + 1
    assert response.headers["Retry-After"] == str(body["retry_after"])
    assert VerificationEvent.objects.filter(kind=EventKind.LOCKED).count() == 1
    clock.advance(body["retry_after"])
    assert gate.send().status_code == 412


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_the_tenth_wrong_pin_in_24_hours_locks_the_customer(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    statuses = []
    while len(statuses) < 10:
        challenge = gate.issue()
        for _ in range(min(3, 10 - len(statuses))):
            statuses.append(gate.send(pin=wrong(challenge.pin)).status_code)
        clock.advance(15 * 60)
    assert statuses == [422, 422, 429, 422, 422, 429, 422, 422, 429, 429]
    assert VerificationEvent.objects.filter(kind=EventKind.PIN_INVALID).count() == 10
    last = Challenge.objects.order_by("-created_at").first()
    assert (last.state, last.pin) == ("locked", "")
    locked = gate.send()
    assert locked.status_code == 429
    body = locked.json()
    assert body["error"] == "pin_locked" and set(body) == {"error", "retry_after"}
    assert 23 * 3600 - 60 <= body["retry_after"] <= 24 * 3600
    assert locked.headers["Retry-After"] == str(body["retry_after"])
    clock.advance(body["retry_after"] - 2)
    assert gate.send().status_code == 429
    clock.advance(2)
    assert gate.send().status_code == 412


@pytest.mark.parametrize(("preset", "op"), GATED_CASES)
def test_a_locked_customer_cannot_use_even_the_right_pin(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    good = gate.issue(external_id="order-9") if op != "coupon" else None
    while VerificationEvent.objects.filter(kind=EventKind.PIN_INVALID).count() < 10:
        challenge = gate.issue()
        for _ in range(3):
            if VerificationEvent.objects.filter(kind=EventKind.PIN_INVALID).count() < 10:
                gate.send(pin=wrong(challenge.pin))
        clock.advance(15 * 60)
    if good is not None:
        good.refresh_from_db()
        assert (good.state, good.pin) == ("locked", "")  # every pending PIN died with the lock
    response = gate.send(pin="0000")
    assert response.status_code == 429 and response.json()["error"] == "pin_locked"
    assert gate.effects() == 0


def test_throttles_are_per_customer(tenant_factory, clock):
    gate = make_gate(tenant_factory, Preset.STRICT, "redeem")
    for _ in range(5):
        gate.issue()
    assert gate.send().status_code == 429
    other = seed_customer(gate.tenant, code=900002)
    assert gate.send(customer_code=other.code).status_code == 412


# --- manual_code on Strict --------------------------------------------------------------------
@pytest.mark.parametrize("op", sorted(PATHS))
def test_strict_refuses_manual_code_on_every_write(gate_for, clock, op):
    gate = gate_for(Preset.STRICT, op)
    response = gate.send(manual_code=True)
    assert response.status_code == 422
    assert response.json()["error"] == "manual_code_disabled"
    assert gate.effects() == 0
    assert not Challenge.objects.exists()
    event = VerificationEvent.objects.get()
    assert event.kind == EventKind.MANUAL_CODE_REFUSED
    assert (event.organization, event.customer) == (gate.tenant.org, gate.customer)
    assert event.action == ACTIONS[op]
    assert event.client_ip == "127.0.0.1" and event.api_key is not None


def test_strict_refuses_manual_code_before_looking_the_customer_up(gate_for, clock):
    gate = gate_for(Preset.STRICT, "earn")
    response = gate.send(manual_code=True, customer_code=999999)
    assert (response.status_code, response.json()["error"]) == (422, "manual_code_disabled")


@pytest.mark.parametrize("preset", [Preset.STANDARD, Preset.BALANCED])
@pytest.mark.parametrize("op", sorted(PATHS))
def test_standard_and_balanced_allow_manual_code(gate_for, clock, preset, op):
    gate = gate_for(preset, op)
    response = gate.send(manual_code=True)
    assert response.status_code in (200, 412)
    assert response.json().get("error") != "manual_code_disabled"


def test_strict_refuses_a_typed_code_lookup(gate_for, clock):
    gate = gate_for(Preset.STRICT, "earn")
    response = gate.tenant.get(f"/webhook/customer?code={gate.customer.code}")
    assert (response.status_code, response.json()["error"]) == (422, "manual_code_disabled")
    assert VerificationEvent.objects.get().kind == EventKind.MANUAL_CODE_REFUSED


@pytest.mark.parametrize("preset", [Preset.STANDARD, Preset.BALANCED])
def test_standard_and_balanced_allow_a_typed_code_lookup(gate_for, clock, preset):
    gate = gate_for(preset, "earn")
    response = gate.tenant.get(f"/webhook/customer?code={gate.customer.code}")
    assert response.status_code == 200


# --- other org ---------------------------------------------------------------------------------
@pytest.mark.parametrize("op", sorted(PATHS))
def test_another_orgs_customer_or_coupon_is_not_found_even_with_its_pin(tenant_factory, clock, op):
    bob = make_gate(tenant_factory, Preset.STRICT, op, slug="bob")
    alice = make_gate(tenant_factory, Preset.STRICT, op, slug="alice")
    challenge = bob.issue()
    response = alice.tenant.post(bob.path, bob.body(pin=challenge.pin))
    expected = "coupon_not_found" if op == "coupon" else "customer_not_found"
    assert (response.status_code, response.json()["error"]) == (404, expected)
    assert bob.effects() == 0
    challenge.refresh_from_db()
    assert challenge.state == ChallengeState.PENDING


# --- PIN format, storage and audit ------------------------------------------------------------
@pytest.mark.parametrize("op", ["earn", "redeem"])
def test_two_digit_pins_are_an_org_option(gate_for, clock, op):
    gate = gate_for(Preset.STRICT, op, pin_length=2)
    response = gate.send()
    assert response.json()["pin_length"] == 2
    challenge = Challenge.objects.get()
    assert len(challenge.pin) == 2
    assert gate.send(pin=challenge.pin).status_code == 200


def test_leading_zeros_count(gate_for, clock):
    gate = gate_for(Preset.STRICT, "redeem")
    challenge = gate.issue()
    Challenge.objects.filter(pk=challenge.pk).update(pin="0042")
    assert gate.send(pin="42").json()["error"] == "pin_invalid"
    assert gate.send(pin="00042").json()["error"] == "pin_invalid"
    assert gate.send(pin="0042").status_code == 200


def test_pins_come_uniformly_from_all_digits():
    from fraud.services import new_pin

    pins = [new_pin(4) for _ in range(4000)]
    assert all(len(pin) == 4 and pin.isdigit() for pin in pins)
    counts = [sum(pin[0] == digit for pin in pins) for digit in "0123456789"]
    assert min(counts) > 300 and max(counts) < 500  # each leading digit ~400 times
    assert len(set(pins)) > 3000


def test_the_ttl_is_an_org_setting(gate_for, clock):
    gate = gate_for(Preset.BALANCED, "redeem", pin_ttl_seconds=30)
    assert gate.send().json()["expires_in"] == 30
    challenge = Challenge.objects.get()
    clock.advance(30)
    assert gate.send(pin=challenge.pin).json()["error"] == "pin_expired"


def test_the_pin_is_never_logged(gate_for, clock, caplog):
    caplog.set_level(logging.DEBUG)
    gate = gate_for(Preset.STRICT, "redeem")
    challenge = gate.issue()
    Challenge.objects.filter(pk=challenge.pk).update(pin="7391")
    gate.send(pin="7390")
    gate.send(pin="7391")
    assert caplog.records, "logging should have run"
    assert not [r for r in caplog.records if "7391" in r.getMessage()]


def test_every_step_is_audited_with_who_and_what(gate_for, clock):
    gate = gate_for(Preset.STRICT, "redeem")
    challenge = gate.issue()
    gate.send(pin=wrong(challenge.pin))
    gate.send(pin=challenge.pin)
    expired = gate.issue(external_id="order-2")
    clock.advance(121)
    gate.send(pin=expired.pin, external_id="order-2")
    rows = list(VerificationEvent.objects.order_by("created_at", "id"))
    assert [row.kind for row in rows] == [
        EventKind.ISSUED,
        EventKind.PIN_INVALID,
        EventKind.CONSUMED,
        EventKind.ISSUED,
        EventKind.EXPIRED,
    ]
    for row in rows:
        assert row.organization == gate.tenant.org and row.customer == gate.customer
        assert (row.action, row.amount, row.client_ip) == ("redeem", "5", "127.0.0.1")
        assert row.api_key.organization == gate.tenant.org
        assert row.created_at <= timezone.now()


def test_the_audit_trail_is_append_only(gate_for, clock):
    gate = gate_for(Preset.STRICT, "redeem")
    gate.issue()
    event = VerificationEvent.objects.get()
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    with pytest.raises(ValueError):
        VerificationEvent.objects.update(kind="consumed")
    with pytest.raises(ValueError):
        VerificationEvent.objects.all().delete()
    assert VerificationEvent.objects.get().kind == EventKind.ISSUED


def test_an_equal_amount_spelled_differently_is_the_same_binding(gate_for, clock):
    gate = gate_for(Preset.STRICT, "earn")
    challenge = gate.issue(amount=12.5)
    raw = b'{"customer_code": %d, "amount": 12.50, "external_id": "order-1", '
    raw += b'"verification_pin": "%s"}'
    response = gate.tenant.post(gate.path, raw=raw % (gate.customer.code, challenge.pin.encode()))
    assert response.status_code == 200, response.content


def test_a_twin_racing_a_consumed_pin_gets_no_new_challenge(tenant_factory, clock):
    """The twin checked idempotency before the first request committed; its PIN check then
    finds the challenge consumed and must go on to replay, not push a fresh PIN."""
    from fraud import services as fraud
    from fraud.presets import Action
    from loyalite.errors import PinExpired, PinRequired

    tenant = tenant_factory("twins", preset=Preset.BALANCED)
    customer = seed_customer(tenant)
    binding = fraud.Binding(Action.REDEEM, "point", 10, "twin-1")
    actor = fraud.Actor()
    with pytest.raises(PinRequired) as issued:
        fraud.verify(
            organization=tenant.org, customer=customer, binding=binding, pin=None, actor=actor
        )
    challenge = Challenge.objects.get(pk=issued.value.extra["challenge_id"])
    opened = fraud.verify(
        organization=tenant.org, customer=customer, binding=binding, pin=challenge.pin, actor=actor
    )
    fraud.consume(challenge=opened, actor=actor)

    twin = fraud.verify(
        organization=tenant.org, customer=customer, binding=binding, pin="0000", actor=actor
    )

    assert twin.pk == challenge.pk
    assert Challenge.objects.filter(customer=customer).count() == 1
    with pytest.raises(PinExpired):
        fraud.consume(challenge=twin, actor=actor)
