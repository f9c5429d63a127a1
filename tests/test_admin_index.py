"""The admin index shows the org's figures for the last 7 days, and only the org's."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import services as ledger
from campaigns.models import Campaign
from coupons.services import redeem_coupon
from fraud import services as fraud
from fraud.presets import Action
from loyalite.errors import DomainError
from loyalite.selectors import org_figures

from .admin_support import logged_in, merchant


def activity(tenant, *, points: int, wrong_pins: int) -> None:
    tenant.org.preset = "balanced"
    tenant.org.save()
    customer = tenant.customer()
    campaigns = {c.card_type: c for c in Campaign.objects.filter(organization=tenant.org)}
    ledger.earn(
        customer=customer, campaign=campaigns["point"], amount=Decimal(points), source="webhook"
    )
    ledger.redeem(customer=customer, card_type="point", value=5, source="webhook")
    coupon = ledger.earn(
        customer=customer, campaign=campaigns["stamp"], amount=Decimal(10), source="webhook"
    ).coupon
    redeem_coupon(coupon=coupon, source="webhook")
    binding = fraud.Binding(Action.REDEEM, "point", 1, "x")
    for pin in [None] + ["wrong"] * wrong_pins:
        with pytest.raises(DomainError):
            fraud.verify(
                organization=tenant.org,
                customer=customer,
                binding=binding,
                pin=pin,
                actor=fraud.Actor(),
            )


def figures_on(page: str) -> dict[str, int]:
    return {
        name: int(value) for name, value in re.findall(r'data-figure="(\w+)"[^>]*>(\d+)<', page)
    }


def test_the_index_shows_this_orgs_figures(alice, bob):
    activity(alice, points=40, wrong_pins=3)
    activity(bob, points=900, wrong_pins=1)
    response = logged_in(merchant(alice.org)).get(reverse("admin:index"))
    assert response.status_code == 200
    assert figures_on(response.content.decode()) == {
        "customers": 1,
        "new_customers": 1,
        "points_earned": 40,
        "points_spent": 5,
        "coupons_issued": 1,
        "coupons_redeemed": 1,
        "pin_failures": 3,
        "lockouts": 1,
    }


def test_figures_count_only_the_last_seven_days(alice):
    activity(alice, points=40, wrong_pins=0)
    later = timezone.now() + datetime.timedelta(days=8)
    figures = org_figures(organization=alice.org, now=later)
    assert (figures.customers, figures.new_customers) == (1, 0)
    assert (figures.points_earned, figures.coupons_issued, figures.pin_failures) == (0, 0, 0)


def test_a_superuser_sees_every_orgs_figures(alice, bob, admin_user):
    activity(alice, points=40, wrong_pins=0)
    activity(bob, points=60, wrong_pins=0)
    page = logged_in(admin_user).get(reverse("admin:index")).content.decode()
    assert figures_on(page)["points_earned"] == 100
    assert "All organisations" in page
