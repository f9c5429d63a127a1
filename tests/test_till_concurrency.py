"""Parallel till requests on PostgreSQL: one request id, one effect; one coupon, one use."""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from campaigns.models import LedgerEntry
from campaigns.services import get_campaign
from coupons.services import issue_coupon
from customers.services import current_qr
from webhooks.models import Event

from .conftest import make_tenant
from .till_support import Till, merchant, request_id

pytestmark = pytest.mark.postgres
THREADS = 4


def run_parallel(user, request: Callable[[Till], object]) -> list:
    """`request` in THREADS threads (each its own logged-in client), released together."""
    barrier = threading.Barrier(THREADS)
    answers, errors = [None] * THREADS, []

    def worker(index: int) -> None:
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=30)
            response = request(Till(client, user))
            answers[index] = (response.status_code, response.json())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return answers


def test_parallel_double_submits_earn_once(postgres_db):
    shop = make_tenant("para")
    customer = shop.customer()
    till = Till.for_org(shop.org)
    ref = till.open(current_qr(customer=customer)[0])
    rid = request_id()

    answers = run_parallel(till.user, lambda t: t.earn(ref, "30", rid=rid))

    assert [status for status, _ in answers] == [200] * THREADS
    assert Counter(body["replayed"] for _, body in answers) == {True: THREADS - 1, False: 1}
    customer.refresh_from_db()
    assert customer.point_balance == 30
    assert LedgerEntry.objects.filter(customer=customer).count() == 1
    assert Event.objects.filter(event="points.earned").count() == 1


def test_parallel_redeems_of_one_coupon_with_different_ids_use_it_once(postgres_db):
    shop = make_tenant("para")
    customer = shop.customer()
    coupon = issue_coupon(
        customer=customer, campaign=get_campaign(organization=shop.org, card_type="stamp")
    )
    user = merchant(shop.org)

    answers = run_parallel(user, lambda t: t.coupon(coupon.token))

    assert Counter(status for status, _ in answers) == {200: 1, 409: THREADS - 1}
    assert Event.objects.filter(event="coupon.redeemed").count() == 1
