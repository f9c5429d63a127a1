"""Brute force: an attacker with a customer's code and an API key on a 4-digit Strict org.

The attacker asks for challenges and guesses PINs as fast as the throttles allow for 24
simulated hours. First the guess budget is measured through the HTTP API; then many attacks
run against the service layer with a fast clock and the success rate is compared with the
budget's bound, 1 - prod(1 - k_i / 10^digits) for k_i distinct guesses on challenge i.
"""

import datetime
import math
import random
from dataclasses import dataclass, field

import pytest

from fraud import services as fraud
from fraud.models import EventKind, VerificationEvent
from fraud.presets import Action
from loyalite.errors import PinAttemptsExceeded, PinInvalid, PinLocked, PinRequired
from loyalite.models import Preset

from .test_fraud_gate import install_clock, make_gate, seed_customer, wrong

DAY = datetime.timedelta(hours=24)
TARGET = 0.001


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


def bound(guesses_per_challenge: list[int], digits: int) -> float:
    """The best attacker's success chance with k_i distinct guesses at each fresh PIN."""
    space = 10**digits
    return 1 - math.prod(1 - k / space for k in guesses_per_challenge)


def binomial(n: int, p: float, ks: range) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in ks)


def binomial_tail(n: int, p: float, at_least: int) -> float:
    return binomial(n, p, range(at_least, n + 1))


@pytest.mark.slow
def test_the_throttles_allow_ten_guesses_a_day_through_the_api(tenant_factory, clock):
    gate = make_gate(tenant_factory, Preset.STRICT, "redeem")
    end = clock.current + DAY
    per_challenge: list[int] = []
    order = 0
    while clock.current < end:
        order += 1
        response = gate.send(external_id=f"order-{order}")
        if response.status_code == 429:  # pin_locked: wait exactly as long as told
            assert response.json()["error"] == "pin_locked"
            clock.advance(int(response.headers["Retry-After"]))
            continue
        challenge_id = response.json()["challenge_id"]
        pin = gate.tenant.org.challenges.get(pk=challenge_id).pin
        guesses = 0
        for _ in range(3):  # always wrong: this measures the most a day allows
            answer = gate.send(pin=wrong(pin), external_id=f"order-{order}")
            errors = {"pin_invalid", "pin_attempts_exceeded", "pin_locked"}
            assert answer.json()["error"] in errors
            guesses += 1
            if answer.status_code == 429:
                break
        per_challenge.append(guesses)
    misses = VerificationEvent.objects.filter(kind=EventKind.PIN_INVALID, customer=gate.customer)
    print(f"guesses in 24 h: {sum(per_challenge)} as {per_challenge}")
    assert sum(per_challenge) == misses.count() == 10
    assert max(per_challenge) == 3
    assert bound(per_challenge, digits=4) < TARGET


@dataclass
class Attack:
    """One attacker against one customer for 24 simulated hours, through the services."""

    organization: object
    customer: object
    clock: object
    rng: random.Random
    guesses: list[int] = field(default_factory=list)

    def run(self) -> bool:
        end = self.clock.current + DAY
        order = 0
        while self.clock.current < end:
            order += 1
            binding = fraud.Binding(Action.REDEEM, "point", 5, f"attack-{order}")
            try:
                self.verify(binding, None)
            except PinLocked as locked:
                self.clock.advance(locked.extra["retry_after"])
                continue
            except PinRequired:
                pass
            if self.guess(binding):
                return True
        return False

    def guess(self, binding: fraud.Binding) -> bool:
        """Up to 3 distinct guesses at the fresh PIN; True if one was right."""
        digits = self.organization.pin_length
        candidates = self.rng.sample(range(10**digits), 3)
        self.guesses.append(0)
        for candidate in candidates:
            self.guesses[-1] += 1
            try:
                self.verify(binding, str(candidate).zfill(digits))
                return True
            except PinInvalid:
                continue
            except (PinAttemptsExceeded, PinLocked):
                return False
        return False

    def verify(self, binding: fraud.Binding, pin: str | None):
        return fraud.verify(
            organization=self.organization,
            customer=self.customer,
            binding=binding,
            pin=pin,
            actor=fraud.Actor(client_ip="203.0.113.9"),
        )


def run_attacks(tenant_factory, clock, *, digits: int, trials: int) -> tuple[int, list[list[int]]]:
    """(successes, distinct guesses per challenge for each attack)."""
    gate = make_gate(tenant_factory, Preset.STRICT, "redeem", slug=f"pins-{digits}")
    gate.tenant.org.pin_length = digits
    gate.tenant.org.save()
    rng = random.Random(digits)
    successes, budgets = 0, []
    for trial in range(trials):
        customer = seed_customer(gate.tenant, code=200_000 + trial)
        attack = Attack(gate.tenant.org, customer, clock, rng)
        successes += attack.run()
        budgets.append(attack.guesses)
    return successes, budgets


@pytest.mark.slow
def test_the_attack_harness_matches_the_bound_on_two_digit_pins(tenant_factory, clock):
    """On 100 PINs the success rate is large enough to measure: it must match the bound."""
    trials = 150
    successes, budgets = run_attacks(tenant_factory, clock, digits=2, trials=trials)
    expected = bound([3, 3, 3, 1], digits=2)  # 9.6 %
    print(f"2 digits: {successes}/{trials} = {successes / trials:.2%}, bound {expected:.2%}")
    assert max(sum(guesses) for guesses in budgets) <= 10
    assert binomial_tail(trials, expected, successes) > 1e-4, "more successes than 10 guesses"
    assert binomial(trials, expected, range(successes + 1)) > 1e-4, "the harness is not attacking"


@pytest.mark.slow
def test_a_day_of_brute_force_on_a_4_digit_strict_org_succeeds_under_0_1_percent(
    tenant_factory, clock
):
    """Each attack's chance is exact given the guesses the service let it make (the PIN is
    uniform, as the 2-digit harness confirms); their mean is the success rate."""
    trials = 200
    successes, budgets = run_attacks(tenant_factory, clock, digits=4, trials=trials)
    rate = sum(bound(guesses, digits=4) for guesses in budgets) / trials
    guesses_per_day = max(sum(guesses) for guesses in budgets)
    print(
        f"4 digits: guesses/24 h {guesses_per_day}, success rate {rate:.4%}, "
        f"observed hits {successes}/{trials}"
    )
    assert guesses_per_day <= 10
    assert rate < TARGET
    # With a true rate of 0.1 % this many hits would happen less than once in 10 000 runs.
    assert binomial_tail(trials, TARGET, successes) > 1e-4
