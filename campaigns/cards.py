"""Card operations of the Kreward surface: signed balance deltas and tier claims.

Same ledger, cached balances, coupons and outbox events as `campaigns.services`; each write
locks the customer's row and runs in one transaction. A stamp card's "loop" is the number of
times it was emptied by a fill (coupon mode) or by claiming its final tier (claim mode); tiers
claimed in earlier loops are re-armed. Points cards never loop.
"""

import uuid
from dataclasses import dataclass

from django.db import models, transaction

from coupons.models import Coupon
from customers.models import Customer
from loyalite.errors import (
    InsufficientBalance,
    InvalidTier,
    StampLimitExceeded,
    TierAlreadyRedeemed,
    TierNotReached,
)
from loyalite.models import ApiKey

from .models import Campaign, CardType, LedgerEntry, Reason, RewardMode, Tier, TierClaim
from .services import _append, _lock, fill_card, record_delta_event, save_balances


@dataclass(frozen=True)
class TierView:
    at: int
    reward: str
    final: bool = False


@dataclass(frozen=True)
class DeltaResult:
    balance_before: int
    balance_after: int
    entry: LedgerEntry
    coupon: Coupon | None = None


@dataclass(frozen=True)
class ClaimResult:
    at: int
    looped: bool
    redeemed_tiers: list[int]
    balance_before: int
    balance_after: int
    entry: LedgerEntry


def card_id(*, customer: Customer, campaign: Campaign) -> uuid.UUID:
    """The customer's card on a campaign: stable, derived, never stored."""
    return uuid.uuid5(campaign.uuid, str(customer.pk))


def balance_of(customer: Customer, campaign: Campaign) -> int:
    return customer.point_balance if campaign.card_type == CardType.POINT else customer.stamp_count


def goal_of(campaign: Campaign, tiers: list[TierView] | None = None) -> int | None:
    """Stamps: the card size; points: the highest tier, or None without tiers."""
    if campaign.card_type == CardType.STAMP:
        return campaign.max_stamps
    tiers = tiers if tiers is not None else tiers_of(campaign)
    return tiers[-1].at if tiers else None


def tiers_of(campaign: Campaign) -> list[TierView]:
    """The campaign's tiers by `at`; a stamp card ends with its final tier at the goal."""
    rows = list(Tier.objects.filter(campaign=campaign).order_by("at"))
    if campaign.card_type == CardType.POINT:
        return [TierView(row.at, row.reward) for row in rows]
    below = [TierView(row.at, row.reward) for row in rows if row.at < campaign.max_stamps]
    return [*below, TierView(campaign.max_stamps, campaign.reward_name, final=True)]


def current_loop(*, customer: Customer, campaign: Campaign) -> int:
    if campaign.card_type == CardType.POINT:
        return 0
    emptied = models.Q(reason=Reason.CARD_FILLED) | models.Q(reason=Reason.CLAIM, delta__lt=0)
    return LedgerEntry.objects.filter(emptied, customer=customer, card_type=CardType.STAMP).count()


def redeemed_tiers(*, customer: Customer, campaign: Campaign) -> list[int]:
    """The `at` of every tier claimed in the card's current loop."""
    loop = current_loop(customer=customer, campaign=campaign)
    return sorted(
        TierClaim.objects.filter(customer=customer, campaign=campaign, loop=loop).values_list(
            "at", flat=True
        )
    )


def _coupon_mode(campaign: Campaign) -> bool:
    return campaign.card_type == CardType.STAMP and campaign.reward_mode == RewardMode.COUPON


@transaction.atomic
def apply_delta(
    *,
    customer: Customer,
    campaign: Campaign,
    delta: int,
    source: str,
    note: str = "",
    api_key: ApiKey | None = None,
) -> DeltaResult:
    """Adds (or with a negative delta spends) points or stamps as given, never below zero."""
    if delta == 0:
        raise ValueError("a delta must not be zero")
    if _coupon_mode(campaign) and delta > campaign.max_stamps:
        raise StampLimitExceeded()
    customer = _lock(customer)
    before = balance_of(customer, campaign)
    if before + delta < 0:
        raise InsufficientBalance()
    common = {"source": source, "api_key": api_key}
    reason = Reason.EARN if delta > 0 else Reason.REDEEM
    entry = _append(customer, campaign.card_type, delta, reason, note=note[:255], **common)
    record_delta_event(customer, campaign.card_type, entry, source)
    coupon = None
    if delta > 0 and _coupon_mode(campaign) and customer.stamp_count >= campaign.max_stamps:
        coupon = fill_card(customer, campaign, common)
    save_balances(customer)
    return DeltaResult(before, balance_of(customer, campaign), entry, coupon)


def find_tier(*, campaign: Campaign, at: int) -> TierView:
    for tier in tiers_of(campaign):
        if tier.at == at:
            return tier
    raise InvalidTier()


@transaction.atomic
def claim_tier(
    *, customer: Customer, campaign: Campaign, at: int, source: str, api_key: ApiKey | None = None
) -> ClaimResult:
    """Marks a reached tier redeemed; the final stamp tier (claim mode) loops the card."""
    tier = find_tier(campaign=campaign, at=at)
    customer = _lock(customer)
    before = balance_of(customer, campaign)
    if (tier.final and _coupon_mode(campaign)) or before < tier.at:
        raise TierNotReached()
    loop = current_loop(customer=customer, campaign=campaign)
    if TierClaim.objects.filter(customer=customer, campaign=campaign, at=at, loop=loop).exists():
        raise TierAlreadyRedeemed()
    spent = tier.at if tier.final else 0
    entry = _append(
        customer,
        campaign.card_type,
        -spent,
        Reason.CLAIM,
        source=source,
        api_key=api_key,
        note=f"Tier {tier.at}: {tier.reward}"[:255],
    )
    TierClaim.objects.create(
        organization_id=customer.organization_id,
        customer=customer,
        campaign=campaign,
        at=tier.at,
        reward=tier.reward,
        loop=loop,
        entry=entry,
    )
    save_balances(customer)
    if spent:
        record_delta_event(customer, campaign.card_type, entry, source)
    claimed = [] if spent else redeemed_tiers(customer=customer, campaign=campaign)
    return ClaimResult(tier.at, bool(spent), claimed, before, balance_of(customer, campaign), entry)


@transaction.atomic
def add_tier(*, campaign: Campaign, at: int, reward: str) -> Tier:
    """A tier below a stamp card's goal (its final tier is the campaign's reward) or on points."""
    if at < 1:
        raise ValueError("a tier's `at` must be at least 1")
    if campaign.card_type == CardType.STAMP and at >= campaign.max_stamps:
        raise ValueError(f"a stamp tier must be below the card size ({campaign.max_stamps})")
    if not reward.strip():
        raise ValueError("a tier needs a reward")
    tier, _ = Tier.objects.update_or_create(
        campaign=campaign, at=at, defaults={"reward": reward.strip()[:100]}
    )
    return tier
