"""The PIN gate: issue, verify and consume challenges, throttle, and audit every step.

Adapters call `check_manual_code` early, `verify` just before the commit, and `consume`
inside the commit's transaction, so a PIN authorises exactly one effect.

Lock order, everywhere: the customer's row, then their challenges. `verify` and `consume`
run in different transactions of one request and race with other requests for the same
customer; one order keeps PostgreSQL from deadlocking them.
"""

import datetime
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from coupons.models import Coupon
from customers.models import Customer
from loyalite.errors import (
    DomainError,
    ManualCodeDisabled,
    PinAttemptsExceeded,
    PinExpired,
    PinInvalid,
    PinLocked,
    PinRequired,
)
from loyalite.models import ApiKey, Organization
from loyalite.tasks import enqueue_on_commit

from .models import MAX_ATTEMPTS, Challenge, ChallengeState, EventKind, VerificationEvent
from .presets import Action, requires_pin, rules

CHALLENGE_WINDOW = datetime.timedelta(minutes=15)
CHALLENGES_PER_WINDOW = 5
MISS_WINDOW = datetime.timedelta(hours=24)
MISSES_PER_WINDOW = 10
PIN_DIGITS = "0123456789"


@dataclass(frozen=True)
class Binding:
    """What a PIN authorises: one action on one customer for one amount and one request."""

    action: str
    card_type: str = ""
    amount: Decimal | int | None = None
    external_id: str = ""
    coupon_id: int | None = None

    @property
    def amount_text(self) -> str:
        """The amount in canonical form, so 10.5 and 10.50 are the same binding."""
        if self.amount is None:
            return ""
        return format(Decimal(self.amount).normalize(), "f")

    def digest(self, customer: Customer) -> str:
        parts = [
            customer.organization_id,
            customer.pk,
            self.action,
            self.card_type,
            self.amount_text,
            self.external_id,
            self.coupon_id,
        ]
        return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who asked: an API key (POS) or a merchant user (admin, till), and from where."""

    api_key: ApiKey | None = None
    user: object | None = None
    client_ip: str | None = None

    @property
    def user_or_none(self):
        return self.user if getattr(self.user, "pk", None) else None


def describe(binding: Binding, organization: Organization, coupon_name: str = "") -> str:
    """What the customer sees next to the PIN, e.g. "Redeem 200 points at Kahveci"."""
    unit = "points" if binding.card_type == "point" else "stamps"
    amount = binding.amount_text
    text = {
        Action.EARN: f"Earn points for {amount}"
        if binding.card_type == "point"
        else f"Add stamps for {amount}",
        Action.REDEEM: f"Redeem {amount} {unit}",
        Action.COUPON_REDEEM: f"Redeem coupon {coupon_name}".strip(),
        Action.ADJUST: f"Adjust {unit} by {amount}",
    }[binding.action]
    return f"{text} at {organization.name}"[:200]


def new_pin(length: int) -> str:
    """A uniformly random PIN from the OS CSPRNG; a string, so leading zeros count."""
    return "".join(secrets.choice(PIN_DIGITS) for _ in range(length))


def _audit(
    kind: str,
    *,
    organization: Organization,
    customer: Customer | None,
    actor: Actor | None,
    now: datetime.datetime,
    action: str = "",
    amount: str = "",
    challenge: Challenge | None = None,
) -> None:
    VerificationEvent.objects.create(
        organization=organization,
        customer=customer,
        challenge=challenge,
        kind=kind,
        action=action,
        amount=amount,
        api_key=actor.api_key if actor else None,
        user=actor.user_or_none if actor else None,
        client_ip=actor.client_ip if actor else None,
        created_at=now,
    )


def _audit_binding(kind: str, *, customer: Customer, binding: Binding, actor, now, challenge=None):
    _audit(
        kind,
        organization=customer.organization,
        customer=customer,
        actor=actor,
        now=now,
        action=binding.action,
        amount=binding.amount_text,
        challenge=challenge,
    )


def _audit_challenge(kind: str, *, challenge: Challenge, actor: Actor | None, now) -> None:
    _audit(
        kind,
        organization=challenge.organization,
        customer=challenge.customer,
        actor=actor,
        now=now,
        action=challenge.action,
        amount=challenge.amount,
        challenge=challenge,
    )


def _customer_for_audit(organization: Organization, customer_code, coupon_token) -> Customer | None:
    """Best effort: who a refused request named, without turning the refusal into a 404."""
    if isinstance(customer_code, int):
        return Customer.objects.filter(organization=organization, code=customer_code).first()
    if isinstance(coupon_token, str):
        coupon = Coupon.objects.filter(organization=organization, token=coupon_token).first()
        return coupon.customer if coupon else None
    return None


def check_manual_code(
    *,
    organization: Organization,
    manual_code: bool,
    actor: Actor,
    action: str = "",
    customer_code: int | None = None,
    amount: Decimal | int | None = None,
    coupon_token: str | None = None,
) -> None:
    """Strict orgs refuse hand-typed customer codes; the refusal is audited."""
    if not manual_code or rules(organization.preset).manual_code_allowed:
        return
    _audit(
        EventKind.MANUAL_CODE_REFUSED,
        organization=organization,
        customer=_customer_for_audit(organization, customer_code, coupon_token),
        actor=actor,
        now=timezone.now(),
        action=action,
        amount=Binding(action, amount=amount).amount_text,
    )
    raise ManualCodeDisabled()


def _end(challenge: Challenge, state: str, now: datetime.datetime) -> None:
    """Ends a challenge (caller holds its row lock) and announces it after commit."""
    challenge.state = state
    challenge.pin = ""  # the PIN is unrecoverable once the challenge ends
    challenge.ended_at = now
    challenge.save(update_fields=["state", "pin", "ended_at", "attempts_left"])
    enqueue_on_commit("fraud.tasks.push_challenge_ended", str(challenge.pk))


def _retry_after(
    customer: Customer, kind: str, window: datetime.timedelta, limit: int, now
) -> int | None:
    """Seconds until fewer than `limit` `kind` events lie in the closed window, or None."""
    recent = list(
        VerificationEvent.objects.filter(customer=customer, kind=kind, created_at__gte=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    return max(1, int((recent[-1] + window - now).total_seconds()) + 1)


def _miss_lock(customer: Customer, now: datetime.datetime) -> int | None:
    return _retry_after(customer, EventKind.PIN_INVALID, MISS_WINDOW, MISSES_PER_WINDOW, now)


def _challenge_lock(customer: Customer, now: datetime.datetime) -> int | None:
    return _retry_after(customer, EventKind.ISSUED, CHALLENGE_WINDOW, CHALLENGES_PER_WINDOW, now)


def _locked(retry_after: int) -> PinLocked:
    return PinLocked(retry_after=retry_after, headers={"Retry-After": str(retry_after)})


def _lock_customer(customer: Customer) -> None:
    Customer.objects.select_for_update().filter(pk=customer.pk).first()


def _issue(
    *, organization, customer, binding: Binding, actor: Actor, coupon_name: str
) -> DomainError:
    """Creates a fresh challenge (superseding the same binding's) and returns the 412 to raise."""
    now = timezone.now()
    with transaction.atomic():
        _lock_customer(customer)  # serialises the throttles per customer
        retry_after = _miss_lock(customer, now) or _challenge_lock(customer, now)
        if retry_after:
            _audit_binding(
                EventKind.LOCKED, customer=customer, binding=binding, actor=actor, now=now
            )
            return _locked(retry_after)
        digest = binding.digest(customer)
        for old in Challenge.objects.select_for_update().filter(
            customer=customer, binding=digest, state=ChallengeState.PENDING
        ):
            _end(old, ChallengeState.SUPERSEDED, now)
            _audit_challenge(EventKind.SUPERSEDED, challenge=old, actor=actor, now=now)
        challenge = Challenge.objects.create(
            organization=organization,
            customer=customer,
            action=binding.action,
            card_type=binding.card_type,
            amount=binding.amount_text,
            external_id=binding.external_id,
            coupon_id=binding.coupon_id,
            binding=digest,
            description=describe(binding, organization, coupon_name),
            pin=new_pin(organization.pin_length),
            created_at=now,
            expires_at=now + datetime.timedelta(seconds=organization.pin_ttl_seconds),
            api_key=actor.api_key,
            user=actor.user_or_none,
            client_ip=actor.client_ip,
        )
        _audit_challenge(EventKind.ISSUED, challenge=challenge, actor=actor, now=now)
        enqueue_on_commit("fraud.tasks.push_challenge", str(challenge.pk))
    return PinRequired(
        challenge_id=str(challenge.pk),
        remaining_attempts=MAX_ATTEMPTS,
        expires_in=organization.pin_ttl_seconds,
        pin_length=organization.pin_length,
    )


def verify(
    *,
    organization: Organization,
    customer: Customer,
    binding: Binding,
    pin: str | None,
    actor: Actor,
    coupon_name: str = "",
) -> Challenge | None:
    """None if the preset does not gate this action; else the challenge the right PIN opened.

    Raises the 412/422/429 errors of the contract. Misses and expiries are committed before
    the error is raised, so they count even though the request fails.
    """
    if not requires_pin(organization.preset, binding.action):
        return None
    if pin:
        outcome = _check_pin(customer=customer, binding=binding, pin=pin, actor=actor)
        if isinstance(outcome, Challenge):
            return outcome
        if outcome is not None:
            raise outcome
    raise _issue(
        organization=organization,
        customer=customer,
        binding=binding,
        actor=actor,
        coupon_name=coupon_name,
    )


def _check_pin(
    *, customer: Customer, binding: Binding, pin: str, actor: Actor
) -> Challenge | DomainError | None:
    """The opened challenge, the error to raise, or None when no challenge matches (→ 412)."""
    now = timezone.now()
    with transaction.atomic():
        _lock_customer(customer)
        retry_after = _miss_lock(customer, now)
        if retry_after:
            _audit_binding(
                EventKind.LOCKED, customer=customer, binding=binding, actor=actor, now=now
            )
            return _locked(retry_after)
        same_binding = Challenge.objects.filter(customer=customer, binding=binding.digest(customer))
        challenge = (
            same_binding.select_for_update(of=("self",))
            .select_related("organization", "customer")
            .filter(state=ChallengeState.PENDING)
            .first()
        )
        if challenge is None:
            return _without_pending(same_binding)
        if challenge.expires_at <= now:
            _end(challenge, ChallengeState.EXPIRED, now)
            _audit_challenge(EventKind.EXPIRED, challenge=challenge, actor=actor, now=now)
            return PinExpired(challenge_id=str(challenge.pk))
        if hmac.compare_digest(challenge.pin.encode(), pin.encode()):
            return challenge
        return _miss(challenge, now, actor)


def _without_pending(same_binding: QuerySet) -> Challenge | DomainError | None:
    """pin_expired if this binding's last challenge ran out of time; else None (a new 412).

    A binding whose last challenge was just consumed is a twin racing the request that
    consumed it: it goes on to the commit, which replays the twin's stored answer (or, with
    nothing to replay, `consume` refuses the spent challenge), instead of pushing a new PIN.
    """
    last = (
        same_binding.exclude(state=ChallengeState.SUPERSEDED)
        .order_by("-created_at", "-ended_at")
        .first()
    )
    if last is not None and last.state == ChallengeState.EXPIRED:
        return PinExpired(challenge_id=str(last.pk))
    if last is not None and last.state == ChallengeState.CONSUMED:
        return last
    return None


def _miss(challenge: Challenge, now: datetime.datetime, actor: Actor) -> DomainError:
    """Counts a wrong PIN; the third on a challenge kills it, the tenth in 24 h locks them out."""
    challenge.attempts_left -= 1
    _audit_challenge(EventKind.PIN_INVALID, challenge=challenge, actor=actor, now=now)
    retry_after = _miss_lock(challenge.customer, now)
    if retry_after:
        _lock_out(challenge.customer, now, actor)
        return _locked(retry_after)
    if challenge.attempts_left <= 0:
        _end(challenge, ChallengeState.LOCKED, now)
        _audit_challenge(EventKind.ATTEMPTS_EXCEEDED, challenge=challenge, actor=actor, now=now)
        return PinAttemptsExceeded(challenge_id=str(challenge.pk))
    challenge.save(update_fields=["attempts_left"])
    return PinInvalid(challenge_id=str(challenge.pk), remaining_attempts=challenge.attempts_left)


def _lock_out(customer: Customer, now: datetime.datetime, actor: Actor) -> None:
    """The customer's miss budget is spent: every pending PIN dies with the lock."""
    pending = Challenge.objects.select_for_update(of=("self",)).filter(
        customer=customer, state=ChallengeState.PENDING
    )
    for challenge in pending.select_related("organization", "customer"):
        challenge.attempts_left = 0
        _end(challenge, ChallengeState.LOCKED, now)
        _audit_challenge(EventKind.LOCKED, challenge=challenge, actor=actor, now=now)


def consume(*, challenge: Challenge | None, actor: Actor) -> None:
    """Inside the action's transaction: spends the challenge so its PIN works once."""
    if challenge is None:
        return
    _lock_customer(challenge.customer)
    locked = (
        Challenge.objects.select_for_update(of=("self",))
        .select_related("organization", "customer")
        .get(pk=challenge.pk)
    )
    now = timezone.now()
    if locked.state != ChallengeState.PENDING or locked.expires_at <= now:
        # Lost a race (superseded, locked or expired since the PIN was checked): ask again.
        raise PinExpired(challenge_id=str(locked.pk))
    _end(locked, ChallengeState.CONSUMED, now)
    _audit_challenge(EventKind.CONSUMED, challenge=locked, actor=actor, now=now)


def expire_stale_challenges(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Marks pending challenges past their TTL expired (the beat task); returns how many."""
    now = now or timezone.now()
    stale = Challenge.objects.filter(state=ChallengeState.PENDING, expires_at__lte=now)
    count = 0
    for pk, customer_id in stale.values_list("pk", "customer_id")[:batch]:
        with transaction.atomic():
            Customer.objects.select_for_update().filter(pk=customer_id).first()
            challenge = (
                Challenge.objects.select_for_update(of=("self",))
                .select_related("organization", "customer")
                .get(pk=pk)
            )
            if challenge.state != ChallengeState.PENDING:
                continue
            _end(challenge, ChallengeState.EXPIRED, now)
            _audit_challenge(EventKind.EXPIRED, challenge=challenge, actor=None, now=now)
            count += 1
    return count


def pending_challenges(*, customer: Customer, now: datetime.datetime | None = None) -> QuerySet:
    """What the customer's dashboard shows: pending, unexpired challenges, PIN included."""
    now = now or timezone.now()
    return Challenge.objects.filter(
        customer=customer, state=ChallengeState.PENDING, expires_at__gt=now
    ).order_by("-created_at")
