"""Kreward key pairs and tiers in the merchant admin."""

import re

from django.test import Client
from django.urls import reverse

from campaigns.models import Tier
from kreward.models import KeyPair
from loyalite.models import Membership

from .admin_support import logged_in, merchant

ADD_URL = reverse("admin:kreward_keypair_add")
LIST_URL = reverse("admin:kreward_keypair_changelist")

pytest_plugins = ["tests.kreward_support"]


def create_pair(client, **data) -> tuple[str, str]:
    response = client.post(ADD_URL, {"label": "web shop", **data})
    assert response.status_code == 200
    page = response.content.decode()
    public = re.search(r'id="new-public-key" value="(kw_pub_[^"]+)"', page)[1]
    secret = re.search(r'id="new-secret-key" value="(kw_sk_[^"]+)"', page)[1]
    return public, secret


def test_an_owner_creates_a_pair_shown_once_that_works(kw_alice):
    client = logged_in(merchant(kw_alice.org, Membership.Role.OWNER))
    public, secret = create_pair(client, allowed_origins="https://shop.example")
    answer = Client().get(
        "/v1/ping", HTTP_AUTHORIZATION=f"Bearer {public}", HTTP_ORIGIN="https://shop.example"
    )
    assert answer.json() == {"ok": True, "merchant": "Alice"}
    assert Client().get("/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    pair = KeyPair.objects.get(label="web shop")
    assert pair.organization == kw_alice.org and pair.origins == ["https://shop.example"]
    listing = client.get(LIST_URL).content.decode()
    assert pair.public_prefix in listing and public not in listing and secret not in listing


def test_an_invalid_origin_is_refused(kw_alice):
    client = logged_in(merchant(kw_alice.org, Membership.Role.OWNER))
    response = client.post(ADD_URL, {"label": "x", "allowed_origins": "shop.example"})
    assert "Not an origin" in response.content.decode()
    assert not KeyPair.objects.filter(label="x").exists()


def test_staff_may_look_but_not_create(kw_alice):
    client = logged_in(merchant(kw_alice.org))
    assert client.get(LIST_URL).status_code == 200
    assert client.post(ADD_URL, {"label": "x"}).status_code == 403


def test_revoking_a_pair_in_admin_stops_both_keys(kw_alice):
    client = logged_in(merchant(kw_alice.org, Membership.Role.OWNER))
    client.post(LIST_URL, {"action": "revoke_selected", "_selected_action": [kw_alice.pair.pk]})
    assert kw_alice.get("/v1/ping").json() == {"error": "invalid_api_key"}
    assert kw_alice.get("/v1/ping", key="public").status_code == 401


def test_another_orgs_pairs_are_invisible(kw_alice, kw_bob):
    client = logged_in(merchant(kw_alice.org, Membership.Role.OWNER))
    assert kw_bob.pair.public_prefix not in client.get(LIST_URL).content.decode()
    change = reverse("admin:kreward_keypair_change", args=[kw_bob.pair.pk])
    assert client.get(change).status_code == 404
    client.post(LIST_URL, {"action": "revoke_selected", "_selected_action": [kw_bob.pair.pk]})
    assert kw_bob.get("/v1/ping").status_code == 200


def tier_formset(campaign, at: int, reward: str) -> dict:
    return {
        "tiers-TOTAL_FORMS": "1",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
        "tiers-0-at": str(at),
        "tiers-0-reward": reward,
        "tiers-0-campaign": str(campaign.pk),
    }


def campaign_change_url(campaign) -> str:
    return reverse("admin:campaigns_campaign_change", args=[campaign.pk])


def campaign_form(client, campaign) -> dict:
    """The campaign change form's own fields as the page renders them."""
    page = client.get(campaign_change_url(campaign))
    assert page.status_code == 200
    form = page.context["adminform"].form
    return {
        name: form.initial.get(name, field.initial)
        for name, field in form.fields.items()
        if field.initial is not None or name in form.initial
    }


def test_an_owner_adds_a_stamp_tier_below_the_goal(kw_alice):
    client = logged_in(merchant(kw_alice.org, Membership.Role.OWNER))
    stamps = kw_alice.stamps
    data = {**campaign_form(client, stamps), **tier_formset(stamps, 4, "Free cookie")}
    response = client.post(campaign_change_url(stamps), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert list(Tier.objects.filter(campaign=stamps).values_list("at", "reward")) == [
        (4, "Free cookie")
    ]
    tiers = kw_alice.get("/v1/customer?email=" + kw_alice.customer().email).json()["card"]["tiers"]
    assert [t["at"] for t in tiers] == [4, 8]


def test_a_stamp_tier_at_or_above_the_goal_is_refused(kw_alice):
    client = logged_in(merchant(kw_alice.org, Membership.Role.OWNER))
    stamps = kw_alice.stamps
    data = {**campaign_form(client, stamps), **tier_formset(stamps, 8, "Too late")}
    response = client.post(campaign_change_url(stamps), data)
    assert response.status_code == 200
    assert "Below the card size" in response.content.decode()
    assert not Tier.objects.exists()


def test_another_orgs_campaign_is_not_found_in_admin(kw_alice, kw_bob):
    client = logged_in(merchant(kw_alice.org, Membership.Role.OWNER))
    assert client.get(campaign_change_url(kw_bob.stamps)).status_code == 404
