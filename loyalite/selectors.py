"""Read-side figures for the merchant admin's index page.

Reads across the domain apps' models; only adapters (the admin) import this module, so it
adds no import from a domain app back to loyalite.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from campaigns.models import CardType, LedgerEntry, Reason
from coupons.models import Coupon
from customers.models import Customer
from fraud.models import EventKind, VerificationEvent

from .models import Organization

FIGURES_DAYS = 7


@dataclass(frozen=True)
class Figures:
    since: datetime.datetime
    customers: int
    new_customers: int
    points_earned: int
    points_spent: int
    coupons_issued: int
    coupons_redeemed: int
    pin_failures: int
    lockouts: int


def _in_org(queryset: QuerySet, organization: Organization | None) -> QuerySet:
    return queryset if organization is None else queryset.filter(organization=organization)


def _sum(queryset: QuerySet) -> int:
    return queryset.aggregate(total=Sum("delta"))["total"] or 0


def org_figures(
    *, organization: Organization | None, now: datetime.datetime | None = None
) -> Figures:
    """The org's activity over the last FIGURES_DAYS days (every org's when None)."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=FIGURES_DAYS)
    customers = _in_org(Customer.objects.all(), organization)
    points = _in_org(LedgerEntry.objects.all(), organization).filter(
        card_type=CardType.POINT, created_at__gt=since
    )
    coupons = _in_org(Coupon.objects.all(), organization)
    events = _in_org(VerificationEvent.objects.all(), organization).filter(created_at__gt=since)
    return Figures(
        since=since,
        customers=customers.count(),
        new_customers=customers.filter(created_at__gt=since).count(),
        points_earned=_sum(points.filter(reason=Reason.EARN)),
        points_spent=-_sum(points.filter(reason__in=[Reason.REDEEM, Reason.CLAIM])),
        coupons_issued=coupons.filter(issued_at__gt=since).count(),
        coupons_redeemed=coupons.filter(redeemed_at__gt=since).count(),
        pin_failures=events.filter(kind=EventKind.PIN_INVALID).count(),
        lockouts=events.filter(
            Q(kind=EventKind.ATTEMPTS_EXCEEDED) | Q(kind=EventKind.LOCKED)
        ).count(),
    )
