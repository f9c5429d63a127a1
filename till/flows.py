"""The till's operations: find from the scan field, and the gated writes as the cashier.

Each write is `fraud.flows.run_gated` with the till's idempotency scopes, the page's request
id as key and binding, and source "manual" with the cashier as the ledger entry's user.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from campaigns import services as ledger
from campaigns.models import CardType, LedgerEntry, Reason, Source
from coupons import services as coupons
from coupons.models import COUPON_TOKEN_PREFIX, Coupon, CouponStatus
from customers.models import Customer
from customers.services import get_customer_by_code, get_customer_by_qr
from fraud import services as fraud
from fraud.flows import Outcome, run_gated
from fraud.presets import Action
from loyalite import idempotency
from loyalite.errors import CouponNotFound, CustomerNotFound
from loyalite.models import Organization

SOURCE = Source.MANUAL.value
RECENT_ACTIONS = 20
TYPED_CODE_MAX_DIGITS = 9


@dataclass(frozen=True)
class Found:
    customer: Customer
    coupon: Coupon | None = None  # set when a coupon QR was scanned


def _coupon(organization: Organization, token: str) -> Coupon:
    """The org's coupon for a token in any state (the card shows why it can't be used)."""
    coupon = (
        Coupon.objects.select_related("customer__organization")
        .filter(organization=organization, token=token)
        .first()
    )
    if coupon is None or coupon.customer.erased_at is not None:
        raise CouponNotFound()
    return coupon


def _typed_code(organization: Organization, text: str, actor: fraud.Actor) -> Customer:
    code = int(text) if len(text) <= TYPED_CODE_MAX_DIGITS else None
    fraud.check_manual_code(
        organization=organization,
        manual_code=True,
        actor=actor,
        action="lookup",
        customer_code=code,
    )
    if code is None:
        raise CustomerNotFound()
    return get_customer_by_code(organization=organization, code=code)


def find(*, organization: Organization, actor: fraud.Actor, scanned: str) -> Found:
    """A coupon QR (`cq_…`), a typed code (digits: refused on Strict) or a customer QR."""
    text = scanned.strip()
    if text.startswith(COUPON_TOKEN_PREFIX):
        coupon = _coupon(organization, text)
        return Found(coupon.customer, coupon)
    if text.isdigit():
        customer = _typed_code(organization, text, actor)
    else:
        customer = get_customer_by_qr(organization=organization, payload=text)
    return Found(customer)  # both lookups already refuse erased customers


def _balances(result: ledger.Balances) -> dict[str, Any]:
    return {"points": result.points, "stamps": result.stamps}


def earn(
    *,
    organization: Organization,
    actor: fraud.Actor,
    customer: Customer,
    card_type: str,
    amount: Decimal,
    request_id: str,
    pin: str | None,
) -> Outcome:
    """Points for a purchase amount, or `amount` stamps; Strict asks for the PIN."""
    campaign = ledger.get_campaign(organization=organization, card_type=card_type)

    def effect() -> dict[str, Any]:
        result = ledger.earn(
            customer=customer,
            campaign=campaign,
            amount=amount,
            source=SOURCE,
            external_id=request_id,
            user=actor.user,
        )
        added = result.entry.delta if result.entry is not None else 0
        coupon = {"id": result.coupon.pk, "name": result.coupon.name} if result.coupon else None
        done = {"action": "earn", "card_type": card_type, "added": added, "coupon": coupon}
        return done | _balances(result)

    return run_gated(
        organization=organization,
        customer=customer,
        binding=fraud.Binding(Action.EARN, card_type, amount, request_id),
        pin=pin,
        actor=actor,
        effect=effect,
        scope="till.earn",
        key=request_id,
        fingerprint=idempotency.fingerprint(
            {"customer": customer.pk, "card_type": card_type, "amount": amount.normalize()}
        ),
        precheck=lambda: ledger.check_earn(campaign=campaign, amount=amount),
    )


def redeem(
    *,
    organization: Organization,
    actor: fraud.Actor,
    customer: Customer,
    card_type: str,
    value: int,
    request_id: str,
    pin: str | None,
) -> Outcome:
    """Spends points or stamps; Balanced and Strict ask for the PIN."""

    def effect() -> dict[str, Any]:
        result = ledger.redeem(
            customer=customer,
            card_type=card_type,
            value=value,
            source=SOURCE,
            external_id=request_id,
            user=actor.user,
        )
        return {"action": "redeem", "card_type": card_type, "spent": value} | _balances(result)

    return run_gated(
        organization=organization,
        customer=customer,
        binding=fraud.Binding(Action.REDEEM, card_type, value, request_id),
        pin=pin,
        actor=actor,
        effect=effect,
        scope="till.redeem",
        key=request_id,
        fingerprint=idempotency.fingerprint(
            {"customer": customer.pk, "card_type": card_type, "value": value}
        ),
        precheck=lambda: ledger.check_redeem(customer=customer, card_type=card_type, value=value),
    )


def redeem_coupon(
    *,
    organization: Organization,
    actor: fraud.Actor,
    token: str,
    request_id: str,
    pin: str | None,
) -> tuple[Outcome, Customer]:
    """Marks the coupon used; Balanced and Strict ask for the PIN. Also returns its owner."""
    coupon = _coupon(organization, token)
    customer = coupon.customer

    def effect() -> dict[str, Any]:
        redeemed = coupons.redeem_coupon(coupon=coupon, source=SOURCE, user=actor.user)
        return {
            "action": "coupon",
            "coupon": {"id": redeemed.pk, "name": redeemed.name},
            "points": redeemed.customer.point_balance,
            "stamps": redeemed.customer.stamp_count,
        }

    outcome = run_gated(
        organization=organization,
        customer=customer,
        binding=fraud.Binding(Action.COUPON_REDEEM, external_id=request_id, coupon_id=coupon.pk),
        pin=pin,
        actor=actor,
        effect=effect,
        scope="till.coupon",
        key=request_id,
        fingerprint=idempotency.fingerprint({"coupon": coupon.pk}),
        # Replay comes first, so a double tap after success answers "done", not "already used".
        precheck=lambda: coupons.get_redeemable_coupon(organization=organization, token=token),
        coupon_name=coupon.name,
    )
    return outcome, customer


def recent_actions(*, organization: Organization) -> list[LedgerEntry]:
    """The till's last actions: manual ledger entries by this org's merchant users."""
    return list(
        LedgerEntry.objects.filter(
            organization=organization,
            source=SOURCE,
            user__membership__organization=organization,
        )
        .exclude(reason=Reason.ADJUST)  # admin corrections are not till actions
        .select_related("customer", "user", "coupon")
        .order_by("-created_at", "-id")[:RECENT_ACTIONS]
    )


def active_coupons(*, customer: Customer) -> list[Coupon]:
    return list(
        customer.coupons.filter(status=CouponStatus.ISSUED, expires_at__gt=timezone.now()).order_by(
            "expires_at", "id"
        )
    )


def stamp_goal(*, organization: Organization) -> int:
    return ledger.get_campaign(organization=organization, card_type=CardType.STAMP).max_stamps
