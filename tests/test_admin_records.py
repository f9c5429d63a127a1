"""Customers, coupons, challenges and the audit trail in the admin: what a merchant sees."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import services as ledger
from campaigns.models import Campaign, LedgerEntry
from coupons.models import Coupon
from fraud import services as fraud
from fraud.models import VerificationEvent
from fraud.presets import Action
from loyalite.errors import PinRequired

from .admin_support import logged_in, merchant


def fill_card(tenant, customer) -> Coupon:
    stamps = Campaign.objects.get(organization=tenant.org, card_type="stamp")
    result = ledger.earn(
        customer=customer, campaign=stamps, amount=Decimal(10), source="webhook", external_id="f"
    )
    return result.coupon


def results(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_customers_are_found_by_code_email_or_name(alice):
    wanted = alice.customer(email="zed@example.com", name="Zed Ziegler")
    alice.customer(email="amy@example.com", name="Amy")
    client = logged_in(merchant(alice.org))
    url = reverse("admin:customers_customer_changelist")
    for term in (str(wanted.code), "zed@example", "Ziegler"):
        assert results(client.get(url, {"q": term})) == [wanted], term


def test_the_customer_page_shows_balances_ledger_coupons_and_verifications(alice):
    alice.org.preset = "balanced"
    alice.org.save()
    customer = alice.customer()
    coupon = fill_card(alice, customer)
    with pytest.raises(PinRequired):
        fraud.verify(
            organization=alice.org,
            customer=customer,
            binding=fraud.Binding(Action.REDEEM, "point", 5, "x"),
            pin=None,
            actor=fraud.Actor(),
        )
    page = logged_in(merchant(alice.org)).get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "Card filled (coupon issued)" in body
    assert coupon.name in body
    assert "PIN issued" in body
    assert coupon.token not in body
    assert "Adjust balance" in body


def test_coupons_are_filtered_by_status_and_voided(alice):
    customer = alice.customer()
    live = fill_card(alice, customer)
    old = Coupon.objects.create(
        organization=alice.org,
        customer=customer,
        name="Old",
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    client = logged_in(merchant(alice.org))
    url = reverse("admin:coupons_coupon_changelist")
    assert results(client.get(url, {"status": "issued"})) == [live]
    assert results(client.get(url, {"status": "expired"})) == [old]

    response = client.post(url, {"action": "void_selected", "_selected_action": [live.pk]})
    assert response.status_code == 302
    live.refresh_from_db()
    assert live.status == "void"
    assert results(client.get(url, {"status": "void"})) == [live]
    redeem = alice.post("/webhook/coupons/redeem", {"token": live.token})
    assert redeem.status_code == 422


def test_the_pending_pin_is_never_shown_to_the_merchant(alice):
    alice.org.preset = "balanced"
    alice.org.save()
    customer = alice.customer(point_balance=0)
    with pytest.raises(PinRequired) as raised:
        fraud.verify(
            organization=alice.org,
            customer=customer,
            binding=fraud.Binding(Action.REDEEM, "point", 5, "x"),
            pin=None,
            actor=fraud.Actor(),
        )
    (challenge,) = fraud.pending_challenges(customer=customer)
    client = logged_in(merchant(alice.org))
    for url in (
        reverse("admin:fraud_challenge_changelist"),
        reverse("admin:fraud_challenge_change", args=[raised.value.extra["challenge_id"]]),
    ):
        body = client.get(url).content.decode()
        assert "Pending" in body
        assert f">{challenge.pin}<" not in body
        assert f'"{challenge.pin}"' not in body


def test_the_audit_trail_filters_by_customer_kind_and_action(alice):
    alice.org.preset = "balanced"
    alice.org.save()
    first, second = alice.customer(), alice.customer()
    for customer, pin in ((first, None), (first, "9"), (second, None)):
        with pytest.raises(Exception):  # noqa: B017 - PinRequired or PinInvalid
            fraud.verify(
                organization=alice.org,
                customer=customer,
                binding=fraud.Binding(Action.REDEEM, "point", 5, "x"),
                pin=pin,
                actor=fraud.Actor(),
            )
    client = logged_in(merchant(alice.org))
    url = reverse("admin:fraud_verificationevent_changelist")
    by_customer = results(client.get(url, {"customer_code": first.code}))
    assert {e.customer_id for e in by_customer} == {first.pk}
    wrong = results(client.get(url, {"kind__exact": "pin_invalid"}))
    assert [e.customer_id for e in wrong] == [first.pk]
    assert len(results(client.get(url, {"action__exact": "redeem"}))) == 3
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    dated = {"created_at__gte": hour_ago.isoformat(), "created_at__lt": timezone.now().isoformat()}
    assert len(results(client.get(url, dated))) == VerificationEvent.objects.count()


def test_the_ledger_is_read_only(alice):
    customer = alice.customer()
    fill_card(alice, customer)
    entry = LedgerEntry.objects.filter(customer=customer).first()
    delta = entry.delta
    client = logged_in(merchant(alice.org, "owner"))
    change = reverse("admin:campaigns_ledgerentry_change", args=[entry.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"delta": 999}).status_code == 403
    assert client.post(reverse("admin:campaigns_ledgerentry_add"), {}).status_code == 403
    delete = reverse("admin:campaigns_ledgerentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.delta == delta


def test_another_orgs_coupon_cannot_be_voided(alice, bob):
    coupon = fill_card(bob, bob.customer())
    client = logged_in(merchant(alice.org, "owner"))
    url = reverse("admin:coupons_coupon_changelist")
    client.post(url, {"action": "void_selected", "_selected_action": [coupon.pk]})
    coupon.refresh_from_db()
    assert coupon.status == "issued"
