"""Ledger operations: earn, redeem and adjust points and stamps.

Each write locks the customer's row, appends ledger entries, moves the cached balance in the
same transaction and records the outbox event.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from coupons.models import Coupon
from coupons.services import issue_coupon
from customers.models import Customer
from customers.push import push_balances_on_commit
from loyalite.errors import InsufficientBalance, StampLimitExceeded
from loyalite.models import ApiKey, Organization
from webhooks.outbox import record_event

from .models import Campaign, CardType, LedgerEntry, Reason, RewardMode

ONE = Decimal("1")


@dataclass(frozen=True)
class Balances:
    points: int
    stamps: int
    coupon: Coupon | None = None
    entry: LedgerEntry | None = None


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


def get_campaign(*, organization: Organization, card_type: str) -> Campaign:
    return Campaign.objects.get(organization=organization, card_type=card_type)


def points_for(*, campaign: Campaign, amount: Decimal) -> int:
    return round_half_up(amount * campaign.earn_ratio)


def stamps_for(*, amount: Decimal) -> int:
    return max(1, round_half_up(amount))


def check_earn(*, campaign: Campaign, amount: Decimal) -> None:
    """Business pre-check of an earn (also re-checked at commit)."""
    if campaign.card_type == CardType.STAMP and stamps_for(amount=amount) > campaign.max_stamps:
        raise StampLimitExceeded()


def check_redeem(*, customer: Customer, card_type: str, value: int) -> None:
    if _balance(customer, card_type) < value:
        raise InsufficientBalance()


def _balance(customer: Customer, card_type: str) -> int:
    return customer.point_balance if card_type == CardType.POINT else customer.stamp_count


def _lock(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().select_related("organization").get(pk=customer.pk)


def _append(customer: Customer, card_type: str, delta: int, reason: str, **fields) -> LedgerEntry:
    """Moves the cached balance and appends the matching ledger entry."""
    if card_type == CardType.POINT:
        customer.point_balance += delta
        balance_after = customer.point_balance
    else:
        customer.stamp_count += delta
        balance_after = customer.stamp_count
    return LedgerEntry.objects.create(
        organization_id=customer.organization_id,
        customer=customer,
        card_type=card_type,
        delta=delta,
        balance_after=balance_after,
        reason=reason,
        **fields,
    )


def save_balances(customer: Customer) -> None:
    """Writes the balance caches the operation moved; open dashboards hear once, after commit."""
    customer.save(update_fields=["point_balance", "stamp_count"])
    push_balances_on_commit(customer)


def _event_data(customer: Customer, source: str, entry: LedgerEntry | None, **data) -> dict:
    event = {
        "customer_code": customer.code,
        "customer_id": customer.pk,
        "source": source,
        "transaction_id": entry.pk if entry else None,
        **data,
    }
    if entry is not None and entry.user_id:
        event["user"] = entry.user.get_username()  # the merchant user (till, admin)
    return event


def record_delta_event(
    customer: Customer, card_type: str, entry: LedgerEntry, source: str, **extra
) -> None:
    """The outbox event of one balance move: earned/spent points, earned/redeemed stamps."""
    delta = entry.delta
    if card_type == CardType.POINT:
        event = "points.earned" if delta > 0 else "points.spent"
        key = "points_added" if delta > 0 else "points_spent"
        data = {key: abs(delta), "points_balance": entry.balance_after}
    else:
        event = "stamp.earned" if delta > 0 else "stamp.redeemed"
        key = "stamps_added" if delta > 0 else "stamps_spent"
        data = {key: abs(delta), "stamps_balance": entry.balance_after}
    record_event(
        organization=customer.organization,
        event=event,
        data=_event_data(customer, source, entry, **data, **extra),
    )


def fill_card(customer: Customer, campaign: Campaign, common: dict) -> Coupon:
    """Coupon mode: a full card becomes a coupon and keeps the carry-over (a new loop)."""
    coupon = issue_coupon(customer=customer, campaign=campaign)
    fill = _append(
        customer, CardType.STAMP, -campaign.max_stamps, Reason.CARD_FILLED, coupon=coupon, **common
    )
    record_delta_event(
        customer,
        CardType.STAMP,
        fill,
        common["source"],
        coupon_id=coupon.pk,
        coupon_name=coupon.name,
    )
    return coupon


@transaction.atomic
def earn(
    *,
    customer: Customer,
    campaign: Campaign,
    amount: Decimal,
    source: str,
    external_id: str = "",
    api_key: ApiKey | None = None,
    user=None,
    note: str = "",
) -> Balances:
    """Awards points (amount × ratio, half-up) or stamps (filling the card issues a coupon)."""
    check_earn(campaign=campaign, amount=amount)
    customer = _lock(customer)
    common = {"source": source, "external_id": external_id, "api_key": api_key, "user": user}
    if campaign.card_type == CardType.POINT:
        entry, coupon = _earn_points(customer, campaign, amount, common, note), None
    else:
        entry, coupon = _earn_stamps(customer, campaign, amount, common, note)
    save_balances(customer)
    return Balances(customer.point_balance, customer.stamp_count, coupon, entry)


def _earn_points(customer, campaign, amount, common, note) -> LedgerEntry | None:
    points = points_for(campaign=campaign, amount=amount)
    if points <= 0:
        return None
    entry = _append(
        customer, CardType.POINT, points, Reason.EARN, amount=amount, note=note, **common
    )
    record_delta_event(customer, CardType.POINT, entry, common["source"])
    return entry


def _earn_stamps(customer, campaign, amount, common, note) -> tuple[LedgerEntry, Coupon | None]:
    stamps = stamps_for(amount=amount)
    entry = _append(
        customer, CardType.STAMP, stamps, Reason.EARN, amount=amount, note=note, **common
    )
    record_delta_event(customer, CardType.STAMP, entry, common["source"])
    coupon = None
    if campaign.reward_mode == RewardMode.COUPON and customer.stamp_count >= campaign.max_stamps:
        coupon = fill_card(customer, campaign, common)
    return entry, coupon


@transaction.atomic
def redeem(
    *,
    customer: Customer,
    card_type: str,
    value: int,
    source: str,
    external_id: str = "",
    api_key: ApiKey | None = None,
    user=None,
    note: str = "",
) -> Balances:
    """Spends `value` points or stamps; InsufficientBalance if the locked balance is short."""
    customer = _lock(customer)
    check_redeem(customer=customer, card_type=card_type, value=value)
    entry = _append(
        customer,
        card_type,
        -value,
        Reason.REDEEM,
        source=source,
        external_id=external_id,
        api_key=api_key,
        user=user,
        note=note,
    )
    save_balances(customer)
    record_delta_event(customer, card_type, entry, source)
    return Balances(customer.point_balance, customer.stamp_count, None, entry)


@transaction.atomic
def adjust(
    *, customer: Customer, card_type: str, delta: int, reason: str, user, source: str = "manual"
) -> Balances:
    """A merchant's correction, with a required reason; never below zero."""
    if not reason.strip():
        raise ValueError("an adjustment needs a reason")
    customer = _lock(customer)
    if delta < 0:
        check_redeem(customer=customer, card_type=card_type, value=-delta)
    entry = _append(
        customer,
        card_type,
        delta,
        Reason.ADJUST,
        source=source,
        user=user,
        note=reason.strip()[:255],
    )
    save_balances(customer)
    record_delta_event(customer, card_type, entry, source)
    return Balances(customer.point_balance, customer.stamp_count, None, entry)


@transaction.atomic
def setup_default_campaigns(
    *,
    organization: Organization,
    earn_ratio: Decimal = ONE,
    max_stamps: int = 10,
    reward_name: str = "Free Coffee",
    coupon_validity_days: int = 30,
    reward_mode: str = "coupon",
) -> tuple[Campaign, Campaign]:
    points = Campaign.objects.create(
        organization=organization, card_type=CardType.POINT, name="Points", earn_ratio=earn_ratio
    )
    stamps = Campaign.objects.create(
        organization=organization,
        card_type=CardType.STAMP,
        name="Stamp card",
        max_stamps=max_stamps,
        reward_name=reward_name,
        coupon_validity_days=coupon_validity_days,
        reward_mode=reward_mode,
    )
    return points, stamps


def ledger_sum(*, customer: Customer, card_type: str) -> int:
    from django.db.models import Sum

    total = LedgerEntry.objects.filter(customer=customer, card_type=card_type).aggregate(
        s=Sum("delta")
    )["s"]
    return total or 0
