"""create_merchant_user and create_org --owner-email: the merchant can then log in at /admin/."""

import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from loyalite.models import Membership, Organization

PASSWORD = "a-long-merchant-pass-42"


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def can_log_in(email: str, password: str) -> bool:
    client = Client()
    client.post(reverse("admin:login"), {"username": email, "password": password})
    return client.get(reverse("admin:index")).status_code == 200


def test_merchant_password_from_the_environment(alice, monkeypatch):
    monkeypatch.setenv("MERCHANT_PASSWORD", PASSWORD)
    output = run("create_merchant_user", "alice", "Till@Alice.Example.com")
    assert "Password set from MERCHANT_PASSWORD" in output
    membership = Membership.objects.get(user__email="till@alice.example.com")
    assert (membership.organization, membership.role) == (alice.org, "staff")
    assert can_log_in("till@alice.example.com", PASSWORD)


def test_without_a_password_a_one_time_link_sets_it(alice, monkeypatch, settings):
    monkeypatch.delenv("MERCHANT_PASSWORD", raising=False)
    settings.SITE_URL = "https://loyalty.example.com"
    output = run("create_merchant_user", "alice", "boss@alice.example.com", "--role", "owner")
    link = re.search(r"(https://loyalty\.example\.com/admin/reset/\S+)", output)[1]
    path = link.removeprefix(settings.SITE_URL)
    client = Client()
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert done.status_code == 302
    assert can_log_in("boss@alice.example.com", PASSWORD)
    assert not Client().get(path, follow=True).context["validlink"]  # spent


def test_an_existing_email_is_refused(alice):
    run("create_merchant_user", "alice", "dup@example.com")
    with pytest.raises(CommandError, match="already exists"):
        run("create_merchant_user", "alice", "DUP@example.com")


def test_an_unknown_org_is_refused(db):
    with pytest.raises(CommandError, match="no org"):
        run("create_merchant_user", "nope", "x@example.com")


def test_create_org_with_an_owner(db, monkeypatch):
    monkeypatch.setenv("MERCHANT_PASSWORD", PASSWORD)
    output = run(
        "create_org", "kahveci", "--name", "Kahveci", "--owner-email", "o@k.example.com", "--json"
    )
    assert json.loads(output)["owner_email"] == "o@k.example.com"
    user = get_user_model().objects.get(username="o@k.example.com")
    assert user.is_staff and not user.is_superuser
    assert user.membership.role == "owner"
    assert user.membership.organization.slug == "kahveci"
    assert can_log_in("o@k.example.com", PASSWORD)


def test_create_org_with_an_invalid_owner_email_creates_nothing(db):
    with pytest.raises(CommandError, match="email"):
        run("create_org", "kahveci", "--name", "Kahveci", "--owner-email", "not-an-email")
    assert not get_user_model().objects.exists()
    assert not Organization.objects.filter(slug="kahveci").exists()
