"""Balance adjustment from the admin: a reason always, the customer's PIN on Balanced/Strict."""

import re

from django.urls import reverse

from campaigns.models import LedgerEntry
from fraud.services import pending_challenges
from loyalite.models import Membership

from .admin_support import logged_in, merchant


def adjust_url(customer) -> str:
    return reverse("admin:customers_customer_adjust", args=[customer.pk])


def start(client, customer) -> dict:
    """Opens the form and returns its fields as the browser would submit them."""
    page = client.get(adjust_url(customer))
    assert page.status_code == 200
    nonce = re.search(r'name="nonce" value="([0-9a-f]{32})"', page.content.decode())[1]
    return {"card_type": "point", "delta": 25, "reason": "Till was offline", "nonce": nonce}


def page_errors(response) -> str:
    form = response.context["form"]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def test_on_standard_the_adjustment_applies_at_once(alice):
    customer = alice.customer()
    staff = merchant(alice.org)
    client = logged_in(staff)
    response = client.post(adjust_url(customer), start(client, customer))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.point_balance == 25
    entry = LedgerEntry.objects.get(customer=customer)
    assert (entry.delta, entry.reason, entry.source) == (25, "adjust", "manual")
    assert entry.note == "Till was offline"
    assert entry.user == staff


def test_on_balanced_the_adjustment_needs_the_pin_the_customer_sees(alice):
    alice.org.preset = "balanced"
    alice.org.save()
    customer = alice.customer()
    owner = merchant(alice.org, Membership.Role.OWNER)
    client = logged_in(owner)
    form = start(client, customer)

    asked = client.post(adjust_url(customer), form)
    assert asked.status_code == 200
    assert "PIN was sent to the customer" in page_errors(asked)
    assert not LedgerEntry.objects.filter(customer=customer).exists()

    (challenge,) = pending_challenges(customer=customer)
    assert challenge.action == "adjust" and challenge.amount == "25"
    done = client.post(adjust_url(customer), {**form, "pin": challenge.pin})
    assert done.status_code == 302

    (entry,) = LedgerEntry.objects.filter(customer=customer)
    assert (entry.delta, entry.note, entry.user) == (25, "Till was offline", owner)
    customer.refresh_from_db()
    assert customer.point_balance == 25


def test_a_wrong_pin_shows_the_attempts_left(alice):
    alice.org.preset = "strict"
    alice.org.save()
    customer = alice.customer()
    client = logged_in(merchant(alice.org))
    form = start(client, customer)
    client.post(adjust_url(customer), form)
    (challenge,) = pending_challenges(customer=customer)
    wrong = "0000" if challenge.pin != "0000" else "1111"

    response = client.post(adjust_url(customer), {**form, "pin": wrong})
    assert response.status_code == 200
    assert "Wrong PIN: 2 attempt(s) left." in page_errors(response)
    assert 'name="pin"' in response.content.decode()
    assert f'value="{wrong}"' not in response.content.decode()
    assert not LedgerEntry.objects.filter(customer=customer).exists()


def test_a_pin_for_one_amount_does_not_authorise_another(alice):
    alice.org.preset = "balanced"
    alice.org.save()
    customer = alice.customer()
    client = logged_in(merchant(alice.org))
    form = start(client, customer)
    client.post(adjust_url(customer), form)
    (challenge,) = pending_challenges(customer=customer)

    response = client.post(adjust_url(customer), {**form, "delta": 2500, "pin": challenge.pin})
    assert response.status_code == 200
    assert "PIN was sent" in page_errors(response)
    assert not LedgerEntry.objects.filter(customer=customer).exists()


def test_submitting_a_finished_form_again_changes_nothing(alice):
    customer = alice.customer()
    client = logged_in(merchant(alice.org))
    form = start(client, customer)
    client.post(adjust_url(customer), form)
    client.post(adjust_url(customer), form)
    assert LedgerEntry.objects.filter(customer=customer).count() == 1


def test_a_reason_is_required(alice):
    customer = alice.customer()
    client = logged_in(merchant(alice.org))
    response = client.post(adjust_url(customer), {**start(client, customer), "reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert not LedgerEntry.objects.filter(customer=customer).exists()


def test_a_removal_cannot_go_below_zero(alice):
    customer = alice.customer()
    client = logged_in(merchant(alice.org))
    response = client.post(adjust_url(customer), {**start(client, customer), "delta": -5})
    assert response.status_code == 200
    assert "balance is too low" in page_errors(response)


def test_another_orgs_customer_cannot_be_adjusted(alice, bob):
    customer = bob.customer()
    client = logged_in(merchant(alice.org, Membership.Role.OWNER))
    assert client.get(adjust_url(customer)).status_code == 404
    form = {"card_type": "point", "delta": 25, "reason": "x", "nonce": "a" * 32}
    assert client.post(adjust_url(customer), form).status_code == 404
    assert not LedgerEntry.objects.filter(customer=customer).exists()
