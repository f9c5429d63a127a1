"""Profile, marketing consent, "download my data" and "delete my account"."""

import json

from django.conf import settings
from django.test import Client

from campaigns.models import LedgerEntry
from campaigns.services import ledger_sum
from customers.models import Customer
from customers.services import issue_login_link


def logged_in(customer) -> Client:
    client = Client()
    url = issue_login_link(customer=customer)
    assert client.get(url[len(settings.SITE_URL) :]).status_code == 302
    return client


def earn(tenant, customer, amount, card_type="point", external_id="e-1"):
    body = {
        "customer_code": customer.code,
        "amount": amount,
        "card_type": card_type,
        "external_id": external_id,
    }
    assert tenant.post("/webhook/pos", body).status_code == 200


def test_the_profile_page_saves_name_phone_and_consent_with_its_time(alice):
    customer = alice.customer(name="Old", consent_marketing=False)
    client = logged_in(customer)
    assert client.get("/me/profile").status_code == 200

    response = client.post(
        "/me/profile", {"name": " Ayşe ", "phone": "+90 555 123 45 67", "consent_marketing": "on"}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.consent_marketing) == (
        "Ayşe",
        "+90 555 123 45 67",
        True,
    )
    given_at = customer.consent_marketing_at
    assert given_at is not None

    client.post("/me/profile", {"name": "Ayşe", "phone": ""})
    customer.refresh_from_db()
    assert (customer.phone, customer.consent_marketing) == ("", False)
    assert customer.consent_marketing_at > given_at


def test_a_bad_phone_number_is_refused(alice):
    customer = alice.customer(phone="")
    response = logged_in(customer).post("/me/profile", {"name": "A", "phone": "call me maybe"})
    assert response.status_code == 200
    assert b"Use digits" in response.content
    customer.refresh_from_db()
    assert customer.phone == ""


def test_the_profile_page_needs_a_session(db):
    response = Client().get("/me/profile")
    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_download_my_data_has_profile_ledger_and_coupons(tenant_factory):
    tenant = tenant_factory("kahveci", max_stamps=8)
    customer = tenant.customer(email="ayse@example.com", name="Ayşe", phone="5551234")
    earn(tenant, customer, 12.5, external_id="p-1")
    earn(tenant, customer, 8, card_type="stamp", external_id="s-1")

    response = logged_in(customer).get("/me/export")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert set(data) == {"profile", "ledger", "coupons"}
    assert data["profile"]["email"] == "ayse@example.com"
    assert data["profile"]["name"] == "Ayşe"
    assert data["profile"]["phone"] == "5551234"
    assert data["profile"]["customer_code"] == customer.code
    assert [(row["card_type"], row["delta"], row["reason"]) for row in data["ledger"]] == [
        ("point", 13, "earn"),
        ("stamp", 8, "earn"),
        ("stamp", -8, "card_filled"),
    ]
    assert data["ledger"][0]["amount"] == "12.5"
    assert [(coupon["name"], coupon["status"]) for coupon in data["coupons"]] == [
        ("Free Coffee", "issued")
    ]


def test_download_my_data_needs_a_session(db):
    assert Client().get("/me/export").status_code == 401


def test_delete_my_account_erases_personal_data_and_keeps_the_ledger(alice):
    customer = alice.customer(email="ayse@example.com", name="Ayşe", phone="5551234")
    earn(alice, customer, 40, external_id="p-1")
    earn(alice, customer, 2, external_id="p-2")
    entries_before = LedgerEntry.objects.filter(organization=alice.org).count()
    client = logged_in(customer)
    spare_link = issue_login_link(customer=customer)

    response = client.post("/me/delete", {"confirm": "on"})
    assert response.status_code == 200
    assert b"Your account is deleted" in response.content

    customer.refresh_from_db()
    assert (customer.email, customer.name, customer.phone) == ("", "", "")
    assert customer.erased_at is not None
    assert LedgerEntry.objects.filter(organization=alice.org).count() == entries_before
    assert ledger_sum(customer=customer, card_type="point") == 42
    assert client.get("/me/api/state").status_code == 401
    other = Client()
    assert b"already been used" in other.get(spare_link[len(settings.SITE_URL) :]).content
    assert other.get("/me/api/state").status_code == 401


def test_an_erased_customer_can_sign_up_again_as_someone_new(alice):
    customer = alice.customer(email="ayse@example.com")
    logged_in(customer).post("/me/delete", {"confirm": "on"})
    response = alice.post(
        "/webhook/customer",
        {"email": "ayse@example.com", "consent_terms": True, "consent_privacy": True},
    )
    assert response.json()["data"]["is_new"] is True
    assert response.json()["data"]["customer_code"] != customer.code


def test_delete_needs_the_confirmation_box(alice):
    customer = alice.customer(email="ayse@example.com")
    client = logged_in(customer)
    response = client.post("/me/delete", {})
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.email == "ayse@example.com"
    assert customer.erased_at is None
    assert client.get("/me/api/state").status_code == 200


def test_deleting_one_account_leaves_another_orgs_customer_alone(alice, bob):
    mine = alice.customer(email="ayse@example.com")
    theirs = bob.customer(email="ayse@example.com", name="Bora")
    logged_in(mine).post("/me/delete", {"confirm": "on"})
    theirs.refresh_from_db()
    assert (theirs.email, theirs.name, theirs.erased_at) == ("ayse@example.com", "Bora", None)
    assert Customer.objects.get(pk=mine.pk).erased_at is not None


def test_an_erased_customer_is_no_longer_found_by_the_pos(alice):
    from customers.services import erase_customer

    customer = alice.customer()
    erase_customer(customer=customer)
    lookup = alice.get(f"/webhook/customer?code={customer.code}")
    assert lookup.status_code == 404
    assert lookup.json() == {"error": "customer_not_found"}
    earn = alice.post(
        "/webhook/pos", {"customer_code": customer.code, "amount": 5, "external_id": "after-erase"}
    )
    assert earn.status_code == 404
