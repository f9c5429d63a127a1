"""The Conventions of API.md on every /webhook/* endpoint: auth, 402, 429, bodies, JSON errors."""

import datetime
import json
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.test import Client
from django.utils import timezone

from loyalite.services import revoke_api_key, set_subscription
from pos import flows

from .factories import api_key_for

INVALID_KEY = {"error": "invalid or missing API key"}
WRITE_PATHS = ["/webhook/pos", "/webhook/redeem", "/webhook/coupons/redeem"]
ALL_ENDPOINTS = [("get", "/webhook/customer?code=123456"), ("post", "/webhook/customer")] + [
    ("post", path) for path in WRITE_PATHS
]


def call(client: Client, method: str, path: str, body: str = "{}", **headers):
    if method == "get":
        return client.get(path, **headers)
    return client.post(path, data=body, content_type="application/json", **headers)


@pytest.fixture
def frozen_rate_window(monkeypatch):
    """Pins the rate limiter's clock so a test never straddles a one-minute window."""
    now = int(timezone.now().timestamp())
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


def move_time(monkeypatch, delta: datetime.timedelta) -> None:
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + delta)


# --- 401 ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS)
def test_a_missing_key_is_401(db, method, path):
    response = call(Client(), method, path)
    assert response.status_code == 401
    assert response.json() == INVALID_KEY


@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS)
def test_an_unknown_key_is_401(db, method, path):
    response = call(Client(), method, path, HTTP_X_API_KEY="sk_live_not-a-real-key")
    assert response.status_code == 401
    assert response.json() == INVALID_KEY


@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS)
def test_a_revoked_key_is_401(alice, method, path):
    api_key = alice.org.api_keys.get()
    revoke_api_key(api_key=api_key)
    response = call(alice.client, method, path, HTTP_X_API_KEY=alice.key)
    assert response.status_code == 401
    assert response.json() == INVALID_KEY


def test_a_revoked_key_is_401_with_bearer_too(alice):
    revoke_api_key(api_key=alice.org.api_keys.get())
    response = alice.client.get(
        "/webhook/customer?code=123456", HTTP_AUTHORIZATION=f"Bearer {alice.key}"
    )
    assert response.status_code == 401
    assert response.json() == INVALID_KEY


def test_revoking_one_key_leaves_the_orgs_other_keys_working(alice):
    customer = alice.customer()
    other_key = api_key_for(alice.org, label="till 2")
    revoke_api_key(api_key=alice.org.api_keys.get(label="test"))
    response = alice.client.get(f"/webhook/customer?code={customer.code}", HTTP_X_API_KEY=other_key)
    assert response.status_code == 200


def test_a_bearer_token_authenticates(alice):
    customer = alice.customer()
    response = alice.client.get(
        f"/webhook/customer?code={customer.code}", HTTP_AUTHORIZATION=f"Bearer {alice.key}"
    )
    assert response.status_code == 200
    assert response.json()["data"]["customer_code"] == customer.code


def test_the_bearer_scheme_is_case_insensitive(alice):
    customer = alice.customer()
    response = alice.client.get(
        f"/webhook/customer?code={customer.code}", HTTP_AUTHORIZATION=f"bearer {alice.key}"
    )
    assert response.status_code == 200


@pytest.mark.parametrize("scheme", ["Basic", "Token", ""])
def test_another_authorization_scheme_is_401(alice, scheme):
    response = alice.client.get(
        "/webhook/customer?code=123456", HTTP_AUTHORIZATION=f"{scheme} {alice.key}".strip()
    )
    assert response.status_code == 401
    assert response.json() == INVALID_KEY


def test_the_key_decides_the_org(alice, bob):
    customer = bob.customer()
    assert alice.get(f"/webhook/customer?code={customer.code}").status_code == 404
    assert bob.get(f"/webhook/customer?code={customer.code}").status_code == 200


def test_auth_comes_before_the_body(db):
    response = call(Client(), "post", "/webhook/pos", body="{not json")
    assert response.status_code == 401


# --- 402 ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS)
def test_a_lapsed_subscription_is_402_everywhere(alice, method, path):
    set_subscription(
        organization=alice.org, paid_until=timezone.now().date() - datetime.timedelta(days=1)
    )
    response = call(alice.client, method, path, HTTP_X_API_KEY=alice.key)
    assert response.status_code == 402
    assert response.json()["error"] == "subscription_required"


def test_a_subscription_paid_until_today_still_works(alice):
    customer = alice.customer()
    set_subscription(organization=alice.org, paid_until=timezone.now().date())
    assert alice.get(f"/webhook/customer?code={customer.code}").status_code == 200


def test_a_new_org_has_a_seven_day_trial(tenant_factory, monkeypatch):
    shop = tenant_factory("newshop")
    customer = shop.customer()
    assert shop.org.paid_until == timezone.now().date() + datetime.timedelta(days=7)
    move_time(monkeypatch, datetime.timedelta(days=7))
    assert shop.get(f"/webhook/customer?code={customer.code}").status_code == 200
    move_time(monkeypatch, datetime.timedelta(days=1))
    response = shop.get(f"/webhook/customer?code={customer.code}")
    assert response.status_code == 402
    assert response.json()["error"] == "subscription_required"


def test_a_lapsed_subscription_changes_nothing(alice):
    customer = alice.customer()
    set_subscription(
        organization=alice.org, paid_until=timezone.now().date() - datetime.timedelta(days=1)
    )
    response = alice.post(
        "/webhook/pos", {"customer_code": customer.code, "amount": 10, "external_id": "o-1"}
    )
    assert response.status_code == 402
    customer.refresh_from_db()
    assert customer.point_balance == 0


def test_402_comes_before_the_body(alice):
    set_subscription(
        organization=alice.org, paid_until=timezone.now().date() - datetime.timedelta(days=1)
    )
    assert alice.post("/webhook/pos", raw=b"{oops").status_code == 402


def test_402_of_one_org_leaves_another_working(alice, bob):
    customer = bob.customer()
    set_subscription(
        organization=alice.org, paid_until=timezone.now().date() - datetime.timedelta(days=1)
    )
    assert bob.get(f"/webhook/customer?code={customer.code}").status_code == 200


# --- 429 ------------------------------------------------------------------------------------
def earn_body(code: int, n: int) -> dict:
    return {"customer_code": code, "amount": 1, "external_id": f"rate-{n}"}


def assert_too_many(response) -> None:
    assert response.status_code == 429
    assert response.json() == {"error": "too many requests"}
    assert 1 <= int(response["Retry-After"]) <= 60


def test_writes_share_one_per_minute_limit(tenant_factory, frozen_rate_window):
    shop = tenant_factory("limited", rate_pos_per_minute=3)
    customer = shop.customer()
    assert shop.post("/webhook/pos", earn_body(customer.code, 1)).status_code == 200
    redeem = {"customer_code": customer.code, "value": 1, "card_type": "point", "external_id": "r"}
    assert shop.post("/webhook/redeem", redeem).status_code == 200
    assert shop.post("/webhook/coupons/redeem", {"token": "cq_nope"}).status_code == 404
    assert_too_many(shop.post("/webhook/pos", earn_body(customer.code, 2)))
    assert_too_many(shop.post("/webhook/redeem", {**redeem, "external_id": "r2"}))
    assert_too_many(shop.post("/webhook/coupons/redeem", {"token": "cq_nope"}))
    customer.refresh_from_db()
    assert customer.point_balance == 0


def test_customer_get_and_post_share_their_own_limit(tenant_factory, frozen_rate_window):
    shop = tenant_factory("limited", rate_customer_per_minute=2, rate_pos_per_minute=100)
    customer = shop.customer()
    assert shop.get(f"/webhook/customer?code={customer.code}").status_code == 200
    assert shop.post("/webhook/customer", {"email": customer.email}).status_code == 200
    assert_too_many(shop.get(f"/webhook/customer?code={customer.code}"))
    assert_too_many(shop.post("/webhook/customer", {"email": customer.email}))
    # The write limit is a separate bucket.
    assert shop.post("/webhook/pos", earn_body(customer.code, 1)).status_code == 200


def test_the_write_limit_does_not_spend_the_customer_limit(tenant_factory, frozen_rate_window):
    shop = tenant_factory("limited", rate_pos_per_minute=1, rate_customer_per_minute=1)
    customer = shop.customer()
    assert shop.post("/webhook/pos", earn_body(customer.code, 1)).status_code == 200
    assert_too_many(shop.post("/webhook/pos", earn_body(customer.code, 2)))
    assert shop.get(f"/webhook/customer?code={customer.code}").status_code == 200


def test_the_limit_is_per_key(tenant_factory, frozen_rate_window):
    shop = tenant_factory("limited", rate_customer_per_minute=1)
    second_key = api_key_for(shop.org, label="second till")
    assert shop.get("/webhook/customer?code=123456").status_code == 404
    assert_too_many(shop.get("/webhook/customer?code=123456"))
    response = shop.client.get("/webhook/customer?code=123456", HTTP_X_API_KEY=second_key)
    assert response.status_code == 404


def test_one_orgs_traffic_does_not_limit_another(tenant_factory, frozen_rate_window):
    shop = tenant_factory("limited", rate_customer_per_minute=1)
    other = tenant_factory("other", rate_customer_per_minute=1)
    assert shop.get("/webhook/customer?code=123456").status_code == 404
    assert_too_many(shop.get("/webhook/customer?code=123456"))
    assert other.get("/webhook/customer?code=123456").status_code == 404


def test_the_default_limits_are_60_writes_and_30_customer_calls(alice, frozen_rate_window):
    assert (alice.org.rate_pos_per_minute, alice.org.rate_customer_per_minute) == (60, 30)
    for _ in range(30):
        assert alice.get("/webhook/customer?code=123456").status_code == 404
    assert_too_many(alice.get("/webhook/customer?code=123456"))
    for _ in range(60):
        assert alice.post("/webhook/coupons/redeem", {"token": "cq_x"}).status_code == 404
    assert_too_many(alice.post("/webhook/coupons/redeem", {"token": "cq_x"}))


def test_the_limit_resets_in_the_next_minute(tenant_factory, monkeypatch):
    shop = tenant_factory("limited", rate_customer_per_minute=1)
    clock = {"now": int(timezone.now().timestamp())}
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: clock["now"]))
    assert shop.get("/webhook/customer?code=123456").status_code == 404
    response = shop.get("/webhook/customer?code=123456")
    assert_too_many(response)
    clock["now"] += int(response["Retry-After"])
    assert shop.get("/webhook/customer?code=123456").status_code == 404


def test_429_comes_before_the_body(tenant_factory, frozen_rate_window):
    shop = tenant_factory("limited", rate_pos_per_minute=1)
    assert shop.post("/webhook/pos", raw=b"{oops").status_code == 400
    assert_too_many(shop.post("/webhook/pos", raw=b"{oops"))


# --- 400 invalid_json -----------------------------------------------------------------------
WRITE_BODY_PATHS = ["/webhook/customer", *WRITE_PATHS]


@pytest.mark.parametrize("path", WRITE_BODY_PATHS)
@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b'{"a": 1,}', b"\xff\xfe", b'{"amount": NaN}', b'{"x": Infinity}'],
    ids=["broken", "empty", "trailing-comma", "not-utf8", "nan", "infinity"],
)
def test_malformed_json_is_400(alice, path, raw):
    response = alice.post(path, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


@pytest.mark.parametrize("path", WRITE_BODY_PATHS)
@pytest.mark.parametrize("raw", [b"[]", b"[1, 2]", b'"text"', b"42", b"null", b"true"])
def test_a_body_that_is_not_an_object_is_400(alice, path, raw):
    response = alice.post(path, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


@pytest.mark.parametrize("path", WRITE_BODY_PATHS)
def test_deeply_nested_json_is_400_not_500(alice, path):
    depth = 100_000
    response = alice.post(path, raw=b'{"a": ' + b"[" * depth + b"]" * depth + b"}")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_a_number_too_long_to_parse_is_400(alice):
    customer = alice.customer()
    raw = f'{{"customer_code": {customer.code}, "amount": 1{"0" * 5000}, "external_id": "x"}}'
    response = alice.post("/webhook/pos", raw=raw.encode())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_a_form_encoded_body_is_400(alice):
    response = alice.client.post(
        "/webhook/pos", data={"customer_code": "1"}, HTTP_X_API_KEY=alice.key
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


# --- JSON for 404, 405 and 500 ----------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/webhook/nope", "/webhook/pos/extra", "/webhook/coupons", "/webhook/"]
)
def test_an_unknown_webhook_path_is_a_json_404(alice, path):
    for response in (alice.get(path), alice.post(path, {})):
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"] == "not_found"


def test_an_unknown_webhook_path_is_json_even_without_a_key(db):
    response = Client().get("/webhook/does-not-exist")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/webhook/pos"),
        ("get", "/webhook/redeem"),
        ("get", "/webhook/coupons/redeem"),
        ("put", "/webhook/pos"),
        ("delete", "/webhook/customer"),
        ("patch", "/webhook/redeem"),
    ],
)
def test_a_wrong_method_is_a_json_405(alice, method, path):
    response = getattr(alice.client, method)(path, HTTP_X_API_KEY=alice.key)
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "method_not_allowed"


def test_a_trailing_slash_reaches_the_same_endpoint(alice):
    customer = alice.customer()
    response = alice.get(f"/webhook/customer/?code={customer.code}")
    assert response.status_code == 200


def test_an_unexpected_failure_is_a_json_500_without_a_trace(alice, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(flows, "earn", explode)
    client = Client(raise_request_exception=False)
    customer = alice.customer()
    response = client.post(
        "/webhook/pos",
        data=json.dumps({"customer_code": customer.code, "amount": 1, "external_id": "o-1"}),
        content_type="application/json",
        HTTP_X_API_KEY=alice.key,
    )
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "internal_error"
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_responses_carry_a_request_id(alice):
    response = alice.get("/webhook/customer?code=123456", HTTP_X_REQUEST_ID="till-7-abc")
    assert response["X-Request-Id"] == "till-7-abc"
