"""Gated operations started by a merchant user (admin, till): the PIN gate, then the effect.

The gate sits here, not in the domain service it guards, so `campaigns.services.adjust`
stays a plain ledger write that scripts and tests can call directly.
"""

from dataclasses import dataclass

from django.db import transaction

from campaigns import services as ledger
from customers.models import Customer
from loyalite import idempotency
from loyalite.errors import ExternalIdConflict

from . import services as fraud
from .presets import Action

ADJUST_SCOPE = "admin.adjust"


@dataclass(frozen=True)
class Adjusted:
    points: int
    stamps: int
    replayed: bool = False


def adjust_balance(
    *,
    customer: Customer,
    card_type: str,
    delta: int,
    reason: str,
    user,
    pin: str | None,
    nonce: str,
    client_ip: str | None,
) -> Adjusted:
    """A merchant's balance correction, PIN-gated on Balanced and Strict.

    `nonce` identifies one adjustment form: it binds the PIN to this request across the
    retry that carries the PIN, and a repeated submit of a finished form changes nothing.
    Raises the gate's PinRequired/PinInvalid/PinExpired/PinAttemptsExceeded/PinLocked and
    InsufficientBalance; ValueError for a zero delta or a blank reason.
    """
    if delta == 0 or not reason.strip() or not nonce:
        raise ValueError("an adjustment needs a non-zero delta, a reason and a nonce")
    organization = customer.organization
    print_ = idempotency.fingerprint(
        {"customer": customer.pk, "card_type": card_type, "delta": delta, "reason": reason}
    )
    lookup = {"organization": organization, "scope": ADJUST_SCOPE, "key": nonce, "print_": print_}
    stored = idempotency.find(**lookup, conflict=ExternalIdConflict)
    if stored is not None:
        return Adjusted(**stored.body, replayed=True)
    if delta < 0:
        ledger.check_redeem(customer=customer, card_type=card_type, value=-delta)
    actor = fraud.Actor(user=user, client_ip=client_ip)
    binding = fraud.Binding(Action.ADJUST, card_type, delta, external_id=nonce)
    challenge = fraud.verify(
        organization=organization, customer=customer, binding=binding, pin=pin, actor=actor
    )
    with transaction.atomic():
        slot = idempotency.claim(**lookup, conflict=ExternalIdConflict)
        if isinstance(slot, idempotency.StoredResponse):
            return Adjusted(**slot.body, replayed=True)
        fraud.consume(challenge=challenge, actor=actor)
        result = ledger.adjust(
            customer=customer,
            card_type=card_type,
            delta=delta,
            reason=reason,
            user=user,
            source="manual",
        )
        slot.store(200, {"points": result.points, "stamps": result.stamps})
    return Adjusted(points=result.points, stamps=result.stamps)
