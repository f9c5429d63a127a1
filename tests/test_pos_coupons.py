"""POST /webhook/coupons/redeem: a coupon is redeemed once, by its own org, before expiry."""

import datetime

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns.models import Campaign
from coupons.models import Coupon
from coupons.services import issue_coupon, void_coupon
from loyalite.services import set_subscription


def coupon_for(tenant, *, issued_at: datetime.datetime | None = None, **customer_fields):
    customer = tenant.customer(**customer_fields)
    campaign = Campaign.objects.get(organization=tenant.org, card_type="stamp")
    return issue_coupon(customer=customer, campaign=campaign, now=issued_at)


def move_time(monkeypatch, tenant, delta: datetime.timedelta) -> None:
    """Moves the clock (keeping the org's subscription paid past the new date)."""
    set_subscription(organization=tenant.org, paid_until=datetime.date(2999, 12, 31))
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + delta)


def redeem(tenant, token, **fields):
    return tenant.post("/webhook/coupons/redeem", {"token": token, **fields})


def test_redeeming_a_coupon_returns_it_redeemed(alice):
    coupon = coupon_for(alice)
    response = redeem(alice, coupon.token)
    assert response.status_code == 200
    data = response.json()["data"]
    coupon.refresh_from_db()
    assert data == {
        "id": coupon.pk,
        "name": "Free Coffee",
        "status": "redeemed",
        "qr_token": coupon.token,
        "issued_at": data["issued_at"],
        "redeemed_at": data["redeemed_at"],
        "expires_at": data["expires_at"],
        "customer_code": coupon.customer.code,
    }
    assert parse_datetime(data["issued_at"]) == coupon.issued_at
    assert parse_datetime(data["redeemed_at"]) == coupon.redeemed_at
    assert parse_datetime(data["expires_at"]) == coupon.expires_at
    assert coupon.status == "redeemed"
    assert abs(coupon.redeemed_at - timezone.now()) < datetime.timedelta(seconds=5)


def test_a_coupon_from_a_filled_card_redeems(alice):
    customer = alice.customer(stamp_count=0)
    body = {"customer_code": customer.code, "amount": 10, "card_type": "stamp", "external_id": "o"}
    token = alice.post("/webhook/pos", body).json()["data"]["coupon"]["qr_token"]
    response = redeem(alice, token)
    assert response.status_code == 200
    assert response.json()["data"]["customer_code"] == customer.code


def test_a_coupon_redeems_only_once(alice):
    coupon = coupon_for(alice)
    first = redeem(alice, coupon.token).json()["data"]
    response = redeem(alice, coupon.token)
    assert response.status_code == 409
    assert response.json()["error"] == "coupon_already_used"
    coupon.refresh_from_db()
    assert coupon.redeemed_at == parse_datetime(first["redeemed_at"])


def test_an_unknown_token_is_404(alice):
    response = redeem(alice, "cq_does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"error": "coupon_not_found"}


def test_another_orgs_coupon_is_404_and_stays_issued(alice, bob):
    coupon = coupon_for(bob)
    response = redeem(alice, coupon.token)
    assert response.status_code == 404
    assert response.json() == {"error": "coupon_not_found"}
    coupon.refresh_from_db()
    assert coupon.status == "issued"
    assert redeem(bob, coupon.token).status_code == 200


def test_another_orgs_redeemed_coupon_is_still_404(alice, bob):
    coupon = coupon_for(bob)
    redeem(bob, coupon.token)
    assert redeem(alice, coupon.token).status_code == 404


def test_an_expired_coupon_is_422(alice):
    coupon = coupon_for(alice, issued_at=timezone.now() - datetime.timedelta(days=31))
    response = redeem(alice, coupon.token)
    assert response.status_code == 422
    assert response.json()["error"] == "coupon_expired"
    coupon.refresh_from_db()
    assert coupon.status == "issued"
    assert coupon.redeemed_at is None


def test_a_coupon_expires_when_time_passes(alice, monkeypatch):
    coupon = coupon_for(alice)
    move_time(monkeypatch, alice, datetime.timedelta(days=30, hours=1))
    response = redeem(alice, coupon.token)
    assert response.status_code == 422
    assert response.json()["error"] == "coupon_expired"


def test_a_coupon_just_before_expiry_redeems(alice):
    coupon = coupon_for(alice, issued_at=timezone.now() - datetime.timedelta(days=29, hours=23))
    assert redeem(alice, coupon.token).status_code == 200


def test_a_voided_coupon_is_422_expired(alice):
    coupon = coupon_for(alice)
    void_coupon(coupon=coupon)
    response = redeem(alice, coupon.token)
    assert response.status_code == 422
    assert response.json()["error"] == "coupon_expired"


def test_an_expired_and_already_redeemed_coupon_is_409(alice, monkeypatch):
    coupon = coupon_for(alice)
    redeem(alice, coupon.token)
    move_time(monkeypatch, alice, datetime.timedelta(days=60))
    assert redeem(alice, coupon.token).json()["error"] == "coupon_already_used"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "token"),
        ({"token": 5}, "token"),
        ({"token": None}, "token"),
        ({"token": ""}, "token"),
        ({"token": "cq_\u0000"}, "token"),
    ],
)
def test_a_missing_or_wrong_token_is_invalid_request(alice, body, field):
    response = alice.post("/webhook/coupons/redeem", body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert list(response.json()["fields"]) == [field]


def test_an_overlong_token_is_invalid_request(alice):
    response = redeem(alice, "cq_" + "x" * 100)
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["token"]


def test_redeeming_does_not_touch_other_coupons(alice):
    coupon = coupon_for(alice)
    other = issue_coupon(customer=coupon.customer, campaign=coupon.campaign)
    redeem(alice, coupon.token)
    assert Coupon.objects.get(pk=other.pk).status == "issued"
