"""The POS write paths: each is a lookup and then `fraud.flows.run_gated`.

Check order (API.md): manual_code → lookup → idempotent replay → business pre-check → PIN
gate → one transaction (claim the external_id, run the service, consume the challenge,
store the answer), so retries and races have exactly one effect.
"""

import functools
from decimal import Decimal
from typing import Any

from rest_framework.fields import DateTimeField

from campaigns import services as ledger
from coupons import services as coupons
from coupons.models import Coupon
from customers.models import Customer
from customers.services import get_customer_by_code
from fraud import services as fraud
from fraud.flows import Outcome, run_gated
from fraud.presets import Action
from loyalite import idempotency
from loyalite.models import ApiKey

SOURCE = "webhook"
_datetime = DateTimeField()

__all__ = ["Outcome", "coupon_data", "customer_data", "earn", "redeem", "redeem_coupon"]


def customer_data(customer: Customer) -> dict[str, Any]:
    return {
        "customer_code": customer.code,
        "masked_email": customer.masked_email,
        "stamp_count": customer.stamp_count,
        "point_balance": customer.point_balance,
    }


def _time(value) -> str | None:
    return _datetime.to_representation(value) if value else None


def coupon_data(coupon: Coupon, customer_code: int) -> dict[str, Any]:
    return {
        "id": coupon.pk,
        "name": coupon.name,
        "status": coupon.status,
        "qr_token": coupon.token,
        "issued_at": _time(coupon.issued_at),
        "redeemed_at": _time(coupon.redeemed_at),
        "expires_at": _time(coupon.expires_at),
        "customer_code": customer_code,
    }


def earn(*, api_key: ApiKey, actor: fraud.Actor, params: dict[str, Any]) -> Outcome:
    org = api_key.organization
    amount: Decimal = params["amount"]
    card_type, external_id = params["card_type"], params["external_id"]
    fraud.check_manual_code(
        organization=org,
        manual_code=params["manual_code"],
        actor=actor,
        action=Action.EARN,
        customer_code=params["customer_code"],
        amount=amount,
    )
    customer = get_customer_by_code(organization=org, code=params["customer_code"])
    # Looked up only past the replay check, so a replay stays cheap.
    campaign = functools.cache(lambda: ledger.get_campaign(organization=org, card_type=card_type))

    def effect() -> dict[str, Any]:
        result = ledger.earn(
            customer=customer,
            campaign=campaign(),
            amount=amount,
            source=SOURCE,
            external_id=external_id,
            api_key=api_key,
        )
        data: dict[str, Any] = {"stamps": result.stamps, "points": result.points}
        if result.coupon is not None:
            coupon = result.coupon
            data["coupon"] = {"id": coupon.pk, "name": coupon.name, "qr_token": coupon.token}
        return {"data": data}

    return run_gated(
        organization=org,
        customer=customer,
        binding=fraud.Binding(Action.EARN, card_type, amount, external_id),
        pin=params["verification_pin"],
        actor=actor,
        effect=effect,
        scope="pos.earn",
        key=external_id,
        # normalize(): 10 and 10.0 are the same request, so a retry re-spelling it replays.
        fingerprint=idempotency.fingerprint(
            {"customer_code": customer.code, "amount": amount.normalize(), "card_type": card_type}
        ),
        precheck=lambda: ledger.check_earn(campaign=campaign(), amount=amount),
    )


def redeem(*, api_key: ApiKey, actor: fraud.Actor, params: dict[str, Any]) -> Outcome:
    org = api_key.organization
    value, card_type, external_id = params["value"], params["card_type"], params["external_id"]
    fraud.check_manual_code(
        organization=org,
        manual_code=params["manual_code"],
        actor=actor,
        action=Action.REDEEM,
        customer_code=params["customer_code"],
        amount=value,
    )
    customer = get_customer_by_code(organization=org, code=params["customer_code"])

    def effect() -> dict[str, Any]:
        result = ledger.redeem(
            customer=customer,
            card_type=card_type,
            value=value,
            source=SOURCE,
            external_id=external_id,
            api_key=api_key,
        )
        return {"data": {"stamps": result.stamps, "points": result.points}}

    return run_gated(
        organization=org,
        customer=customer,
        binding=fraud.Binding(Action.REDEEM, card_type, value, external_id),
        pin=params["verification_pin"],
        actor=actor,
        effect=effect,
        scope="pos.redeem",
        key=external_id,
        fingerprint=idempotency.fingerprint(
            {"customer_code": customer.code, "value": value, "card_type": card_type}
        ),
        precheck=lambda: ledger.check_redeem(customer=customer, card_type=card_type, value=value),
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

    def effect() -> dict[str, Any]:
        # The coupon's row lock makes a racing twin stop here with coupon_already_used.
        redeemed = coupons.redeem_coupon(coupon=coupon, source=SOURCE)
        return {"data": coupon_data(redeemed, coupon.customer.code)}

    return run_gated(
        organization=org,
        customer=coupon.customer,
        binding=fraud.Binding(Action.COUPON_REDEEM, coupon_id=coupon.pk),
        pin=params["verification_pin"],
        actor=actor,
        effect=effect,
        coupon_name=coupon.name,
    )
