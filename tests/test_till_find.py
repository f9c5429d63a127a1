"""The scan field: customer QRs, typed codes (refused on Strict) and coupon QRs."""

import datetime

from django.utils import timezone

from campaigns.services import get_campaign
from coupons.services import issue_coupon, redeem_coupon
from customers.services import current_qr
from fraud.models import EventKind, VerificationEvent

from .till_support import Till


def _coupon(customer, name="Free Coffee"):
    campaign = get_campaign(organization=customer.organization, card_type="stamp")
    campaign.reward_name = name
    return issue_coupon(customer=customer, campaign=campaign)


def test_a_scanned_qr_opens_the_customer_card(alice):
    customer = alice.customer(
        email="ayse@example.com", name="Ayşe", point_balance=120, stamp_count=3
    )
    _coupon(customer, "Free Cake")
    till = Till.for_org(alice.org)
    payload, _ = current_qr(customer=customer)

    response = till.find(payload)

    assert response.status_code == 200
    card = response.json()["card"]
    assert "a***@example.com" in card
    assert "ayse@example.com" not in card
    assert "Ayşe" in card
    assert "data-points>120<" in card
    assert '<span data-stamps>3</span><span class="of"> of 10</span>' in card
    assert card.count('class="dot filled"') == 3
    assert "Free Cake" in card


def test_a_typed_code_opens_the_card_on_standard(alice):
    customer = alice.customer(code=482193)
    response = Till.for_org(alice.org).find("482193")
    assert response.status_code == 200
    assert f'data-customer-code="{customer.code}"' in response.json()["card"]


def test_an_unknown_code_says_so(alice):
    response = Till.for_org(alice.org).find("999998")
    assert response.status_code == 404
    assert response.json()["error"] == "customer_not_found"
    assert response.json()["message"] == "No customer with this code in this shop."


def test_a_typed_code_is_refused_on_strict_and_audited(tenant_factory):
    strict = tenant_factory("strict-shop", preset="strict")
    customer = strict.customer(code=482193)
    till = Till.for_org(strict.org)

    response = till.find("482193")

    assert response.status_code == 422
    assert response.json()["error"] == "manual_code_disabled"
    assert "Scan the QR code on the customer's phone" in response.json()["message"]
    event = VerificationEvent.objects.get(kind=EventKind.MANUAL_CODE_REFUSED)
    assert event.customer == customer
    assert event.user == till.user
    assert event.organization == strict.org


def test_strict_accepts_the_rotating_qr_but_not_a_static_one(tenant_factory):
    strict = tenant_factory("strict-shop", preset="strict")
    customer = strict.customer()
    till = Till.for_org(strict.org)
    rotating, _ = current_qr(customer=customer)
    assert rotating.startswith("LT1:")
    assert till.find(rotating).status_code == 200

    from customers.qr import sign_static

    static, _ = sign_static(organization_id=strict.org.pk, customer_code=customer.code)
    response = till.find(static)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_qr"


def test_a_tampered_qr_is_refused(alice):
    customer = alice.customer()
    payload, _ = current_qr(customer=customer)
    response = Till.for_org(alice.org).find(payload[:-2] + "xx")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_qr"


def test_a_coupon_qr_opens_the_coupon_on_its_owners_card(alice):
    customer = alice.customer(email="bora@example.com")
    coupon = _coupon(customer, "Free Cake")
    response = Till.for_org(alice.org).find(coupon.token)
    assert response.status_code == 200
    card = response.json()["card"]
    assert "data-scanned-coupon" in card
    assert "Scanned coupon" in card
    assert "Redeem coupon" in card
    assert "b***@example.com" in card


def test_a_used_coupon_opens_with_the_date_it_was_used(alice):
    coupon = _coupon(alice.customer())
    redeem_coupon(coupon=coupon, source="webhook")
    card = Till.for_org(alice.org).find(coupon.token).json()["card"]
    assert "Already used on" in card
    assert "Redeem coupon" not in card


def test_an_expired_coupon_is_not_listed_as_active(alice):
    customer = alice.customer()
    coupon = _coupon(customer, "Old Reward")
    coupon.expires_at = timezone.now() - datetime.timedelta(days=1)
    coupon.save()
    payload, _ = current_qr(customer=customer)
    card = Till.for_org(alice.org).find(payload).json()["card"]
    assert "Old Reward" not in card
    assert "None." in card


def test_an_empty_scan_is_a_form_error(alice):
    response = Till.for_org(alice.org).find("   ")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
