"""API keys in the admin: created through the service, shown once, revoked at once."""

import re

from django.test import Client
from django.urls import reverse

from loyalite.models import ApiKey, Membership

from .admin_support import logged_in, merchant

ADD_URL = reverse("admin:loyalite_apikey_add")
LIST_URL = reverse("admin:loyalite_apikey_changelist")


def lookup(raw_key: str, code: int):
    return Client().get(f"/webhook/customer?code={code}", HTTP_X_API_KEY=raw_key)


def create_key(client, label: str = "front till") -> str:
    response = client.post(ADD_URL, {"label": label})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return re.search(r'id="new-api-key" value="(sk_live_[^"]+)"', response.content.decode())[1]


def test_a_new_key_is_shown_once_and_works_on_the_api(alice):
    owner = merchant(alice.org, Membership.Role.OWNER)
    client = logged_in(owner)
    raw_key = create_key(client)

    customer = alice.customer()
    response = lookup(raw_key, customer.code)
    assert response.status_code == 200
    assert response.json()["data"]["customer_code"] == customer.code

    api_key = ApiKey.objects.get(label="front till")
    assert api_key.organization == alice.org
    for url in (LIST_URL, reverse("admin:loyalite_apikey_change", args=[api_key.pk])):
        page = client.get(url).content.decode()
        assert api_key.prefix in page
        assert raw_key not in page


def test_the_list_shows_when_a_key_was_last_used(alice):
    owner = merchant(alice.org, Membership.Role.OWNER)
    client = logged_in(owner)
    raw_key = create_key(client, label="used")
    lookup(raw_key, 999999)
    api_key = ApiKey.objects.get(label="used")
    assert api_key.last_used_at is not None
    response = client.get(LIST_URL)
    row = next(r for r in response.context["cl"].result_list if r.pk == api_key.pk)
    assert row.last_used_at == api_key.last_used_at


def test_a_revoked_key_gets_401_at_once(alice):
    owner = merchant(alice.org, Membership.Role.OWNER)
    client = logged_in(owner)
    raw_key = create_key(client)
    api_key = ApiKey.objects.get(label="front till")

    response = client.post(reverse("admin:loyalite_apikey_revoke", args=[api_key.pk]))
    assert response.status_code == 302

    denied = lookup(raw_key, 123456)
    assert denied.status_code == 401
    assert denied.json() == {"error": "invalid or missing API key"}


def test_the_revoke_action_revokes_the_selected_keys(alice):
    owner = merchant(alice.org, Membership.Role.OWNER)
    client = logged_in(owner)
    raw_key = create_key(client)
    api_key = ApiKey.objects.get(label="front till")
    response = client.post(
        LIST_URL, {"action": "revoke_selected", "_selected_action": [api_key.pk]}
    )
    assert response.status_code == 302
    assert lookup(raw_key, 123456).status_code == 401


def test_revoking_needs_a_post(alice):
    owner = merchant(alice.org, Membership.Role.OWNER)
    api_key = ApiKey.objects.filter(organization=alice.org).first()
    response = logged_in(owner).get(reverse("admin:loyalite_apikey_revoke", args=[api_key.pk]))
    assert response.status_code == 405
    assert lookup(alice.key, 123456).status_code == 404


def test_staff_cannot_create_or_revoke_keys(alice):
    staff = merchant(alice.org, Membership.Role.STAFF)
    client = logged_in(staff)
    assert client.get(LIST_URL).status_code == 200
    assert client.post(ADD_URL, {"label": "sneaky"}).status_code == 403
    assert not ApiKey.objects.filter(label="sneaky").exists()

    api_key = ApiKey.objects.filter(organization=alice.org).first()
    revoke = client.post(reverse("admin:loyalite_apikey_revoke", args=[api_key.pk]))
    assert revoke.status_code == 403
    client.post(LIST_URL, {"action": "revoke_selected", "_selected_action": [api_key.pk]})
    assert lookup(alice.key, 123456).status_code == 404  # still works: unknown code, not 401


def test_another_orgs_key_cannot_be_revoked(alice, bob):
    owner = merchant(alice.org, Membership.Role.OWNER)
    client = logged_in(owner)
    bobs_key = ApiKey.objects.filter(organization=bob.org).first()
    response = client.post(reverse("admin:loyalite_apikey_revoke", args=[bobs_key.pk]))
    assert response.status_code == 404
    client.post(LIST_URL, {"action": "revoke_selected", "_selected_action": [bobs_key.pk]})
    assert lookup(bob.key, 123456).status_code == 404  # bob's key still works


def test_a_merchant_key_always_belongs_to_their_org(alice, bob):
    owner = merchant(alice.org, Membership.Role.OWNER)
    raw_key = create_key(logged_in(owner))
    customer = bob.customer()
    assert lookup(raw_key, customer.code).status_code == 404
    assert ApiKey.objects.get(label="front till").organization == alice.org
