"""The POS write paths in the contract's check order, shared by every /webhook write.

manual_code → lookup → idempotent replay → business pre-check → PIN gate → commit.
Each path ends in one transaction that claims the idempotency key, consumes the PIN
challenge and runs the domain service, so retries and races have exactly one effect.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from rest_framework.fields import DateTimeField

from campaigns import services as ledger
from coupons import services as coupons
from coupons.models import Coupon
from customers.models import Customer
from customers.services import get_customer_by_code
from fraud import services as fraud
from fraud.presets import Action
from loyalite import idempotency
from loyalite.errors import ExternalIdConflict
from loyalite.models import ApiKey

SOURCE = "webhook"
_datetime = DateTimeField()


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def customer_data(customer: Customer) -> dict[str, Any]:
    return {
        "customer_code": customer.code,
        "masked_email": customer.masked_email,
        "stamp_count": customer.stamp_count,
        "point_balance": customer.point_balance,
    }


def coupon_data(coupon: Coupon, customer_code: int) -> dict[str, Any]:
    return {
        "id": coupon.pk,
        "name": coupon.name,
        "status": coupon.status,
        "qr_token": coupon.token,
        "issued_at": _datetime.to_representation(coupon.issued_at),
        "redeemed_at": _datetime.to_representation(coupon.redeemed_at)
        if coupon.redeemed_at
        else None,
        "expires_at": _datetime.to_representation(coupon.expires_at),
        "customer_code": customer_code,
    }


def _fingerprint(fields: dict[str, Any]) -> str:
    return idempotency.fingerprint(fields)


def _idempotent_commit(*, api_key, scope, external_id, print_, challenge, actor, effect) -> Outcome:
    org = api_key.organization
    with transaction.atomic():
        slot = idempotency.claim(
            organization=org,
            scope=scope,
            key=external_id,
            print_=print_,
            conflict=ExternalIdConflict,
        )
        if isinstance(slot, idempotency.StoredResponse):
            return Outcome(slot.status, slot.body, replayed=True)
        fraud.consume(challenge=challenge, actor=actor)
        body = {"data": effect()}
        slot.store(200, body)
    return Outcome(200, body)


def earn(*, api_key: ApiKey, actor: fraud.Actor, params: dict[str, Any]) -> Outcome:
    org = api_key.organization
    fraud.check_manual_code(
        organization=org,
        manual_code=params["manual_code"],
        actor=actor,
        action=Action.EARN,
        customer_code=params["customer_code"],
        amount=params["amount"],
    )
    customer = get_customer_by_code(organization=org, code=params["customer_code"])
    amount: Decimal = params["amount"]
    scope, external_id = "pos.earn", params["external_id"]
    # normalize(): 10 and 10.0 are the same request, so a retry re-spelling it replays.
    print_ = _fingerprint(
        {
            "customer_code": customer.code,
            "amount": amount.normalize(),
            "card_type": params["card_type"],
        }
    )
    replay = idempotency.find(
        organization=org, scope=scope, key=external_id, print_=print_, conflict=ExternalIdConflict
    )
    if replay:
        return Outcome(replay.status, replay.body, replayed=True)
    campaign = ledger.get_campaign(organization=org, card_type=params["card_type"])
    ledger.check_earn(campaign=campaign, amount=amount)
    binding = fraud.Binding(Action.EARN, params["card_type"], amount, external_id)
    challenge = fraud.verify(
        organization=org,
        customer=customer,
        binding=binding,
        pin=params["verification_pin"],
        actor=actor,
    )

    def effect() -> dict[str, Any]:
        result = ledger.earn(
            customer=customer,
            campaign=campaign,
            amount=amount,
            source=SOURCE,
            external_id=external_id,
            api_key=api_key,
        )
        data: dict[str, Any] = {"stamps": result.stamps, "points": result.points}
        if result.coupon is not None:
            data["coupon"] = {
                "id": result.coupon.pk,
                "name": result.coupon.name,
                "qr_token": result.coupon.token,
            }
        return data

    return _idempotent_commit(
        api_key=api_key,
        scope=scope,
        external_id=external_id,
        print_=print_,
        challenge=challenge,
        actor=actor,
        effect=effect,
    )


def redeem(*, api_key: ApiKey, actor: fraud.Actor, params: dict[str, Any]) -> Outcome:
    org = api_key.organization
    fraud.check_manual_code(
        organization=org,
        manual_code=params["manual_code"],
        actor=actor,
        action=Action.REDEEM,
        customer_code=params["customer_code"],
        amount=params["value"],
    )
    customer = get_customer_by_code(organization=org, code=params["customer_code"])
    value, card_type = params["value"], params["card_type"]
    scope, external_id = "pos.redeem", params["external_id"]
    print_ = _fingerprint({"customer_code": customer.code, "value": value, "card_type": card_type})
    replay = idempotency.find(
        organization=org, scope=scope, key=external_id, print_=print_, conflict=ExternalIdConflict
    )
    if replay:
        return Outcome(replay.status, replay.body, replayed=True)
    ledger.check_redeem(customer=customer, card_type=card_type, value=value)
    binding = fraud.Binding(Action.REDEEM, card_type, value, external_id)
    challenge = fraud.verify(
        organization=org,
        customer=customer,
        binding=binding,
        pin=params["verification_pin"],
        actor=actor,
    )

    def effect() -> dict[str, Any]:
        result = ledger.redeem(
            customer=customer,
            card_type=card_type,
            value=value,
            source=SOURCE,
            external_id=external_id,
            api_key=api_key,
        )
        return {"stamps": result.stamps, "points": result.points}

    return _idempotent_commit(
        api_key=api_key,
        scope=scope,
        external_id=external_id,
        print_=print_,
        challenge=challenge,
        actor=actor,
        effect=effect,
    )


def redeem_coupon(*, api_key: ApiKey, actor: fraud.Actor, params: dict[str, Any]) -> Outcome:
    org = api_key.organization
    fraud.check_manual_code(
        organization=org,
        manual_code=params["manual_code"],
        actor=actor,
        action=Action.COUPON_REDEEM,
        coupon_token=params["token"],
    )
    coupon = coupons.get_redeemable_coupon(organization=org, token=params["token"])
    binding = fraud.Binding(Action.COUPON_REDEEM, coupon_id=coupon.pk)
    challenge = fraud.verify(
        organization=org,
        customer=coupon.customer,
        binding=binding,
        pin=params["verification_pin"],
        actor=actor,
        coupon_name=coupon.name,
    )
    with transaction.atomic():
        redeemed = coupons.redeem_coupon(
            coupon=coupon, source=SOURCE
        )  # a racing twin stops here: 409
        fraud.consume(challenge=challenge, actor=actor)
    return Outcome(200, {"data": coupon_data(redeemed, coupon.customer.code)})
