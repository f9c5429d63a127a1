"""The PIN gate: issue, verify and consume challenges, throttle, and audit every step.

Adapters call `check_manual_code` early, `verify` just before the commit, and `consume`
inside the commit's transaction, so a PIN authorises exactly one effect.
"""

import datetime
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

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
        return "" if self.amount is None else format(self.amount, "f")

    def digest(self, customer: Customer) -> str:
        parts = [
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
    audit: dict = field(default_factory=dict)


def describe(binding: Binding, organization: Organization, coupon_name: str = "") -> str:
    """What the customer sees next to the PIN, e.g. "Redeem 200 points at Kahveci"."""
    unit = "points" if binding.card_type == "point" else "stamps"
    amount = binding.amount_text
    text = {
        Action.EARN: f"Earn {unit} for {amount}"
        if binding.card_type == "point"
        else f"Add stamps ({amount})",
        Action.REDEEM: f"Redeem {amount} {unit}",
        Action.COUPON_REDEEM: f"Redeem coupon {coupon_name}".strip(),
        Action.ADJUST: f"Adjust {unit} by {amount}",
    }[binding.action]
    return f"{text} at {organization.name}"[:200]


def new_pin(length: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(length))


def _audit(
    kind: str, *, organization, customer, binding: Binding | None, actor: Actor, challenge=None
) -> None:
    VerificationEvent.objects.create(
        organization=organization,
        customer=customer,
        challenge=challenge,
        kind=kind,
        action=binding.action if binding else "",
        amount=binding.amount_text if binding else "",
        api_key=actor.api_key,
        user=actor.user if getattr(actor.user, "pk", None) else None,
        client_ip=actor.client_ip,
    )


def check_manual_code(
    *, organization: Organization, manual_code: bool, actor: Actor, action: str = ""
) -> None:
    """Strict orgs refuse hand-typed customer codes; the refusal is audited."""
    if manual_code and not rules(organization.preset).manual_code_allowed:
        VerificationEvent.objects.create(
            organization=organization,
            kind=EventKind.MANUAL_CODE_REFUSED,
            action=action,
            api_key=actor.api_key,
            user=actor.user if getattr(actor.user, "pk", None) else None,
            client_ip=actor.client_ip,
        )
        raise ManualCodeDisabled()


def _end(challenge: Challenge, state: str, now: datetime.datetime) -> None:
    challenge.state = state
    challenge.pin = ""  # the PIN is unrecoverable once the challenge ends
    challenge.ended_at = now
    challenge.save(update_fields=["state", "pin", "ended_at", "attempts_left"])
    enqueue_on_commit("fraud.tasks.push_challenge_ended", str(challenge.pk))


def _lock_retry_after(customer: Customer, now: datetime.datetime) -> int | None:
    """Seconds until the customer may be challenged again, or None if not throttled."""
    events = VerificationEvent.objects.filter(customer=customer)
    misses = list(
        events.filter(kind=EventKind.PIN_INVALID, created_at__gt=now - MISS_WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:MISSES_PER_WINDOW]
    )
    if len(misses) >= MISSES_PER_WINDOW:
        return max(1, int((misses[-1] + MISS_WINDOW - now).total_seconds()) + 1)
    return None


def _challenge_retry_after(customer: Customer, now: datetime.datetime) -> int | None:
    issued = list(
        VerificationEvent.objects.filter(
            customer=customer, kind=EventKind.ISSUED, created_at__gt=now - CHALLENGE_WINDOW
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:CHALLENGES_PER_WINDOW]
    )
    if len(issued) >= CHALLENGES_PER_WINDOW:
        return max(1, int((issued[-1] + CHALLENGE_WINDOW - now).total_seconds()) + 1)
    return None


def _locked(retry_after: int) -> PinLocked:
    return PinLocked(retry_after=retry_after, headers={"Retry-After": str(retry_after)})


def _issue(
    *, organization, customer, binding: Binding, actor: Actor, coupon_name: str
) -> DomainError:
    """Creates a fresh challenge (superseding the same binding's) and returns the 412 to raise."""
    now = timezone.now()
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()  # serialises throttles
        retry_after = _lock_retry_after(customer, now) or _challenge_retry_after(customer, now)
        if retry_after:
            _audit(
                EventKind.LOCKED,
                organization=organization,
                customer=customer,
                binding=binding,
                actor=actor,
            )
            return _locked(retry_after)
        digest = binding.digest(customer)
        for old in Challenge.objects.select_for_update().filter(
            customer=customer, binding=digest, state=ChallengeState.PENDING
        ):
            _end(old, ChallengeState.SUPERSEDED, now)
            _audit(
                EventKind.SUPERSEDED,
                organization=organization,
                customer=customer,
                binding=binding,
                actor=actor,
                challenge=old,
            )
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
            expires_at=now + datetime.timedelta(seconds=organization.pin_ttl_seconds),
            api_key=actor.api_key,
            user=actor.user if getattr(actor.user, "pk", None) else None,
            client_ip=actor.client_ip,
        )
        _audit(
            EventKind.ISSUED,
            organization=organization,
            customer=customer,
            binding=binding,
            actor=actor,
            challenge=challenge,
        )
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
    issue_args = {
        "organization": organization,
        "customer": customer,
        "binding": binding,
        "actor": actor,
        "coupon_name": coupon_name,
    }
    if not pin:
        raise _issue(**issue_args)
    outcome = _check_pin(
        organization=organization, customer=customer, binding=binding, pin=pin, actor=actor
    )
    if outcome is None:
        raise _issue(**issue_args)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def _check_pin(
    *, organization, customer, binding: Binding, pin: str, actor: Actor
) -> Challenge | DomainError | None:
    now = timezone.now()
    audit = {"organization": organization, "customer": customer, "binding": binding, "actor": actor}
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        retry_after = _lock_retry_after(customer, now)
        if retry_after:
            _audit(EventKind.LOCKED, **audit)
            return _locked(retry_after)
        challenge = (
            Challenge.objects.select_for_update()
            .filter(customer=customer, binding=binding.digest(customer))
            .exclude(state=ChallengeState.SUPERSEDED)
            .order_by("-created_at")
            .first()
        )
        if challenge is None or challenge.state in (ChallengeState.CONSUMED, ChallengeState.LOCKED):
            return None
        if challenge.state == ChallengeState.EXPIRED or challenge.expires_at <= now:
            if challenge.state == ChallengeState.PENDING:
                _end(challenge, ChallengeState.EXPIRED, now)
                _audit(EventKind.EXPIRED, challenge=challenge, **audit)
            return PinExpired(challenge_id=str(challenge.pk))
        if hmac.compare_digest(challenge.pin.encode(), pin.encode()):
            return challenge
        return _miss(challenge, now, audit)


def _miss(challenge: Challenge, now: datetime.datetime, audit: dict) -> DomainError:
    challenge.attempts_left -= 1
    _audit(EventKind.PIN_INVALID, challenge=challenge, **audit)
    if challenge.attempts_left <= 0:
        _end(challenge, ChallengeState.LOCKED, now)
        _audit(EventKind.ATTEMPTS_EXCEEDED, challenge=challenge, **audit)
        return PinAttemptsExceeded(challenge_id=str(challenge.pk))
    challenge.save(update_fields=["attempts_left"])
    return PinInvalid(challenge_id=str(challenge.pk), remaining_attempts=challenge.attempts_left)


def consume(*, challenge: Challenge | None, actor: Actor) -> None:
    """Inside the action's transaction: spends the challenge so its PIN works once."""
    if challenge is None:
        return
    locked = (
        Challenge.objects.select_for_update()
        .select_related("organization", "customer")
        .get(pk=challenge.pk)
    )
    now = timezone.now()
    if locked.state != ChallengeState.PENDING or locked.expires_at <= now:
        # Lost a race (superseded or expired since the PIN was checked): ask again.
        raise PinExpired(challenge_id=str(locked.pk))
    _end(locked, ChallengeState.CONSUMED, now)
    binding = Binding(locked.action, locked.card_type, None, locked.external_id, locked.coupon_id)
    VerificationEvent.objects.create(
        organization=locked.organization,
        customer=locked.customer,
        challenge=locked,
        kind=EventKind.CONSUMED,
        action=binding.action,
        amount=locked.amount,
        api_key=actor.api_key,
        user=actor.user if getattr(actor.user, "pk", None) else None,
        client_ip=actor.client_ip,
    )


def expire_stale_challenges(*, now: datetime.datetime | None = None) -> int:
    """Marks pending challenges past their TTL expired (the beat task); returns how many."""
    now = now or timezone.now()
    count = 0
    stale = Challenge.objects.filter(state=ChallengeState.PENDING, expires_at__lte=now).values_list(
        "pk", flat=True
    )[:500]
    for pk in stale:
        with transaction.atomic():
            challenge = (
                Challenge.objects.select_for_update()
                .select_related("organization", "customer")
                .get(pk=pk)
            )
            if challenge.state != ChallengeState.PENDING:
                continue
            _end(challenge, ChallengeState.EXPIRED, now)
            VerificationEvent.objects.create(
                organization=challenge.organization,
                customer=challenge.customer,
                challenge=challenge,
                kind=EventKind.EXPIRED,
                action=challenge.action,
                amount=challenge.amount,
            )
            count += 1
    return count


def pending_challenges(*, customer: Customer, now: datetime.datetime | None = None):
    """What the customer's dashboard shows: pending, unexpired challenges."""
    now = now or timezone.now()
    return Challenge.objects.filter(
        customer=customer, state=ChallengeState.PENDING, expires_at__gt=now
    ).order_by("-created_at")
