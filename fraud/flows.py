"""A gated write in the contract's order, written once for every adapter (POS API, till).

The adapter has already refused a hand-typed code (`services.check_manual_code`) and looked
the customer or coupon up; `run_gated` does the rest:

    idempotent replay → business pre-check → PIN gate → one transaction
    (claim the key, run the effect, consume the challenge, store the answer)

so a retry, a double tap or a race has exactly one effect, and a PIN authorises exactly one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from customers.models import Customer
from loyalite import idempotency
from loyalite.errors import DomainError, ExternalIdConflict
from loyalite.models import Organization

from . import services as gate

OK = 200


@dataclass(frozen=True)
class Outcome:
    """The answer to send: the effect's body, or the stored one when `replayed`."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def _replayed(stored: idempotency.StoredResponse) -> Outcome:
    return Outcome(stored.status, stored.body, replayed=True)


def run_gated(
    *,
    organization: Organization,
    customer: Customer,
    binding: gate.Binding,
    pin: str | None,
    actor: gate.Actor,
    effect: Callable[[], dict[str, Any]],
    scope: str = "",
    key: str = "",
    fingerprint: str = "",
    conflict: type[DomainError] = ExternalIdConflict,
    precheck: Callable[[], None] | None = None,
    coupon_name: str = "",
) -> Outcome:
    """Runs `effect` once behind the org's PIN gate; its return value is the stored body.

    With a `key`, a repeat with the same `fingerprint` in `scope` replays the stored answer
    and a different fingerprint raises `conflict`. Without one, the effect itself must refuse
    a repeat (a coupon's row lock does: a racing twin gets coupon_already_used).
    Raises the gate's 412/422/429 errors and whatever `precheck` or `effect` raise; a 412
    records nothing, so the PIN retry reuses the same key and binding.
    """
    lookup = {
        "organization": organization,
        "scope": scope,
        "key": key,
        "print_": fingerprint,
        "conflict": conflict,
    }
    if key:
        stored = idempotency.find(**lookup)
        if stored is not None:
            return _replayed(stored)
    if precheck is not None:
        precheck()
    challenge = gate.verify(
        organization=organization,
        customer=customer,
        binding=binding,
        pin=pin,
        actor=actor,
        coupon_name=coupon_name,
    )
    with transaction.atomic():
        slot = idempotency.claim(**lookup) if key else None
        if isinstance(slot, idempotency.StoredResponse):
            return _replayed(slot)  # a concurrent twin committed first
        # The effect locks its own rows (coupon, customer) before consume locks the
        # customer's challenges: one lock order for every gated write.
        body = effect()
        gate.consume(challenge=challenge, actor=actor)
        if slot is not None:
            slot.store(OK, body)
    return Outcome(OK, body)
