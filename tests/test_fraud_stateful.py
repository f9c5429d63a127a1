"""Random request sequences against the POS API on a Strict org, checked against a model.

Hypothesis drives PIN-less requests, right, wrong and foreign PINs, clock jumps and the beat
task over two customers and three endpoints. The model predicts every status and error code;
independently, every effect must have carried the PIN of the pending, unexpired challenge for
exactly its binding, and each external_id / coupon takes effect at most once.
"""

import datetime
import itertools
import random
from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from campaigns.models import LedgerEntry
from coupons.models import Coupon, CouponStatus
from fraud.models import Challenge, ChallengeState
from fraud.services import expire_stale_challenges
from loyalite.models import Preset

from .conftest import make_tenant
from .test_fraud_gate import PATHS, install_clock, seed_customer, wrong

MISS_WINDOW = datetime.timedelta(hours=24)
CHALLENGE_WINDOW = datetime.timedelta(minutes=15)
TTL = datetime.timedelta(seconds=120)
EXTERNAL_IDS = ["e1", "e2"]
_orgs = itertools.count()
OUTCOMES: Counter = Counter()


@dataclass
class Pending:
    challenge_id: str
    pin: str
    expires_at: datetime.datetime
    attempts_left: int = 3


@dataclass
class BindingModel:
    pending: Pending | None = None
    last_state: str | None = None  # state of the binding's newest challenge


class GateMachine(RuleBasedStateMachine):
    clock = None  # installed by the test

    def __init__(self):
        super().__init__()
        self.clock.current = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
        self.tenant = make_tenant(
            f"sm-{next(_orgs)}", preset=Preset.STRICT, rate_pos_per_minute=100_000
        )
        self.tenant.org.paid_until = datetime.date(2031, 1, 1)
        self.tenant.org.save()
        self.customers = [seed_customer(self.tenant, code=500_000 + i) for i in range(2)]
        self.coupons = [Coupon.objects.get(customer=c) for c in self.customers]
        self.bindings: dict[tuple, BindingModel] = {}
        self.misses: dict[int, list] = {0: [], 1: []}
        self.issues: dict[int, list] = {0: [], 1: []}
        self.done: dict[tuple, tuple] = {}  # (op, external_id) → (customer, amount)
        self.coupons_done: set[int] = set()
        self.pins_seen: list[str] = ["0000"]

    # --- the model ----------------------------------------------------------------------------
    def now(self) -> datetime.datetime:
        return self.clock.current

    def miss_locked(self, who: int) -> bool:
        return sum(t >= self.now() - MISS_WINDOW for t in self.misses[who]) >= 10

    def challenge_locked(self, who: int) -> bool:
        return sum(t >= self.now() - CHALLENGE_WINDOW for t in self.issues[who]) >= 5

    def binding(self, key: tuple) -> BindingModel:
        return self.bindings.setdefault(key, BindingModel())

    def predict(self, key: tuple, pin: str | None) -> tuple[int, str]:
        who, op, amount, external_id = key
        if op == "coupon" and who in self.coupons_done:
            return 409, "coupon_already_used"
        if op != "coupon" and (op, external_id) in self.done:
            same = self.done[(op, external_id)] == (who, amount)
            return (200, "replay") if same else (409, "external_id_conflict")
        model = self.binding(key)
        if pin is not None:
            if self.miss_locked(who):
                return 429, "pin_locked"
            pending = model.pending
            if pending is not None:
                if self.now() >= pending.expires_at:
                    model.pending, model.last_state = None, "expired"
                    return 422, "pin_expired"
                if pin == pending.pin:
                    model.pending, model.last_state = None, "consumed"
                    if op == "coupon":
                        self.coupons_done.add(who)
                    else:
                        self.done[(op, external_id)] = (who, amount)
                    return 200, "ok"
                return self.miss(who, model)
            if model.last_state == "expired":
                return 422, "pin_expired"
        if self.miss_locked(who) or self.challenge_locked(who):
            return 429, "pin_locked"
        self.issues[who].append(self.now())
        return 412, "pin_required"

    def miss(self, who: int, model: BindingModel) -> tuple[int, str]:
        self.misses[who].append(self.now())
        model.pending.attempts_left -= 1
        if self.miss_locked(who):
            for key, other in self.bindings.items():
                if key[0] == who and other.pending is not None:
                    other.pending, other.last_state = None, "locked"
            return 429, "pin_locked"
        if model.pending.attempts_left == 0:
            model.pending, model.last_state = None, "locked"
            return 429, "pin_attempts_exceeded"
        return 422, "pin_invalid"

    # --- the system -------------------------------------------------------------------------
    def body(self, key: tuple, pin: str | None) -> dict:
        who, op, amount, external_id = key
        if op == "coupon":
            body = {"token": self.coupons[who].token}
        else:
            body = {"customer_code": self.customers[who].code, "card_type": "point"}
            body.update({"amount" if op == "earn" else "value": amount, "external_id": external_id})
        return body if pin is None else {**body, "verification_pin": pin}

    def pending_row(self, key: tuple) -> Challenge | None:
        """The pending, unexpired challenge for exactly this binding, read from the database."""
        who, op, amount, external_id = key
        rows = Challenge.objects.filter(
            customer=self.customers[who], state=ChallengeState.PENDING, expires_at__gt=self.now()
        )
        if op == "coupon":
            return rows.filter(action="coupon_redeem", coupon=self.coupons[who]).first()
        action = "earn" if op == "earn" else "redeem"
        return rows.filter(action=action, amount=str(amount), external_id=external_id).first()

    def effects(self) -> int:
        ledger = LedgerEntry.objects.filter(customer__in=self.customers).exclude(external_id="")
        coupons = Coupon.objects.filter(pk__in=[c.pk for c in self.coupons])
        return ledger.count() + coupons.filter(status=CouponStatus.REDEEMED).count()

    @rule(
        who=st.integers(0, 1),
        op=st.sampled_from(["earn", "redeem", "coupon"]),
        amount=st.integers(1, 2),
        external_id=st.sampled_from(EXTERNAL_IDS),
        pin_kind=st.sampled_from(["none", "right", "wrong", "seen", "random"]),
        seed=st.integers(0, 10**6),
    )
    def request(self, who, op, amount, external_id, pin_kind, seed):
        key = (who, op, None, None) if op == "coupon" else (who, op, amount, external_id)
        self.send(key, pin_kind, seed)

    @precondition(lambda self: any(m.pending for m in self.bindings.values()))
    @rule(
        index=st.integers(0, 100),
        pin_kind=st.sampled_from(["right", "wrong", "wrong", "seen"]),
        seed=st.integers(0, 10**6),
    )
    def answer(self, index, pin_kind, seed):
        """The POS answers one of the open challenges, as a cashier would."""
        keys = sorted((k for k, m in self.bindings.items() if m.pending), key=str)
        self.send(keys[index % len(keys)], pin_kind, seed)

    def send(self, key: tuple, pin_kind: str, seed: int) -> None:
        op = key[1]
        pending = self.binding(key).pending
        pin = {
            "none": None,
            "right": pending.pin if pending else "1234",
            "wrong": wrong(pending.pin) if pending else "4321",
            "seen": random.Random(seed).choice(self.pins_seen),
            "random": str(random.Random(seed).randrange(10_000)).zfill(4),
        }[pin_kind]
        opened = self.pending_row(key)
        effects_before = self.effects()
        expected = self.predict(key, pin)
        response = self.tenant.post(PATHS[op], self.body(key, pin))
        body = response.json()
        actual = (response.status_code, body.get("error", "ok"))
        if expected[1] == "replay":
            assert response.headers.get("Idempotent-Replayed") == "true"
            actual = (actual[0], "replay")
        assert actual == expected, (key, pin, body)
        OUTCOMES[actual] += 1
        if actual == (200, "ok"):
            assert opened is not None and pin == opened.pin, "an effect without its own PIN"
            assert self.effects() == effects_before + 1
            assert Challenge.objects.get(pk=opened.pk).state == ChallengeState.CONSUMED
        else:
            assert self.effects() == effects_before
        if actual[0] == 412:
            challenge = Challenge.objects.get(pk=body["challenge_id"])
            self.binding(key).pending = Pending(str(challenge.pk), challenge.pin, self.now() + TTL)
            self.binding(key).last_state = "pending"
            self.pins_seen.append(challenge.pin)
        if actual[1] == "pin_invalid":
            assert body["remaining_attempts"] == self.binding(key).pending.attempts_left

    @rule(seconds=st.sampled_from([1, 1, 30, 60, 119, 120, 121, 900, 3600, 86400]))
    def advance(self, seconds):
        self.clock.advance(seconds)

    @rule()
    def beat(self):
        ours = Challenge.objects.filter(customer__in=self.customers, state=ChallengeState.EXPIRED)
        before = ours.count()
        expire_stale_challenges()
        expired = ours.count() - before
        count = 0
        for model in self.bindings.values():
            if model.pending is not None and self.now() >= model.pending.expires_at:
                model.pending, model.last_state = None, "expired"
                count += 1
        assert expired == count

    @invariant()
    def pins_live_only_while_pending(self):
        rows = Challenge.objects.filter(customer__in=self.customers)
        assert not rows.exclude(state=ChallengeState.PENDING).exclude(pin="").exists()
        assert not rows.filter(state=ChallengeState.PENDING, pin="").exists()
        pending = list(rows.filter(state=ChallengeState.PENDING).values_list("binding", flat=True))
        assert len(pending) == len(set(pending)), "two live PINs for one binding"

    @invariant()
    def each_effect_at_most_once(self):
        ledger = LedgerEntry.objects.filter(customer__in=self.customers).exclude(external_id="")
        keys = list(ledger.values_list("reason", "external_id"))
        assert len(keys) == len(set(keys)) == len(self.done)


@pytest.mark.slow
def test_no_action_runs_without_the_right_pin_for_exactly_its_binding(db, monkeypatch):
    GateMachine.clock = install_clock(monkeypatch, tick_us=0)
    run_state_machine_as_test(
        GateMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    print(dict(OUTCOMES))
    seen = {error for _, error in OUTCOMES}
    assert seen >= {"ok", "pin_required", "pin_invalid", "pin_expired", "pin_attempts_exceeded"}
