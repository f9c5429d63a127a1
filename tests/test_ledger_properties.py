"""Random earn / redeem / replay sequences through the POS API agree with a simple model.

The model is the contract: points = half-up(amount × ratio); stamps = half-up(amount), at
least 1, at most a card; a full card issues a coupon and carries over; a redeem never
overspends; an external_id repeat replays the first answer, a different body is 409.
"""

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.services import ledger_sum
from coupons.models import Coupon

from .conftest import make_tenant

RATIO = Decimal("1.5")
MAX_STAMPS = 5
EXTERNAL_IDS = ["a", "b", "c", "d"]


@dataclass
class Model:
    points: list[int] = field(default_factory=lambda: [0, 0])
    stamps: list[int] = field(default_factory=lambda: [0, 0])
    coupons: int = 0
    answers: dict = field(default_factory=dict)  # (path, external_id) -> (body, answer)


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def expected_earn(model: Model, who: int, amount: Decimal, card_type: str) -> tuple[int, dict]:
    if card_type == "point":
        model.points[who] += half_up(amount * RATIO)
        return 200, {"stamps": model.stamps[who], "points": model.points[who]}
    stamps = max(1, half_up(amount))
    if stamps > MAX_STAMPS:
        return 422, {"error": "stamp_limit_exceeded"}
    model.stamps[who] += stamps
    data = {"stamps": model.stamps[who], "points": model.points[who]}
    if model.stamps[who] >= MAX_STAMPS:
        model.stamps[who] -= MAX_STAMPS
        model.coupons += 1
        data["stamps"] = model.stamps[who]
    return 200, data


def expected_redeem(model: Model, who: int, value: int, card_type: str) -> tuple[int, dict]:
    balances = model.points if card_type == "point" else model.stamps
    if value > balances[who]:
        return 422, {"error": "insufficient_balance"}
    balances[who] -= value
    return 200, {"stamps": model.stamps[who], "points": model.points[who]}


# Half-way cases (x.5 after the ratio) are where rounding modes differ, so draw them often.
amounts = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("8"), places=2),
    st.integers(1, 16).map(lambda halves: Decimal(halves) / 2),
)
earns = st.tuples(
    st.just("/webhook/pos"),
    st.integers(0, 1),
    amounts,
    st.sampled_from(["point", "stamp"]),
    st.sampled_from(EXTERNAL_IDS),
)
redeems = st.tuples(
    st.just("/webhook/redeem"),
    st.integers(0, 1),
    st.integers(1, 12),
    st.sampled_from(["point", "stamp"]),
    st.sampled_from(EXTERNAL_IDS),
)
replays = st.tuples(st.just("replay"), st.integers(0, 50))
steps = st.lists(st.one_of(earns, redeems, replays), min_size=1, max_size=14)


def send(shop, path: str, raw: bytes):
    response = shop.post(path, raw=raw)
    return response.status_code, response.json(), response.get("Idempotent-Replayed") == "true"


def body_for(customers, path, who, number, card_type, external_id) -> bytes:
    field_name = "amount" if path == "/webhook/pos" else "value"
    return (
        f'{{"customer_code": {customers[who].code}, "{field_name}": {number}, '
        f'"card_type": "{card_type}", "external_id": {json.dumps(external_id)}}}'
    ).encode()


def check_state(customers, model: Model) -> None:
    for who, customer in enumerate(customers):
        customer.refresh_from_db()
        assert customer.point_balance == model.points[who] >= 0
        assert customer.stamp_count == model.stamps[who] >= 0
        assert customer.point_balance == ledger_sum(customer=customer, card_type="point")
        assert customer.stamp_count == ledger_sum(customer=customer, card_type="stamp")
    assert Coupon.objects.filter(customer__in=customers).count() == model.coupons


def run_step(shop, customers, model: Model, step, sent: list) -> None:
    if step[0] == "replay":
        if not sent:
            return
        path, raw, first_answer = sent[step[1] % len(sent)]
        if first_answer[0] != 200:  # nothing was stored: the resend is a new request
            step = (path, *json_step(customers, raw))
        else:
            before = [(c.point_balance, c.stamp_count) for c in customers]
            status, body, replayed = send(shop, path, raw)
            assert (status, body, replayed) == (*first_answer, True)
            check_state(customers, model)
            assert [(c.point_balance, c.stamp_count) for c in customers] == before
            return
    path, who, number, card_type, external_id = step
    raw = body_for(customers, path, who, number, card_type, external_id)
    status, body, replayed = send(shop, path, raw)
    stored = model.answers.get((path, external_id))
    if stored and stored[0] == raw:
        assert (status, body, replayed) == (*stored[1], True)
    elif stored:
        assert (status, body["error"]) == (409, "external_id_conflict")
    else:
        expect = expected_earn if path == "/webhook/pos" else expected_redeem
        expected_status, expected_data = expect(model, who, number, card_type)
        assert status == expected_status
        if status == 200:
            assert {k: v for k, v in body["data"].items() if k != "coupon"} == expected_data
            model.answers[(path, external_id)] = (raw, (status, body))
        else:
            assert body == expected_data
        assert not replayed
    sent.append((path, raw, (status, body)))
    check_state(customers, model)


def json_step(customers, raw: bytes) -> tuple:
    data = json.loads(raw, parse_float=Decimal)
    who = [c.code for c in customers].index(data["customer_code"])
    number = Decimal(str(data["amount"])) if "amount" in data else data["value"]
    return who, number, data["card_type"], data["external_id"]


@settings(
    max_examples=30,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_random_sequences_keep_balances_and_ledger_in_step(db, steps):
    cache.clear()
    with transaction.atomic():
        shop = make_tenant(
            "prop", earn_ratio=RATIO, max_stamps=MAX_STAMPS, rate_pos_per_minute=100_000
        )
        customers = [shop.customer(), shop.customer()]
        model, sent = Model(), []
        for step in steps:
            run_step(shop, customers, model, step, sent)
        transaction.set_rollback(True)
