"""The org settings page: owners change the preset, PIN, campaigns and limits; staff look."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from loyalite.models import Membership

from .admin_support import logged_in, merchant


def settings_url(org) -> str:
    return reverse("admin:loyalite_organization_change", args=[org.pk])


def settings_form(org, **changes) -> dict:
    """The change form's POST body as the page would send it, with `changes` applied."""
    points = Campaign.objects.get(organization=org, card_type="point")
    stamps = Campaign.objects.get(organization=org, card_type="stamp")
    data = {
        "name": org.name,
        "preset": org.preset,
        "pin_length": org.pin_length,
        "pin_ttl_seconds": org.pin_ttl_seconds,
        "rate_pos_per_minute": org.rate_pos_per_minute,
        "rate_customer_per_minute": org.rate_customer_per_minute,
        "campaigns-TOTAL_FORMS": 1,
        "campaigns-INITIAL_FORMS": 1,
        "campaigns-0-id": points.pk,
        "campaigns-0-organization": org.pk,
        "campaigns-0-name": points.name,
        "campaigns-0-earn_ratio": points.earn_ratio,
        "campaigns-2-TOTAL_FORMS": 1,
        "campaigns-2-INITIAL_FORMS": 1,
        "campaigns-2-0-id": stamps.pk,
        "campaigns-2-0-organization": org.pk,
        "campaigns-2-0-name": stamps.name,
        "campaigns-2-0-max_stamps": stamps.max_stamps,
        "campaigns-2-0-reward_name": stamps.reward_name,
        "campaigns-2-0-coupon_validity_days": stamps.coupon_validity_days,
        "campaigns-2-0-reward_mode": stamps.reward_mode,
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
    }
    data.update(changes)
    return data


def test_settings_page_shows_the_preset_matrix(alice):
    owner = merchant(alice.org, Membership.Role.OWNER)
    response = logged_in(owner).get(settings_url(alice.org))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="preset-matrix"' in page
    assert "Balance adjustment" in page
    assert "rotating TOTP, 30 s" in page


def test_the_settings_link_takes_a_merchant_to_their_own_org(alice):
    owner = merchant(alice.org, Membership.Role.OWNER)
    response = logged_in(owner).get(reverse("admin:loyalite_organization_changelist"))
    assert response.status_code == 302
    assert response["Location"] == settings_url(alice.org)


def test_a_preset_change_takes_effect_on_the_next_api_call(alice):
    customer = alice.customer(point_balance=0)
    alice.post("/webhook/pos", {"customer_code": customer.code, "amount": 50, "external_id": "e-1"})
    owner = merchant(alice.org, Membership.Role.OWNER)
    response = logged_in(owner).post(
        settings_url(alice.org), settings_form(alice.org, preset="balanced")
    )
    assert response.status_code == 302, response.context and response.context["errors"]

    redeem = alice.post(
        "/webhook/redeem",
        {"customer_code": customer.code, "value": 10, "card_type": "point", "external_id": "r-1"},
    )
    assert redeem.status_code == 412
    assert redeem.json()["error"] == "pin_required"


def test_an_owner_changes_pin_campaigns_and_rate_limits(alice):
    owner = merchant(alice.org, Membership.Role.OWNER)
    body = settings_form(
        alice.org,
        pin_length=2,
        pin_ttl_seconds=300,
        rate_pos_per_minute=90,
        **{
            "campaigns-0-earn_ratio": "2.5",
            "campaigns-2-0-max_stamps": 8,
            "campaigns-2-0-reward_name": "Free Tea",
            "campaigns-2-0-coupon_validity_days": 14,
        },
    )
    response = logged_in(owner).post(settings_url(alice.org), body)
    assert response.status_code == 302

    alice.org.refresh_from_db()
    assert (alice.org.pin_length, alice.org.pin_ttl_seconds) == (2, 300)
    assert alice.org.rate_pos_per_minute == 90
    stamps = Campaign.objects.get(organization=alice.org, card_type="stamp")
    assert (stamps.max_stamps, stamps.reward_name, stamps.coupon_validity_days) == (
        8,
        "Free Tea",
        14,
    )
    customer = alice.customer()
    earn = alice.post(
        "/webhook/pos", {"customer_code": customer.code, "amount": 3, "external_id": "e-2"}
    )
    assert earn.json() == {"data": {"stamps": 0, "points": 8}}  # 3 × 2.5 = 7.5 → 8


@pytest.mark.parametrize(
    ("field", "value"),
    [("pin_ttl_seconds", 5), ("pin_ttl_seconds", 601), ("rate_pos_per_minute", 0)],
)
def test_out_of_range_settings_are_refused(alice, field, value):
    owner = merchant(alice.org, Membership.Role.OWNER)
    response = logged_in(owner).post(
        settings_url(alice.org), settings_form(alice.org, **{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors


def test_staff_can_look_at_settings_but_not_change_them(alice):
    staff = merchant(alice.org, Membership.Role.STAFF)
    client = logged_in(staff)
    page = client.get(settings_url(alice.org))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content

    response = client.post(
        settings_url(alice.org), settings_form(alice.org, preset="standard", pin_length=2)
    )
    assert response.status_code == 403
    alice.org.refresh_from_db()
    assert alice.org.pin_length == 4


def test_a_merchant_cannot_extend_their_subscription(alice):
    owner = merchant(alice.org, Membership.Role.OWNER)
    paid_until = alice.org.paid_until
    response = logged_in(owner).post(
        settings_url(alice.org),
        settings_form(alice.org, paid_until="2099-01-01", plan="enterprise"),
    )
    assert response.status_code == 302
    alice.org.refresh_from_db()
    assert alice.org.paid_until == paid_until
    assert alice.org.plan == "starter"


def test_a_superuser_sets_the_subscription_date(alice, admin_user):
    body = settings_form(alice.org, paid_until="2099-01-01", plan="growth")
    response = logged_in(admin_user).post(settings_url(alice.org), body)
    assert response.status_code == 302
    alice.org.refresh_from_db()
    assert str(alice.org.paid_until) == "2099-01-01"
    assert alice.org.plan == "growth"


def test_another_orgs_settings_are_not_found(alice, bob):
    owner = merchant(alice.org, Membership.Role.OWNER)
    client = logged_in(owner)
    assert client.get(settings_url(bob.org)).status_code == 404
    response = client.post(
        settings_url(bob.org), settings_form(bob.org, preset="standard", pin_length=2)
    )
    assert response.status_code == 404
    bob.org.refresh_from_db()
    assert bob.org.pin_length == 4
