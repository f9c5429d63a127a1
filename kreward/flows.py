"""The /v1 operations after parsing: one service call each, rendered in Kreward's shapes.

Writes with an `Idempotency-Key` claim the key in the same transaction as the change, so a
retry or a racing duplicate replays the first answer instead of applying twice.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from rest_framework.fields import DateTimeField

from campaigns import cards
from campaigns.models import Campaign, CardType
from customers.models import Customer
from customers.qr import png_data_uri
from customers.services import enroll_customer
from loyalite import idempotency
from loyalite.errors import CustomerNotFound
from loyalite.models import Organization

from . import wallet
from .errors import IdempotencyKeyConflict
from .services import AuthenticatedKey

SOURCE = "api"
_datetime = DateTimeField()


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def card_type_name(campaign: Campaign) -> str:
    return "points" if campaign.card_type == CardType.POINT else "stamps"


def template_data(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": str(campaign.uuid),
        "name": campaign.name,
        "type": card_type_name(campaign),
        "goal": cards.goal_of(campaign),
    }


def get_customer(*, organization: Organization, email: str) -> Customer:
    customer = Customer.objects.filter(organization=organization, email=email).first()
    if customer is None:
        raise CustomerNotFound()
    return customer


def idempotent(
    *,
    organization: Organization,
    scope: str,
    key: str | None,
    payload: dict[str, Any],
    effect: Callable[[], dict[str, Any]],
) -> Outcome:
    if key is None:
        return Outcome(200, effect())
    print_ = idempotency.fingerprint(payload)
    common = {
        "organization": organization,
        "scope": scope,
        "key": key,
        "print_": print_,
        "conflict": IdempotencyKeyConflict,
    }
    replay = idempotency.find(**common)
    if replay is not None:
        return Outcome(replay.status, replay.body, replayed=True)
    with transaction.atomic():
        slot = idempotency.claim(**common)
        if isinstance(slot, idempotency.StoredResponse):
            return Outcome(slot.status, slot.body, replayed=True)
        body = effect()
        slot.store(200, body)
    return Outcome(200, body)


# --- reads --------------------------------------------------------------------------------
def balance(*, customer: Customer, campaign: Campaign) -> dict[str, Any]:
    return {
        "ok": True,
        "card_type": card_type_name(campaign),
        "balance": cards.balance_of(customer, campaign),
        "goal": cards.goal_of(campaign),
        "name": customer.name,
    }


def customer_card(*, customer: Customer, campaign: Campaign) -> dict[str, Any]:
    tiers = cards.tiers_of(campaign)
    current = cards.balance_of(customer, campaign)
    claimed = set(cards.redeemed_tiers(customer=customer, campaign=campaign))
    coupon_mode = campaign.reward_mode == "coupon"
    return {
        "ok": True,
        "customer": {
            "email": customer.email,
            "name": customer.name,
            "card_id": str(cards.card_id(customer=customer, campaign=campaign)),
            "customer_code": customer.code,
            "created_at": _datetime.to_representation(customer.created_at),
        },
        "card": {
            "type": card_type_name(campaign),
            "balance": current,
            "goal": cards.goal_of(campaign, tiers),
            "tiers": [
                {
                    "at": tier.at,
                    "reward": tier.reward,
                    "reached": current >= tier.at and not (tier.final and coupon_mode),
                    "redeemed": tier.at in claimed,
                }
                for tier in tiers
            ],
        },
    }


# --- writes -------------------------------------------------------------------------------
def enrollment_invite(*, organization: Organization) -> dict[str, Any]:
    url = wallet.absolute(reverse("kreward-join", args=[organization.slug]))
    return {"ok": True, "enrolled": False, "enrollment_url": url, "qr": png_data_uri(url)}


def enroll(
    *, key: AuthenticatedKey, campaign: Campaign, email: str, name: str, idempotency_key
) -> Outcome:
    organization = key.organization

    def effect() -> dict[str, Any]:
        # The merchant's form collected terms and privacy consent before calling us.
        customer, is_new = enroll_customer(
            organization=organization,
            email=email,
            name=name,
            consent_terms=True,
            consent_privacy=True,
            source=SOURCE,
        )
        card = wallet.card_for(customer=customer, campaign=campaign)
        ios, android = wallet.apple_url(card), wallet.google_url(card)
        return {
            "ok": True,
            "enrolled": True,
            "is_new": is_new,
            "card_id": str(card.serial),
            "balance": cards.balance_of(customer, campaign),
            "qr_ios": png_data_uri(ios),
            "qr_android": png_data_uri(android),
            "wallet_url_ios": ios,
            "wallet_url_android": android,
        }

    payload = {"email": email, "name": name, "template_id": str(campaign.uuid)}
    return idempotent(
        organization=organization,
        scope="v1.enroll",
        key=idempotency_key,
        payload=payload,
        effect=effect,
    )


def transaction_(
    *,
    key: AuthenticatedKey,
    campaign: Campaign,
    customer: Customer,
    delta: int,
    note: str,
    idempotency_key,
) -> Outcome:
    def effect() -> dict[str, Any]:
        result = cards.apply_delta(
            customer=customer, campaign=campaign, delta=delta, note=note, source=SOURCE
        )
        body: dict[str, Any] = {
            "ok": True,
            "new_balance": result.balance_after,
            "card_type": card_type_name(campaign),
            "goal": cards.goal_of(campaign),
            "transaction_id": result.entry.pk,
            "balance_before": result.balance_before,
        }
        if result.coupon is not None:
            body["coupon"] = {
                "id": result.coupon.pk,
                "name": result.coupon.name,
                "qr_token": result.coupon.token,
                "expires_at": _datetime.to_representation(result.coupon.expires_at),
            }
        return body

    payload = {
        "email": customer.email,
        "delta": delta,
        "note": note,
        "template_id": str(campaign.uuid),
    }
    return idempotent(
        organization=key.organization,
        scope="v1.transaction",
        key=idempotency_key,
        payload=payload,
        effect=effect,
    )


def redeem(
    *, key: AuthenticatedKey, campaign: Campaign, customer: Customer, at: int, idempotency_key
) -> Outcome:
    def effect() -> dict[str, Any]:
        result = cards.claim_tier(customer=customer, campaign=campaign, at=at, source=SOURCE)
        return {
            "ok": True,
            "redeemed_at": result.at,
            "looped": result.looped,
            "redeemed_tiers": result.redeemed_tiers,
            "balance_before": result.balance_before,
            "balance_after": result.balance_after,
            "card_type": card_type_name(campaign),
        }

    payload = {"email": customer.email, "at": at, "template_id": str(campaign.uuid)}
    return idempotent(
        organization=key.organization,
        scope="v1.redeem",
        key=idempotency_key,
        payload=payload,
        effect=effect,
    )
