"""Operations commands: create_org, create_api_key, set_subscription."""

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign
from loyalite.models import ApiKey, Organization


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def create_org_json(slug: str, *args) -> dict:
    return json.loads(run("create_org", slug, "--name", slug.title(), "--json", *args))


def lookup_status(key: str, code: int = 123456) -> int:
    return Client().get(f"/webhook/customer?code={code}", HTTP_X_API_KEY=key).status_code


# --- create_org -----------------------------------------------------------------------------
def test_create_org_json_prints_the_slug_and_a_working_key(db):
    output = create_org_json("kahveci")
    assert set(output) == {"slug", "api_key"}
    assert output["slug"] == "kahveci"
    assert output["api_key"].startswith("sk_live_")
    assert lookup_status(output["api_key"]) == 404  # authenticated: the code is just unknown
    response = Client().get(
        "/webhook/customer?code=1", HTTP_AUTHORIZATION=f"Bearer {output['api_key']}"
    )
    assert response.status_code == 404


def test_create_org_with_defaults(db):
    create_org_json("plain")
    org = Organization.objects.get(slug="plain")
    assert (org.name, org.preset, org.pin_length, org.pin_ttl_seconds) == (
        "Plain",
        "standard",
        4,
        120,
    )
    assert (org.rate_pos_per_minute, org.rate_customer_per_minute) == (60, 30)
    assert org.paid_until == timezone.now().date() + datetime.timedelta(days=7)
    points = Campaign.objects.get(organization=org, card_type="point")
    stamps = Campaign.objects.get(organization=org, card_type="stamp")
    assert points.earn_ratio == Decimal("1")
    assert (stamps.max_stamps, stamps.reward_name) == (10, "Free Coffee")
    assert ApiKey.objects.filter(organization=org).count() == 1


def test_create_org_with_every_flag(db):
    create_org_json(
        "kahveci",
        "--preset",
        "balanced",
        "--pin-length",
        "2",
        "--pin-ttl",
        "300",
        "--earn-ratio",
        "1.5",
        "--max-stamps",
        "8",
        "--reward",
        "Free Tea",
        "--rate-pos",
        "5",
        "--rate-customer",
        "4",
    )
    org = Organization.objects.get(slug="kahveci")
    assert (org.preset, org.pin_length, org.pin_ttl_seconds) == ("balanced", 2, 300)
    assert (org.rate_pos_per_minute, org.rate_customer_per_minute) == (5, 4)
    assert Campaign.objects.get(organization=org, card_type="point").earn_ratio == Decimal("1.5")
    stamps = Campaign.objects.get(organization=org, card_type="stamp")
    assert (stamps.max_stamps, stamps.reward_name) == (8, "Free Tea")


@pytest.mark.parametrize("preset", ["standard", "balanced", "strict"])
def test_create_org_accepts_each_preset(db, preset):
    create_org_json(f"shop-{preset}", "--preset", preset)
    assert Organization.objects.get(slug=f"shop-{preset}").preset == preset


def test_the_created_orgs_settings_drive_the_api(db):
    key = create_org_json("kahveci", "--earn-ratio", "1.5", "--max-stamps", "4")["api_key"]
    client = Client()

    def post(path, body):
        return client.post(path, json.dumps(body), "application/json", HTTP_X_API_KEY=key)

    body = {"email": "c@example.com", "consent_terms": True, "consent_privacy": True}
    code = post("/webhook/customer", body).json()["data"]["customer_code"]
    earned = post("/webhook/pos", {"customer_code": code, "amount": 3, "external_id": "a"})
    assert earned.json()["data"]["points"] == 5  # 4.5 half-up
    stamps = {"customer_code": code, "amount": 5, "card_type": "stamp", "external_id": "b"}
    assert post("/webhook/pos", stamps).json()["error"] == "stamp_limit_exceeded"


def test_create_org_without_json_prints_the_key_once(db):
    output = run("create_org", "kahveci", "--name", "Kahveci")
    key = ApiKey.objects.get(organization__slug="kahveci")
    raw = output.split("API key (shown once, store it now): ")[1].strip()
    assert raw.startswith("sk_live_")
    assert key.key_hash != raw and raw not in key.prefix
    assert lookup_status(raw) == 404


def test_create_org_refuses_a_taken_slug(db):
    create_org_json("kahveci")
    with pytest.raises(CommandError, match="already exists"):
        run("create_org", "kahveci", "--name", "Again")
    assert Organization.objects.filter(slug="kahveci").count() == 1


@pytest.mark.parametrize(
    "flags",
    [
        ["--pin-ttl", "5"],
        ["--pin-ttl", "601"],
        ["--max-stamps", "0"],
        ["--earn-ratio", "lots"],
        ["--earn-ratio", "-1"],
        ["--earn-ratio", "NaN"],
        ["--earn-ratio", "1.23456"],
        ["--preset", "paranoid"],
        ["--pin-length", "6"],
    ],
)
def test_create_org_refuses_bad_settings_and_creates_nothing(db, flags):
    with pytest.raises((CommandError, SystemExit)):
        run("create_org", "bad", "--name", "Bad", *flags)
    assert not Organization.objects.filter(slug="bad").exists()
    assert not Campaign.objects.exists()


def test_create_org_requires_a_name(db):
    with pytest.raises(CommandError):
        run("create_org", "nameless")


# --- create_api_key -------------------------------------------------------------------------
def test_create_api_key_prints_a_new_working_key_with_its_label(db):
    first = create_org_json("kahveci")["api_key"]
    second = run("create_api_key", "kahveci", "--label", "Till 2").strip()
    assert second.startswith("sk_live_") and second != first
    assert ApiKey.objects.filter(organization__slug="kahveci", label="Till 2").count() == 1
    assert lookup_status(second) == 404
    assert lookup_status(first) == 404


def test_create_api_key_without_a_label(db):
    create_org_json("kahveci")
    key = run("create_api_key", "kahveci").strip()
    assert lookup_status(key) == 404
    assert ApiKey.objects.filter(organization__slug="kahveci").count() == 2


def test_a_new_key_belongs_to_its_org_only(db):
    create_org_json("kahveci")
    other = create_org_json("other")
    key = run("create_api_key", "kahveci").strip()
    client = Client()
    body = {"email": "c@example.com", "consent_terms": True, "consent_privacy": True}
    code = client.post(
        "/webhook/customer", json.dumps(body), "application/json", HTTP_X_API_KEY=other["api_key"]
    ).json()["data"]["customer_code"]
    assert lookup_status(key, code) == 404
    assert lookup_status(other["api_key"], code) == 200


def test_create_api_key_for_an_unknown_org_fails(db):
    with pytest.raises(CommandError, match="no org"):
        run("create_api_key", "ghost")


# --- set_subscription -----------------------------------------------------------------------
def test_set_subscription_in_the_past_turns_the_api_off_and_back_on(db):
    key = create_org_json("kahveci")["api_key"]
    yesterday = timezone.now().date() - datetime.timedelta(days=1)
    run("set_subscription", "kahveci", "--until", yesterday.isoformat())
    assert Organization.objects.get(slug="kahveci").paid_until == yesterday
    assert lookup_status(key) == 402
    run("set_subscription", "kahveci", "--until", "2999-12-31")
    assert lookup_status(key) == 404


def test_set_subscription_changes_the_plan_only(db):
    create_org_json("kahveci")
    paid_until = Organization.objects.get(slug="kahveci").paid_until
    output = run("set_subscription", "kahveci", "--plan", "growth")
    org = Organization.objects.get(slug="kahveci")
    assert (org.plan, org.paid_until) == ("growth", paid_until)
    assert "growth" in output


def test_set_subscription_sets_both(db):
    create_org_json("kahveci")
    run("set_subscription", "kahveci", "--until", "2030-01-31", "--plan", "enterprise")
    org = Organization.objects.get(slug="kahveci")
    assert (org.plan, org.paid_until) == ("enterprise", datetime.date(2030, 1, 31))


@pytest.mark.parametrize("args", [["--until", "31/01/2030"], ["--plan", "platinum"]])
def test_set_subscription_refuses_bad_values(db, args):
    create_org_json("kahveci")
    with pytest.raises((CommandError, SystemExit)):
        run("set_subscription", "kahveci", *args)
    assert Organization.objects.get(slug="kahveci").plan == "starter"


def test_set_subscription_for_an_unknown_org_fails(db):
    with pytest.raises(CommandError, match="no org"):
        run("set_subscription", "ghost", "--plan", "growth")
