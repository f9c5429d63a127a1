"""`manage.py seed_demo`: what ./scripts/serve prints must work as printed, run after run."""

import io
import json
import shlex
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from customers.models import Customer
from loyalite.models import ApiKey, Organization


def seed_demo() -> dict:
    output = io.StringIO()
    call_command("seed_demo", "--json", stdout=output)
    return json.loads(output.getvalue())


def run_curl(client: Client, curl: str):
    """Replays a printed curl line (method, URL, headers, body) with the test client."""
    words = shlex.split(curl)
    method, url, headers, body = "GET", "", {}, None
    index = 1
    while index < len(words):
        word = words[index]
        if word == "-X":
            method, index = words[index + 1], index + 1
        elif word == "-H":
            name, _, value = words[index + 1].partition(": ")
            headers[name] = value
            index += 1
        elif word == "-d":
            body, index = words[index + 1], index + 1
        elif not word.startswith("-"):
            url = word
        index += 1
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    content_type = headers.pop("Content-Type", "application/octet-stream")
    return client.generic(method, path, data=body or "", content_type=content_type, headers=headers)


@pytest.mark.django_db
def test_seed_demo_creates_the_org_once_and_a_new_key_every_run():
    first = seed_demo()
    second = seed_demo()

    assert (first["created"], second["created"]) == (True, False)
    assert Organization.objects.filter(slug="demo").count() == 1
    assert Customer.objects.filter(organization__slug="demo").count() == 1
    assert first["customer_code"] == second["customer_code"]
    assert first["api_key"] != second["api_key"]
    assert ApiKey.objects.filter(organization__slug="demo").count() == 2


@pytest.mark.django_db
def test_printed_curls_work_as_printed():
    seeded = seed_demo()
    client = Client()

    lookup = run_curl(client, seeded["lookup_curl"])
    earn = run_curl(client, seeded["earn_curl"])

    assert lookup.status_code == 200
    assert lookup.json()["data"]["customer_code"] == seeded["customer_code"]
    assert earn.status_code == 200
    assert earn.json() == {"data": {"stamps": 0, "points": 10}}


@pytest.mark.django_db
def test_demo_key_does_not_reach_another_orgs_customer(alice):
    seeded = seed_demo()
    alices_customer = alice.customer()

    response = Client().get(
        f"/webhook/customer?code={alices_customer.code}", HTTP_X_API_KEY=seeded["api_key"]
    )

    assert response.status_code == 404
    assert response.json()["error"] == "customer_not_found"


@pytest.mark.django_db
def test_printed_dashboard_link_logs_the_demo_customer_in():
    seeded = seed_demo()
    client = Client()

    login = client.get(urlsplit(seeded["dashboard_url"]).path, follow=True)
    state = client.get("/me/api/state")

    assert login.status_code == 200
    assert state.status_code == 200
    assert state.json()["customer_code"] == seeded["customer_code"]
