"""POST /webhook/pos: earn points (Decimal, half-up) or stamps (card fill issues a coupon)."""

import json
from decimal import Decimal

import pytest

from campaigns.models import LedgerEntry
from campaigns.services import ledger_sum
from coupons.models import Coupon


def earn_raw(tenant, code: int, amount_literal: str, external_id: str = "o-1", **fields):
    """Sends `amount` exactly as spelled, as a POS would write the JSON number."""
    extra = "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in fields.items())
    body = (
        f'{{"customer_code": {code}, "amount": {amount_literal}, '
        f'"external_id": {json.dumps(external_id)}{extra}}}'
    )
    return tenant.post("/webhook/pos", raw=body.encode())


def earn(tenant, code: int, amount, external_id: str = "o-1", **fields):
    return tenant.post(
        "/webhook/pos",
        {"customer_code": code, "amount": amount, "external_id": external_id, **fields},
    )


# --- points ---------------------------------------------------------------------------------
def test_earning_points_returns_the_balances_after(alice):
    customer = alice.customer(point_balance=5, stamp_count=2)
    response = earn(alice, customer.code, 10)
    assert response.status_code == 200
    assert response.json() == {"data": {"stamps": 2, "points": 15}}
    customer.refresh_from_db()
    assert customer.point_balance == 15


def test_points_is_the_default_card(alice):
    customer = alice.customer()
    earn(alice, customer.code, 3)
    entry = LedgerEntry.objects.get(customer=customer)
    assert (entry.card_type, entry.delta, entry.amount) == ("point", 3, Decimal("3"))


@pytest.mark.parametrize(
    ("literal", "points"),
    [
        ("2.5", 3),
        ("0.5", 1),
        ("3.5", 4),
        ("2.4999999999", 2),
        ("0.4", 0),
        ("1.45", 1),
        ("100", 100),
        ("12.50", 13),
        ("1e1", 10),
    ],
)
def test_points_round_half_up_with_ratio_one(alice, literal, points):
    customer = alice.customer()
    response = earn_raw(alice, customer.code, literal)
    assert response.status_code == 200
    assert response.json()["data"]["points"] == points


@pytest.mark.parametrize(
    ("literal", "points"), [("1", 2), ("3", 5), ("5", 8), ("0.3", 0), ("0.35", 1), ("7", 11)]
)
def test_points_round_half_up_with_ratio_one_and_a_half(tenant_factory, literal, points):
    shop = tenant_factory("ratio", earn_ratio=Decimal("1.5"))
    customer = shop.customer()
    response = earn_raw(shop, customer.code, literal)
    assert response.status_code == 200
    assert response.json()["data"]["points"] == points


@pytest.mark.parametrize(
    ("literal", "points"),
    [
        # As floats 0.15 * 10 = 1.4999999999999998 and 1.005 * 100 = 100.49999999999999.
        ("0.15", 2),
        ("1.005", 101),
        ("2.675", 268),
    ],
)
def test_points_never_go_through_float(tenant_factory, literal, points):
    ratio = {"0.15": "10", "1.005": "100", "2.675": "100"}[literal]
    shop = tenant_factory("ratio", earn_ratio=Decimal(ratio))
    customer = shop.customer()
    response = earn_raw(shop, customer.code, literal)
    assert response.status_code == 200
    assert response.json()["data"]["points"] == points


def test_point_sums_are_exact_decimals(tenant_factory):
    # 0.1 + 0.2 as floats is 0.30000000000000004; each earn is exact: 1 + 2 = 3 points.
    shop = tenant_factory("ratio", earn_ratio=Decimal("10"))
    customer = shop.customer()
    earn_raw(shop, customer.code, "0.1", external_id="a")
    response = earn_raw(shop, customer.code, "0.2", external_id="b")
    assert response.json()["data"]["points"] == 3
    amounts = sorted(LedgerEntry.objects.filter(customer=customer).values_list("amount", flat=True))
    assert amounts == [Decimal("0.1"), Decimal("0.2")]


def test_ten_decimal_places_are_accepted(alice):
    customer = alice.customer()
    response = earn_raw(alice, customer.code, "1.0000000001")
    assert response.status_code == 200
    assert response.json()["data"]["points"] == 1
    assert LedgerEntry.objects.get(customer=customer).amount == Decimal("1.0000000001")


@pytest.mark.parametrize("literal", ["1.00000000001", "0.12345678901", "1E-11"])
def test_more_than_ten_decimal_places_is_422(alice, literal):
    customer = alice.customer()
    response = earn_raw(alice, customer.code, literal)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert "amount" in response.json()["fields"]
    assert not LedgerEntry.objects.exists()


def test_an_amount_too_small_for_a_point_earns_nothing_but_succeeds(alice):
    customer = alice.customer(point_balance=4)
    response = earn_raw(alice, customer.code, "0.2")
    assert response.status_code == 200
    assert response.json() == {"data": {"stamps": 0, "points": 4}}
    assert ledger_sum(customer=customer, card_type="point") == 0


# --- stamps ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("literal", "stamps"), [("1", 1), ("2.5", 3), ("2.4", 2), ("0.4", 1), ("0.01", 1), ("0.5", 1)]
)
def test_stamps_round_half_up_and_at_least_one(alice, literal, stamps):
    customer = alice.customer()
    response = earn_raw(alice, customer.code, literal, card_type="stamp")
    assert response.status_code == 200
    assert response.json() == {"data": {"stamps": stamps, "points": 0}}


def test_more_stamps_than_the_card_holds_is_422(alice):
    customer = alice.customer(stamp_count=2)
    for literal in ["11", "10.5", "1000"]:
        response = earn_raw(alice, customer.code, literal, card_type="stamp")
        assert response.status_code == 422
        assert response.json()["error"] == "stamp_limit_exceeded"
    customer.refresh_from_db()
    assert customer.stamp_count == 2
    assert not LedgerEntry.objects.exists()


def test_the_stamp_limit_follows_the_campaign(tenant_factory):
    shop = tenant_factory("small", max_stamps=4)
    customer = shop.customer()
    response = earn(shop, customer.code, 5, card_type="stamp")
    assert response.json()["error"] == "stamp_limit_exceeded"
    assert earn(shop, customer.code, 3, card_type="stamp").json()["data"]["stamps"] == 3


def test_filling_the_card_issues_a_coupon_and_carries_over(alice):
    customer = alice.customer()
    earn(alice, customer.code, 8, card_type="stamp", external_id="first")
    response = earn(alice, customer.code, 5, card_type="stamp", external_id="second")
    assert response.status_code == 200
    data = response.json()["data"]
    coupon = Coupon.objects.get(customer=customer)
    assert data == {
        "stamps": 3,
        "points": 0,
        "coupon": {"id": coupon.pk, "name": "Free Coffee", "qr_token": coupon.token},
    }
    assert coupon.token.startswith("cq_")
    assert coupon.status == "issued"
    assert ledger_sum(customer=customer, card_type="stamp") == 3


def test_exactly_filling_the_card_leaves_zero_stamps(tenant_factory):
    shop = tenant_factory("shop", reward_name="Free Tea")
    customer = shop.customer()
    data = earn(shop, customer.code, 10, card_type="stamp").json()["data"]
    assert data["stamps"] == 0
    assert data["coupon"]["name"] == "Free Tea"


def test_an_earn_that_does_not_fill_the_card_has_no_coupon(alice):
    customer = alice.customer(stamp_count=8)
    data = earn(alice, customer.code, 1, card_type="stamp").json()["data"]
    assert data == {"stamps": 9, "points": 0}
    assert not Coupon.objects.exists()


def test_the_issued_coupon_redeems_once(alice):
    customer = alice.customer(stamp_count=9)
    token = earn(alice, customer.code, 1, card_type="stamp").json()["data"]["coupon"]["qr_token"]
    assert alice.post("/webhook/coupons/redeem", {"token": token}).status_code == 200
    assert alice.post("/webhook/coupons/redeem", {"token": token}).status_code == 409


# --- lookup and validation ------------------------------------------------------------------
def test_earning_for_an_unknown_customer_is_404(alice):
    response = earn(alice, 999999, 10)
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}


def test_earning_for_another_orgs_customer_is_404(alice, bob):
    customer = bob.customer()
    response = earn(alice, customer.code, 10)
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}
    customer.refresh_from_db()
    assert customer.point_balance == 0


def test_a_customer_code_as_a_digit_string_is_accepted(alice):
    customer = alice.customer()
    response = earn(alice, str(customer.code), 2)
    assert response.status_code == 200


def test_manual_code_is_allowed_on_standard(alice):
    customer = alice.customer()
    assert earn(alice, customer.code, 2, manual_code=True).status_code == 200


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"amount": "10"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": [1]}, "amount"),
        ({"amount": 1_000_000_000}, "amount"),
        ({"customer_code": True}, "customer_code"),
        ({"customer_code": 12.5}, "customer_code"),
        ({"customer_code": "abc"}, "customer_code"),
        ({"customer_code": -1}, "customer_code"),
        ({"customer_code": 10**12}, "customer_code"),
        ({"customer_code": None}, "customer_code"),
        ({"customer_code": "\u00b2"}, "customer_code"),
        ({"customer_code": "\u0661\u0662\u0663\u0664\u0665\u0666"}, "customer_code"),
        ({"card_type": "coins"}, "card_type"),
        ({"card_type": 1}, "card_type"),
        ({"external_id": 42}, "external_id"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x" * 129}, "external_id"),
        ({"external_id": "a\u0000b"}, "external_id"),
        ({"manual_code": "true"}, "manual_code"),
        ({"manual_code": 1}, "manual_code"),
        ({"verification_pin": 1234}, "verification_pin"),
        ({"verification_pin": "12ab"}, "verification_pin"),
        ({"verification_pin": "\u0661\u0662\u0663\u0664"}, "verification_pin"),
    ],
)
def test_a_wrong_type_or_range_is_invalid_request(alice, fields, bad_field):
    customer = alice.customer()
    body = {"customer_code": customer.code, "amount": 10, "external_id": "o-1", **fields}
    response = alice.post("/webhook/pos", body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert set(response.json()["fields"]) == {bad_field}
    assert isinstance(response.json()["fields"][bad_field], str)
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("missing", ["customer_code", "amount", "external_id"])
def test_a_missing_required_field_is_invalid_request(alice, missing):
    customer = alice.customer()
    body = {"customer_code": customer.code, "amount": 10, "external_id": "o-1"}
    del body[missing]
    response = alice.post("/webhook/pos", body)
    assert response.status_code == 422
    assert list(response.json()["fields"]) == [missing]


def test_every_bad_field_is_named(alice):
    response = alice.post("/webhook/pos", {"customer_code": "x", "amount": "y"})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"customer_code", "amount", "external_id"}


def test_an_external_id_of_128_characters_is_accepted(alice):
    customer = alice.customer()
    assert earn(alice, customer.code, 1, external_id="x" * 128).status_code == 200


def test_a_huge_exponent_is_422_not_500(alice):
    customer = alice.customer()
    for literal in ["1e400", "1E+30", "123456789012345678901234567890"]:
        response = earn_raw(alice, customer.code, literal)
        assert response.status_code == 422
        assert response.json()["fields"].keys() == {"amount"}


def test_an_earn_writes_one_ledger_entry_with_its_origin(alice):
    customer = alice.customer()
    earn(alice, customer.code, 4, external_id="order-77")
    entry = LedgerEntry.objects.get(customer=customer)
    assert (entry.source, entry.external_id, entry.reason) == ("webhook", "order-77", "earn")
    assert entry.api_key == alice.org.api_keys.get()
    assert entry.balance_after == 4


# --- queries --------------------------------------------------------------------------------
# Before the transaction: key, customer, replay check, campaign (4). The transaction (a
# savepoint inside the test's own, 2): claim the external_id (savepoint + insert, 3), the
# service (savepoint, 2; customer row lock, ledger entry, outbox event, webhook endpoints,
# balance update, 5), the stored answer (1). The savepoints are what lets a duplicate that
# loses the unique-index race replay instead of failing.
EARN_QUERY_BOUND = 17


def test_an_earn_uses_a_bounded_number_of_queries(alice, django_assert_max_num_queries):
    customer = alice.customer()
    earn(alice, customer.code, 1, external_id="warm-up")  # the key's last_used_at write
    with django_assert_max_num_queries(EARN_QUERY_BOUND):
        response = earn(alice, customer.code, 10, external_id="measured")
    assert response.status_code == 200


def test_a_replayed_earn_uses_fewer_queries(alice, django_assert_max_num_queries):
    customer = alice.customer()
    earn(alice, customer.code, 10, external_id="o-1")
    with django_assert_max_num_queries(3):
        response = earn(alice, customer.code, 10, external_id="o-1")
    assert response["Idempotent-Replayed"] == "true"
