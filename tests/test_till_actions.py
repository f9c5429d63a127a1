"""Till actions on every preset: the PIN gate, the results, the ledger and the webhook events."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import LedgerEntry
from campaigns.services import get_campaign
from coupons.models import Coupon, CouponStatus
from coupons.services import issue_coupon
from customers.services import current_qr
from fraud.models import Challenge, ChallengeState, EventKind, VerificationEvent
from webhooks.models import Event

from .till_support import Till, pending_pin, request_id

GATED = {
    "standard": set(),
    "balanced": {"redeem_points", "redeem_stamps", "redeem_coupon"},
    "strict": {"earn_points", "add_stamps", "redeem_points", "redeem_stamps", "redeem_coupon"},
}


def _coupon(customer):
    campaign = get_campaign(organization=customer.organization, card_type="stamp")
    return issue_coupon(customer=customer, campaign=campaign)


ACTIONS = {
    # name: (call, expected points, expected stamps, result message)
    "earn_points": (lambda t, ref, c, **kw: t.earn(ref, "25.40", **kw), 125, 4, "Added 25 points."),
    "add_stamps": (
        lambda t, ref, c, **kw: t.earn(ref, 2, card_type="stamp", **kw),
        100,
        6,
        "Added 2 stamps.",
    ),
    "redeem_points": (
        lambda t, ref, c, **kw: t.redeem(ref, 60, **kw),
        40,
        4,
        "Redeemed 60 points.",
    ),
    "redeem_stamps": (
        lambda t, ref, c, **kw: t.redeem(ref, 3, card_type="stamp", **kw),
        100,
        1,
        "Redeemed 3 stamps.",
    ),
    "redeem_coupon": (
        lambda t, ref, c, **kw: t.coupon(_coupon(c).token, **kw),
        100,
        4,
        "Coupon Free Coffee redeemed.",
    ),
}


@pytest.fixture
def shop(tenant_factory, request):
    return tenant_factory(f"{request.param}-shop", preset=request.param)


def _open(till, customer) -> str:
    return till.open(current_qr(customer=customer)[0])


@pytest.mark.parametrize("shop", ["standard", "balanced", "strict"], indirect=True)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_on_every_preset(shop, action):
    call, points, stamps, message = ACTIONS[action]
    customer = shop.customer(point_balance=100, stamp_count=4)
    till = Till.for_org(shop.org)
    ref = _open(till, customer)
    rid = request_id()
    if action == "redeem_coupon":
        token = _coupon(customer).token
        send = lambda pin=None: till.coupon(token, rid=rid, pin=pin)  # noqa: E731
    else:
        send = lambda pin=None: call(till, ref, customer, rid=rid, pin=pin)  # noqa: E731

    response = send()

    if action in GATED[shop.org.preset]:
        assert response.status_code == 412, response.content
        body = response.json()
        assert body["error"] == "pin_required"
        assert body["remaining_attempts"] == 3
        assert body["pin_length"] == 4
        assert body["expires_in"] == 120
        assert body["message"] == "Ask the customer for the PIN on their phone."
        customer.refresh_from_db()
        assert (customer.point_balance, customer.stamp_count) == (100, 4)
        response = send(pending_pin(customer))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"] == message
    assert body["replayed"] is False
    assert (body["result"]["points"], body["result"]["stamps"]) == (points, stamps)
    assert f"data-points>{points}<" in body["card"]
    assert f"<span data-stamps>{stamps}</span>" in body["card"]


def test_ledger_entries_and_events_carry_source_manual_and_the_cashier(alice):
    customer = alice.customer(point_balance=100)
    till = Till.for_org(alice.org)
    ref = _open(till, customer)

    assert till.earn(ref, "10").status_code == 200
    assert till.earn(ref, 1, card_type="stamp").status_code == 200
    assert till.redeem(ref, 30).status_code == 200
    coupon = _coupon(customer)
    assert till.coupon(coupon.token).status_code == 200

    entries = LedgerEntry.objects.filter(customer=customer).order_by("id")
    assert [(e.card_type, e.delta) for e in entries] == [
        ("point", 10),
        ("stamp", 1),
        ("point", -30),
    ]
    assert {e.source for e in entries} == {"manual"}
    assert {e.user for e in entries} == {till.user}
    assert all(e.api_key is None for e in entries)
    events = Event.objects.filter(organization=alice.org).order_by("occurred_at")
    assert [e.event for e in events] == [
        "points.earned",
        "stamp.earned",
        "points.spent",
        "coupon.redeemed",
    ]
    assert {e.data["source"] for e in events} == {"manual"}
    assert {e.data["customer_code"] for e in events} == {customer.code}
    assert {e.data["user"] for e in events} == {till.user.get_username()}


def test_a_full_stamp_card_issues_the_coupon(tenant_factory):
    shop = tenant_factory("stampy", max_stamps=5, reward_name="Free Tea")
    customer = shop.customer(stamp_count=4)
    till = Till.for_org(shop.org)
    response = till.earn(_open(till, customer), 2, card_type="stamp")
    body = response.json()
    assert body["message"] == "Added 2 stamps. Card full: Free Tea coupon issued."
    assert body["result"]["stamps"] == 1
    assert "Free Tea" in body["card"]
    assert [e.source for e in LedgerEntry.objects.filter(customer=customer)] == ["manual"] * 2


def test_a_double_submit_is_applied_once(alice):
    customer = alice.customer()
    till = Till.for_org(alice.org)
    ref = _open(till, customer)
    rid = request_id()

    first = till.earn(ref, "40", rid=rid)
    second = till.earn(ref, "40", rid=rid)

    assert first.status_code == second.status_code == 200
    assert second.json()["replayed"] is True
    assert second.json()["message"] == "Already done: Added 40 points."
    assert second.json()["result"] == first.json()["result"]
    customer.refresh_from_db()
    assert customer.point_balance == 40
    assert LedgerEntry.objects.filter(customer=customer).count() == 1
    assert Event.objects.filter(event="points.earned").count() == 1


def test_a_retried_pin_submit_after_success_replays_without_a_new_pin(tenant_factory):
    shop = tenant_factory("balanced-shop", preset="balanced")
    customer = shop.customer(point_balance=100)
    till = Till.for_org(shop.org)
    ref = _open(till, customer)
    rid = request_id()
    assert till.redeem(ref, 30, rid=rid).status_code == 412
    pin = pending_pin(customer)

    assert till.redeem(ref, 30, rid=rid, pin=pin).status_code == 200
    again = till.redeem(ref, 30, rid=rid, pin=pin)

    assert again.status_code == 200
    assert again.json()["replayed"] is True
    customer.refresh_from_db()
    assert customer.point_balance == 70
    assert Challenge.objects.filter(customer=customer).count() == 1


def test_a_double_tap_on_a_coupon_replays_instead_of_already_used(alice):
    coupon = _coupon(alice.customer())
    till = Till.for_org(alice.org)
    rid = request_id()
    assert till.coupon(coupon.token, rid=rid).status_code == 200
    again = till.coupon(coupon.token, rid=rid)
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    other_attempt = till.coupon(coupon.token)
    assert other_attempt.status_code == 409
    assert other_attempt.json()["message"] == "This coupon has already been used."
    assert Event.objects.filter(event="coupon.redeemed").count() == 1


def test_the_same_request_id_for_a_different_amount_is_refused(alice):
    customer = alice.customer()
    till = Till.for_org(alice.org)
    ref = _open(till, customer)
    rid = request_id()
    assert till.earn(ref, "10", rid=rid).status_code == 200
    response = till.earn(ref, "11", rid=rid)
    assert response.status_code == 409
    assert response.json()["error"] == "external_id_conflict"


def test_a_wrong_pin_shows_the_attempts_left_and_the_third_kills_the_challenge(tenant_factory):
    shop = tenant_factory("balanced-shop", preset="balanced")
    customer = shop.customer(point_balance=100)
    till = Till.for_org(shop.org)
    ref = _open(till, customer)
    rid = request_id()
    till.redeem(ref, 10, rid=rid)
    wrong = "0000" if pending_pin(customer) != "0000" else "1111"

    first = till.redeem(ref, 10, rid=rid, pin=wrong)
    assert first.status_code == 422
    assert first.json()["remaining_attempts"] == 2
    assert first.json()["message"] == "Wrong PIN. 2 attempts left."
    second = till.redeem(ref, 10, rid=rid, pin=wrong)
    assert second.json()["message"] == "Wrong PIN. 1 attempt left."
    third = till.redeem(ref, 10, rid=rid, pin=wrong)
    assert third.status_code == 429
    assert third.json()["error"] == "pin_attempts_exceeded"
    assert third.json()["message"] == "Too many wrong PINs. Send a new PIN."

    fresh = till.redeem(ref, 10, rid=rid)  # "send a new PIN": the same request id
    assert fresh.status_code == 412
    assert till.redeem(ref, 10, rid=rid, pin=pending_pin(customer)).status_code == 200
    misses = VerificationEvent.objects.filter(kind=EventKind.PIN_INVALID)
    assert misses.count() == 3
    assert {event.user for event in misses} == {till.user}


def test_an_expired_pin_asks_for_a_new_one(tenant_factory):
    shop = tenant_factory("strict-shop", preset="strict")
    customer = shop.customer()
    till = Till.for_org(shop.org)
    ref = _open(till, customer)
    rid = request_id()
    till.earn(ref, "5", rid=rid)
    pin = pending_pin(customer)
    Challenge.objects.filter(customer=customer).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = till.earn(ref, "5", rid=rid, pin=pin)

    assert response.status_code == 422
    assert response.json()["error"] == "pin_expired"
    assert response.json()["message"] == "The PIN has expired. Send a new PIN."
    assert Challenge.objects.get(customer=customer).state == ChallengeState.EXPIRED


def test_a_pin_does_not_authorise_a_different_amount(tenant_factory):
    shop = tenant_factory("balanced-shop", preset="balanced")
    customer = shop.customer(point_balance=100)
    till = Till.for_org(shop.org)
    ref = _open(till, customer)
    rid = request_id()
    till.redeem(ref, 10, rid=rid)
    pin = pending_pin(customer)

    response = till.redeem(ref, 90, rid=request_id(), pin=pin)

    assert response.status_code == 412
    customer.refresh_from_db()
    assert customer.point_balance == 100


def test_the_pin_challenge_records_the_cashier(tenant_factory):
    shop = tenant_factory("balanced-shop", preset="balanced")
    customer = shop.customer(point_balance=100)
    till = Till.for_org(shop.org)
    till.redeem(_open(till, customer), 10)
    challenge = Challenge.objects.get(customer=customer)
    assert challenge.user == till.user
    assert challenge.api_key is None
    assert challenge.description == "Redeem 10 points at Balanced-Shop"
    assert challenge.client_ip == "127.0.0.1"


def test_not_enough_points_is_refused_before_any_pin(tenant_factory):
    shop = tenant_factory("balanced-shop", preset="balanced")
    customer = shop.customer(point_balance=5)
    till = Till.for_org(shop.org)
    response = till.redeem(_open(till, customer), 10)
    assert response.status_code == 422
    assert response.json()["message"] == "The customer doesn't have enough for that."
    assert not Challenge.objects.exists()


def test_more_stamps_than_the_card_holds_are_refused(alice):
    customer = alice.customer()
    till = Till.for_org(alice.org)
    response = till.earn(_open(till, customer), 11, card_type="stamp")
    assert response.status_code == 422
    assert response.json()["error"] == "stamp_limit_exceeded"


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": "0"},
        {"amount": "abc"},
        {"amount": "1.5", "card_type": "stamp"},
        {"request_id": "short"},
        {"pin": "12ab"},
    ],
)
def test_bad_form_input_is_a_422_with_the_field(alice, fields):
    customer = alice.customer()
    till = Till.for_org(alice.org)
    ref = _open(till, customer)
    data = {"customer": ref, "card_type": "point", "amount": "5", "request_id": request_id()}
    data.update(fields)
    response = till.client.post("/till/earn", data)
    assert response.status_code == 422
    assert set(response.json()["fields"]) <= set(fields) | {"__all__"}
    assert response.json()["fields"]


def test_a_comma_is_not_taken_as_a_decimal_point_by_the_server(alice):
    # The page turns "12,50" into "12.50"; a raw comma reaching the server is a form error.
    customer = alice.customer()
    till = Till.for_org(alice.org)
    assert till.earn(_open(till, customer), "12,50").status_code == 422


def test_recent_actions_list_this_shops_till_actions_newest_first(alice):
    customer = alice.customer(point_balance=50)
    till = Till.for_org(alice.org)
    ref = _open(till, customer)
    till.earn(ref, "7")
    response = till.redeem(ref, 20)
    recent = response.json()["recent"]
    assert recent.index("-20 pts") < recent.index("+7 pts")
    assert till.user.email in recent
    page = till.client.get("/till/").content.decode()
    assert "-20 pts" in page


def test_recent_actions_stop_at_twenty(alice):
    customer = alice.customer()
    till = Till.for_org(alice.org)
    ref = _open(till, customer)
    for amount in range(1, 23):
        till.earn(ref, str(amount))
    recent = till.client.get("/till/").content.decode()
    assert recent.count('class="recent-item"') == 20
    assert "+22 pts" in recent
    assert "+2 pts" not in recent


def test_owners_get_a_link_to_correct_an_action(alice):
    customer = alice.customer()
    owner = Till.for_org(alice.org, role="owner")
    staff = Till.for_org(alice.org)
    owner.earn(_open(owner, customer), "3")
    assert (
        f"/admin/customers/customer/{customer.pk}/adjust/"
        in owner.client.get("/till/").content.decode()
    )
    assert "/adjust/" not in staff.client.get("/till/").content.decode()


def test_a_card_opened_long_ago_must_be_scanned_again(alice):
    import time

    from django.core import signing

    from till.forms import CUSTOMER_REF_MAX_AGE, CUSTOMER_REF_SALT

    class PastSigner(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - CUSTOMER_REF_MAX_AGE - 5)

    customer = alice.customer()
    stale = PastSigner(salt=CUSTOMER_REF_SALT).sign_object([alice.org.pk, customer.pk])
    response = Till.for_org(alice.org).earn(stale, "5")
    assert response.status_code == 404
    assert (
        response.json()["message"] == "This card was opened too long ago. Scan the customer again."
    )


def test_a_coupon_that_is_not_active_cannot_be_redeemed(alice):
    coupon = _coupon(alice.customer())
    Coupon.objects.filter(pk=coupon.pk).update(status=CouponStatus.VOID)
    response = Till.for_org(alice.org).coupon(coupon.token)
    assert response.status_code == 422
    assert response.json()["error"] == "coupon_expired"
