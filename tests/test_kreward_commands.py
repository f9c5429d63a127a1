"""create_kreward_keys and create_org's Kreward options."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from campaigns.models import Campaign, Tier
from kreward.models import KeyPair

pytest_plugins = ["tests.kreward_support"]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_kreward_keys_prints_a_working_pair_once_as_json(kw_alice):
    keys = json.loads(
        run("create_kreward_keys", "alice", "--label", "woo", "--origins",
            "https://shop.example,https://*.shop.example", "--json")
    )  # fmt: skip
    assert set(keys) == {"public_key", "secret_key"}
    assert keys["public_key"].startswith("kw_pub_") and keys["secret_key"].startswith("kw_sk_")
    pair = KeyPair.objects.get(label="woo")
    assert pair.organization == kw_alice.org
    assert pair.origins == ["https://shop.example", "https://*.shop.example"]
    assert keys["secret_key"] not in json.dumps(list(KeyPair.objects.values()), default=str)
    response = Client().get(
        "/v1/ping",
        HTTP_AUTHORIZATION=f"Bearer {keys['public_key']}",
        HTTP_ORIGIN="https://eu.shop.example",
    )
    assert response.json() == {"ok": True, "merchant": "Alice"}


def test_create_kreward_keys_for_one_org_does_not_open_another(kw_alice, kw_bob):
    keys = json.loads(run("create_kreward_keys", "alice", "--json"))
    bobs = kw_bob.customer()
    response = Client().get(
        f"/v1/balance?email={bobs.email}", HTTP_AUTHORIZATION=f"Bearer {keys['secret_key']}"
    )
    assert response.json() == {"error": "customer_not_found"}


def test_create_kreward_keys_refuses_an_unknown_org_or_a_bad_origin(kw_alice):
    with pytest.raises(CommandError, match="no org"):
        run("create_kreward_keys", "nobody")
    with pytest.raises(CommandError, match="not an origin"):
        run("create_kreward_keys", "alice", "--origins", "shop.example")


def test_create_org_takes_plan_reward_mode_and_tiers(db):
    run(
        "create_org", "dora", "--name", "Dora", "--plan", "growth", "--reward-mode", "claim",
        "--max-stamps", "8", "--stamp-tier", "4:Free cookie", "--stamp-tier", "6:Free muffin",
        "--point-tier", "100:Tote bag",
    )  # fmt: skip
    stamps = Campaign.objects.get(organization__slug="dora", card_type="stamp")
    assert stamps.reward_mode == "claim" and stamps.organization.plan == "growth"
    assert list(Tier.objects.filter(campaign=stamps).values_list("at", "reward")) == [
        (4, "Free cookie"),
        (6, "Free muffin"),
    ]
    points = Campaign.objects.get(organization__slug="dora", card_type="point")
    assert list(points.tiers.values_list("at", "reward")) == [(100, "Tote bag")]


@pytest.mark.parametrize("tier", ["8:Too big", "x:Nope", "0:Zero", "4:"])
def test_create_org_refuses_bad_stamp_tiers(db, tier):
    with pytest.raises(CommandError):
        run("create_org", "dora", "--name", "Dora", "--max-stamps", "8", "--stamp-tier", tier)
    assert not Campaign.objects.filter(organization__slug="dora").exists()
