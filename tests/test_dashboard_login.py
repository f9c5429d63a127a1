"""One-time login links: the command, the emailed link, spending, expiry, other orgs, logout."""

import datetime
import io
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from customers.models import LoginToken
from customers.services import issue_login_link

LINK_PATTERN = re.compile(r"https?://\S+/o/[\w-]+/login/\S+")


def link_path(url: str) -> str:
    assert url.startswith(settings.SITE_URL)
    return url[len(settings.SITE_URL) :]


def state_of(client: Client):
    return client.get("/me/api/state")


def test_customer_link_command_prints_an_absolute_url_that_logs_in(alice):
    customer = alice.customer(email="ayse@example.com")
    out = io.StringIO()
    call_command("customer_link", "alice", "  Ayse@Example.com ", stdout=out)
    url = out.getvalue().strip()
    assert url.startswith(f"{settings.SITE_URL}/o/alice/login/")

    client = Client()
    response = client.get(link_path(url))
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert state_of(client).json()["customer_code"] == customer.code


def test_customer_link_command_refuses_unknown_org_or_email(alice):
    alice.customer(email="ayse@example.com")
    with pytest.raises(CommandError):
        call_command("customer_link", "nope", "ayse@example.com", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("customer_link", "alice", "nobody@example.com", stdout=io.StringIO())


def test_a_link_works_once(alice):
    customer = alice.customer()
    path = link_path(issue_login_link(customer=customer))
    assert Client().get(path).status_code == 302

    second = Client()
    response = second.get(path)
    assert response.status_code == 200
    assert b"already been used or it has expired" in response.content
    assert state_of(second).status_code == 401


def test_a_link_expires_after_15_minutes(alice):
    customer = alice.customer()
    issued_at = timezone.now() - datetime.timedelta(minutes=15, seconds=1)
    path = link_path(issue_login_link(customer=customer, now=issued_at))
    client = Client()
    response = client.get(path)
    assert response.status_code == 200
    assert b"already been used or it has expired" in response.content
    assert state_of(client).status_code == 401


def test_a_link_still_works_just_before_it_expires(alice):
    customer = alice.customer()
    issued_at = timezone.now() - datetime.timedelta(minutes=14, seconds=50)
    assert (
        Client().get(link_path(issue_login_link(customer=customer, now=issued_at))).status_code
        == 302
    )


def test_another_orgs_link_does_not_log_in_and_is_not_spent(alice, bob):
    customer = bob.customer()
    path = link_path(issue_login_link(customer=customer))
    token = path.rsplit("/", 1)[1]

    client = Client()
    response = client.get(f"/o/alice/login/{token}")
    assert response.status_code == 200
    assert b"already been used or it has expired" in response.content
    assert state_of(client).status_code == 401
    assert client.get(path).status_code == 302  # still good on bob's own page
    assert state_of(client).json()["customer_code"] == customer.code


def test_a_garbage_token_shows_the_expired_page(alice):
    response = Client().get("/o/alice/login/not-a-token")
    assert response.status_code == 200
    assert b"already been used or it has expired" in response.content


def test_an_unknown_org_login_page_is_404(db):
    assert Client().get("/o/nope/login").status_code == 404


def test_tokens_are_stored_hashed(alice):
    customer = alice.customer()
    token = issue_login_link(customer=customer).rsplit("/", 1)[1]
    stored = LoginToken.objects.get(customer=customer)
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_a_head_request_does_not_spend_the_link(alice):
    customer = alice.customer()
    path = link_path(issue_login_link(customer=customer))
    assert Client().head(path).status_code == 405
    assert Client().get(path).status_code == 302


def test_asking_by_email_sends_a_link_that_logs_in(alice, django_capture_on_commit_callbacks):
    customer = alice.customer(email="ayse@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/o/alice/login", {"email": "Ayse@example.com"})
    assert response.status_code == 200
    assert b"Check your email" in response.content
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ayse@example.com"]
    url = LINK_PATTERN.search(mail.outbox[0].body).group(0)

    client = Client()
    assert client.get(link_path(url)).status_code == 302
    assert state_of(client).json()["customer_code"] == customer.code


def test_asking_for_an_unknown_email_answers_the_same_and_sends_nothing(
    alice, bob, django_capture_on_commit_callbacks
):
    alice.customer(email="ayse@example.com")
    bob.customer(email="bora@example.com")  # a customer of another org is unknown here
    with django_capture_on_commit_callbacks(execute=True):
        known = Client().post("/o/alice/login", {"email": "ayse@example.com"})
        unknown = Client().post("/o/alice/login", {"email": "bora@example.com"})
    assert unknown.status_code == known.status_code == 200
    assert unknown.content.replace(b"bora", b"ayse") == known.content.replace(b"bora", b"ayse")
    assert [message.to for message in mail.outbox] == [["ayse@example.com"]]


def test_asking_with_an_invalid_email_shows_the_form_again(alice):
    response = Client().post("/o/alice/login", {"email": "not an email"})
    assert response.status_code == 200
    assert b"Enter a valid email address" in response.content
    assert mail.outbox == []


def test_asking_too_often_for_one_address_stops_sending(alice, django_capture_on_commit_callbacks):
    alice.customer(email="ayse@example.com")
    for _ in range(7):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post("/o/alice/login", {"email": "ayse@example.com"})
        assert response.status_code == 200
    assert len(mail.outbox) == 5


def test_logout_ends_the_session(alice):
    customer = alice.customer()
    client = Client()
    client.get(link_path(issue_login_link(customer=customer)))
    assert state_of(client).status_code == 200

    response = client.post("/me/logout")
    assert response.status_code == 302
    assert response["Location"] == "/o/alice/login"
    assert state_of(client).status_code == 401
    assert b"You are not logged in" in client.get("/me/").content


def test_logout_needs_a_post(alice):
    customer = alice.customer()
    client = Client()
    client.get(link_path(issue_login_link(customer=customer)))
    assert client.get("/me/logout").status_code == 405
    assert state_of(client).status_code == 200


def test_logging_in_changes_the_session_id(alice):
    customer = alice.customer()
    client = Client()
    client.get("/o/alice/login")
    client.session.save()
    before = client.cookies.get(settings.SESSION_COOKIE_NAME)
    client.get(link_path(issue_login_link(customer=customer)))
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before is None or before.value != after
