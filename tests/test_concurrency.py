"""Real parallel requests on PostgreSQL: row locks and the idempotency index keep one effect."""

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client

from campaigns.models import LedgerEntry
from campaigns.services import ledger_sum
from coupons.models import Coupon
from customers.models import Customer

from .conftest import make_tenant

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool


def run_parallel(count: int, request: Callable[[Client, int], object]) -> list[Answer]:
    """Runs `request` in `count` threads released together by a barrier."""
    barrier = threading.Barrier(count)
    answers: list[Answer | None] = [None] * count
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            client = Client()
            barrier.wait(timeout=30)
            response = request(client, index)
            answers[index] = Answer(
                response.status_code,
                response.json(),
                response.headers.get("Idempotent-Replayed") == "true",
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert all(answer is not None for answer in answers)
    return answers


def post(client: Client, key: str, path: str, body: dict):
    return client.post(path, json.dumps(body), "application/json", HTTP_X_API_KEY=key)


def assert_balances_match_the_ledger() -> None:
    for customer in Customer.objects.all():
        assert customer.point_balance == ledger_sum(customer=customer, card_type="point")
        assert customer.stamp_count == ledger_sum(customer=customer, card_type="stamp")
        assert customer.point_balance >= 0 and customer.stamp_count >= 0


@pytest.fixture
def shop(postgres_db):
    return make_tenant("busy", rate_pos_per_minute=10_000, rate_customer_per_minute=10_000)


def test_parallel_redeems_never_overspend(shop):
    customer = shop.customer()
    body = {"customer_code": customer.code, "amount": 100, "external_id": "fund"}
    assert shop.post("/webhook/pos", body).status_code == 200

    answers = run_parallel(
        50,
        lambda client, index: post(
            client,
            shop.key,
            "/webhook/redeem",
            {
                "customer_code": customer.code,
                "value": 10,
                "card_type": "point",
                "external_id": f"redeem-{index}",
            },
        ),
    )

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {200: 10, 422: 40}
    assert all(a.body == {"error": "insufficient_balance"} for a in answers if a.status == 422)
    assert sorted(a.body["data"]["points"] for a in answers if a.status == 200) == list(
        range(0, 100, 10)
    )
    customer.refresh_from_db()
    assert customer.point_balance == 0
    assert LedgerEntry.objects.filter(customer=customer, reason="redeem").count() == 10
    assert_balances_match_the_ledger()


def test_parallel_duplicates_of_one_earn_take_effect_once(shop):
    customer = shop.customer()
    body = {"customer_code": customer.code, "amount": 7, "external_id": "order-1"}

    answers = run_parallel(20, lambda client, index: post(client, shop.key, "/webhook/pos", body))

    assert {answer.status for answer in answers} == {200}
    assert all(answer.body == {"data": {"stamps": 0, "points": 7}} for answer in answers)
    assert sum(not answer.replayed for answer in answers) == 1
    assert LedgerEntry.objects.filter(customer=customer).count() == 1
    customer.refresh_from_db()
    assert customer.point_balance == 7
    assert_balances_match_the_ledger()


def test_parallel_duplicates_of_a_card_filling_earn_issue_one_coupon(shop):
    customer = shop.customer()
    body = {
        "customer_code": customer.code,
        "amount": 10,
        "card_type": "stamp",
        "external_id": "fill",
    }

    answers = run_parallel(20, lambda client, index: post(client, shop.key, "/webhook/pos", body))

    assert len({json.dumps(answer.body, sort_keys=True) for answer in answers}) == 1
    coupon = Coupon.objects.get(customer=customer)
    assert answers[0].body["data"]["coupon"]["qr_token"] == coupon.token
    assert_balances_match_the_ledger()


def test_parallel_redeems_of_one_coupon_succeed_once(shop):
    customer = shop.customer()
    body = {
        "customer_code": customer.code,
        "amount": 10,
        "card_type": "stamp",
        "external_id": "fill",
    }
    token = shop.post("/webhook/pos", body).json()["data"]["coupon"]["qr_token"]

    answers = run_parallel(
        30,
        lambda client, index: post(client, shop.key, "/webhook/coupons/redeem", {"token": token}),
    )

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {200: 1, 409: 29}
    assert all(a.body["error"] == "coupon_already_used" for a in answers if a.status == 409)
    coupon = Coupon.objects.get(token=token)
    assert coupon.status == "redeemed"
    winner = next(a for a in answers if a.status == 200)
    assert winner.body["data"]["status"] == "redeemed"
    assert_balances_match_the_ledger()


def test_parallel_earns_and_redeems_on_one_customer_add_up(shop):
    customer = shop.customer()
    body = {"customer_code": customer.code, "amount": 40, "external_id": "fund"}
    assert shop.post("/webhook/pos", body).status_code == 200

    def request(client: Client, index: int):
        if index % 2:
            body = {"customer_code": customer.code, "amount": 3, "external_id": f"e-{index}"}
            return post(client, shop.key, "/webhook/pos", body)
        body = {
            "customer_code": customer.code,
            "value": 5,
            "card_type": "point",
            "external_id": f"r-{index}",
        }
        return post(client, shop.key, "/webhook/redeem", body)

    answers = run_parallel(20, request)

    assert {answer.status for answer in answers} == {200}
    customer.refresh_from_db()
    assert customer.point_balance == 40 + 10 * 3 - 10 * 5
    assert_balances_match_the_ledger()


def test_parallel_enrolments_of_one_email_make_one_customer(shop):
    body = {"email": "Same@Example.com", "consent_terms": True, "consent_privacy": True}

    answers = run_parallel(
        10, lambda client, index: post(client, shop.key, "/webhook/customer", body)
    )

    assert {answer.status for answer in answers} == {200}
    assert len({answer.body["data"]["customer_code"] for answer in answers}) == 1
    assert sum(answer.body["data"]["is_new"] for answer in answers) == 1
    assert Customer.objects.filter(organization=shop.org).count() == 1


def test_parallel_traffic_of_two_orgs_stays_apart(shop):
    other = make_tenant("other", rate_pos_per_minute=10_000)
    mine, theirs = shop.customer(), other.customer()

    def request(client: Client, index: int):
        tenant, customer = (shop, mine) if index % 2 else (other, theirs)
        body = {"customer_code": customer.code, "amount": 2, "external_id": "same-id"}
        return post(client, tenant.key, "/webhook/pos", body)

    answers = run_parallel(10, request)

    assert {answer.status for answer in answers} == {200}
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.point_balance, theirs.point_balance) == (2, 2)
    assert_balances_match_the_ledger()
