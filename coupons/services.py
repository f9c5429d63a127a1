"""Coupon operations: issue (when a stamp card fills) and redeem."""

import datetime

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from loyalite.errors import CouponAlreadyUsed, CouponExpired, CouponNotFound
from loyalite.models import Organization
from webhooks.outbox import record_event

from .models import Coupon, CouponStatus


def issue_coupon(*, customer: Customer, campaign, now: datetime.datetime | None = None) -> Coupon:
    """Issues the campaign's reward; the caller holds the transaction (the card fill)."""
    now = now or timezone.now()
    return Coupon.objects.create(
        organization=customer.organization,
        customer=customer,
        campaign=campaign,
        name=campaign.reward_name,
        issued_at=now,
        expires_at=now + datetime.timedelta(days=campaign.coupon_validity_days),
    )


def _check_redeemable(coupon: Coupon, now: datetime.datetime) -> None:
    if coupon.status == CouponStatus.REDEEMED:
        raise CouponAlreadyUsed()
    if coupon.status in (CouponStatus.EXPIRED, CouponStatus.VOID) or coupon.is_past_expiry(now):
        raise CouponExpired()


def get_redeemable_coupon(*, organization: Organization, token: str) -> Coupon:
    """The org's coupon for this token if it can be redeemed now (the pre-check)."""
    coupon = (
        Coupon.objects.select_related("customer", "organization")
        .filter(organization=organization, token=token)
        .first()
    )
    if coupon is None:
        raise CouponNotFound()
    _check_redeemable(coupon, timezone.now())
    return coupon


@transaction.atomic
def redeem_coupon(*, coupon: Coupon, source: str, user=None) -> Coupon:
    """Marks the coupon redeemed exactly once, re-checking under its row lock."""
    locked = (
        Coupon.objects.select_for_update()
        .select_related("customer", "organization")
        .get(pk=coupon.pk)
    )
    now = timezone.now()
    _check_redeemable(locked, now)
    locked.status = CouponStatus.REDEEMED
    locked.redeemed_at = now
    locked.save(update_fields=["status", "redeemed_at"])
    data = {
        "customer_code": locked.customer.code,
        "customer_id": locked.customer_id,
        "coupon_id": locked.pk,
        "coupon_name": locked.name,
        "source": source,
    }
    if user is not None:
        data["user"] = user.get_username()  # the merchant user (till)
    record_event(organization=locked.organization, event="coupon.redeemed", data=data)
    return locked


@transaction.atomic
def void_coupon(*, coupon: Coupon) -> Coupon:
    locked = Coupon.objects.select_for_update().get(pk=coupon.pk)
    if locked.status == CouponStatus.ISSUED:
        locked.status = CouponStatus.VOID
        locked.save(update_fields=["status"])
    return locked
