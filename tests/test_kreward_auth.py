"""Keys, plans, origins, CORS, rate limits and the JSON envelope of /v1."""

import datetime

import pytest
from django.utils import timezone

from kreward.models import KeyPair
from kreward.services import revoke_key_pair

pytest_plugins = ["tests.kreward_support"]


def test_ping_answers_with_the_keys_merchant(kw_alice, kw_bob):
    assert kw_alice.get("/v1/ping").json() == {"ok": True, "merchant": "Alice"}
    assert kw_bob.get("/v1/ping", key="public").json() == {"ok": True, "merchant": "Bob"}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer kw_sk_unknown", "Bearer kw_pub_unknown", "Bearer ", "Basic abc"],
)
def test_a_missing_or_unknown_key_is_rejected(kw_alice, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = kw_alice.client.get("/v1/ping", **extra)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_api_key"}


def test_a_pos_api_key_is_not_a_kreward_key(kw_alice):
    response = kw_alice.get("/v1/ping", key=kw_alice.tenant.key)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_api_key"}


def test_a_revoked_pair_is_rejected_on_both_keys(kw_alice):
    revoke_key_pair(pair=kw_alice.pair)
    for key in ("public", "secret"):
        response = kw_alice.get("/v1/ping", key=key)
        assert response.status_code == 401
        assert response.json() == {"error": "invalid_api_key"}


def test_a_starter_org_is_not_eligible(kw_factory):
    tenant = kw_factory("carol", plan="starter")
    response = tenant.get("/v1/ping")
    assert response.status_code == 403
    assert response.json() == {"error": "plan_not_eligible"}


def test_a_lapsed_subscription_needs_payment(kw_factory):
    yesterday = timezone.now().date() - datetime.timedelta(days=1)
    tenant = kw_factory("carol", plan="enterprise", paid_until=yesterday)
    response = tenant.get("/v1/balance?email=a@example.com")
    assert response.status_code == 402
    assert response.json() == {"error": "subscription_required"}


def test_the_plan_is_checked_before_the_subscription(kw_factory):
    yesterday = timezone.now().date() - datetime.timedelta(days=1)
    tenant = kw_factory("carol", plan="starter", paid_until=yesterday)
    assert tenant.get("/v1/ping").json() == {"error": "plan_not_eligible"}


def test_the_subscription_is_checked_before_the_key_type(kw_factory):
    yesterday = timezone.now().date() - datetime.timedelta(days=1)
    tenant = kw_factory("carol", paid_until=yesterday)
    response = tenant.get("/v1/me", key="public")
    assert response.status_code == 402


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/v1/me"),
        ("get", "/v1/balance?email=a@example.com"),
        ("get", "/v1/customer?email=a@example.com"),
        ("post", "/v1/transaction"),
        ("post", "/v1/redeem"),
    ],
)
def test_a_public_key_may_only_ping_and_enroll(kw_alice, method, path):
    response = getattr(kw_alice, method)(path, key="public")
    assert response.status_code == 403
    assert response.json() == {"error": "secret_key_required"}


def test_a_public_key_may_enroll(kw_alice):
    response = kw_alice.post("/v1/enroll", {"email": "jane@example.com"}, key="public")
    assert response.status_code == 200
    assert response.json()["enrolled"] is True


# --- origins and CORS ---------------------------------------------------------------------
@pytest.fixture
def shop(kw_factory):
    return kw_factory("carol", origins=["https://shop.example", "https://*.brand.example:8443"])


@pytest.mark.parametrize(
    "origin",
    ["https://shop.example", "https://shop.example:443", "https://eu.brand.example:8443"],
)
def test_an_allowed_origin_gets_cors_headers(shop, origin):
    response = shop.get("/v1/ping", key="public", origin=origin)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == origin
    assert "Origin" in response["Vary"]


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://shop.example",
        "https://shop.example:8443",
        "https://sub.shop.example",
        "https://brand.example:8443",
        "https://eu.brand.example",
        "https://shop.example.evil.example",
        "null",
    ],
)
def test_an_origin_off_the_list_is_blocked_without_cors_headers(shop, origin):
    response = shop.get("/v1/ping", key="public", origin=origin)
    assert response.status_code == 403
    assert response.json() == {"error": "origin_blocked"}
    assert "Access-Control-Allow-Origin" not in response


def test_a_public_key_with_an_allowlist_needs_an_origin(shop):
    response = shop.get("/v1/ping", key="public")
    assert response.status_code == 403
    assert response.json() == {"error": "origin_blocked"}


def test_an_empty_allowlist_allows_any_origin(kw_alice):
    response = kw_alice.get("/v1/ping", key="public", origin="https://anything.example")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://anything.example"
    assert kw_alice.get("/v1/ping", key="public").status_code == 200


def test_the_key_type_is_checked_before_the_origin(shop):
    response = shop.get("/v1/me", key="public", origin="https://evil.example")
    assert response.json() == {"error": "secret_key_required"}


def test_a_secret_key_never_gets_cors_headers(shop):
    response = shop.get("/v1/ping", key="secret", origin="https://shop.example")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert shop.get("/v1/ping", key="secret", origin="https://evil.example").status_code == 200


def test_an_allowed_origin_can_read_errors_after_the_origin_check(shop):
    response = shop.post("/v1/enroll", raw=b"[]", key="public", origin="https://shop.example")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_json"}
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"


@pytest.mark.parametrize("path", ["/v1/ping", "/v1/enroll", "/v1/transaction"])
def test_a_preflight_is_answered_for_any_origin(kw_alice, path):
    response = kw_alice.client.options(
        path,
        HTTP_ORIGIN="https://elsewhere.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://elsewhere.example"
    assert response["Access-Control-Allow-Headers"] == (
        "authorization, content-type, idempotency-key"
    )
    assert response["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert response["Access-Control-Max-Age"] == "600"


def test_an_error_before_the_origin_check_carries_no_cors_headers(kw_factory):
    tenant = kw_factory("carol", plan="starter")
    response = tenant.get("/v1/ping", key="public", origin="https://shop.example")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


# --- rate limit, usage --------------------------------------------------------------------
def test_each_key_is_limited_to_100_requests_a_minute(kw_alice, kw_bob):
    for _ in range(100):
        assert kw_alice.get("/v1/ping").status_code == 200
    response = kw_alice.get("/v1/ping")
    assert response.status_code == 429
    assert response.json() == {"error": "rate_limit_exceeded"}
    assert 1 <= int(response["Retry-After"]) <= 60
    assert kw_alice.get("/v1/ping", key="public").status_code == 200  # its own counter
    assert kw_bob.get("/v1/ping").status_code == 200


def test_the_rate_limit_comes_before_the_body(kw_alice):
    for _ in range(100):
        kw_alice.get("/v1/ping")
    response = kw_alice.post("/v1/transaction", raw=b"not json")
    assert response.status_code == 429


def test_a_key_pair_counts_its_requests(kw_alice):
    kw_alice.get("/v1/ping")
    kw_alice.get("/v1/ping", key="public")
    pair = KeyPair.objects.get(pk=kw_alice.pair.pk)
    assert pair.request_count == 2
    assert pair.last_used_at is not None


# --- envelope -----------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/v1/nothing", "/v1/", "/v1/ping/extra"])
def test_unknown_paths_answer_json_404(kw_alice, path):
    response = kw_alice.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "not_found"}


def test_a_wrong_method_answers_json_405(kw_alice):
    response = kw_alice.post("/v1/ping", {})
    assert response.status_code == 405
    assert response.json() == {"error": "method_not_allowed"}


def test_there_are_no_trailing_slash_redirects(kw_alice):
    assert kw_alice.get("/v1/ping/").status_code == 200
    assert kw_alice.get("/v1/ping").status_code == 200


def test_another_orgs_key_sees_only_its_own_org(kw_alice, kw_bob):
    bob_customer = kw_bob.customer(email="bobby@example.com")
    response = kw_alice.get(f"/v1/balance?email={bob_customer.email}")
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}
