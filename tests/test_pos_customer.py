"""GET /webhook/customer (lookup by code or QR) and POST /webhook/customer (enroll or find)."""

import time
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

import customers.qr
from customers.models import Customer
from customers.qr import sign_static

ENROLL = {"consent_terms": True, "consent_privacy": True}


def enroll(tenant, **body):
    return tenant.post("/webhook/customer", {**ENROLL, **body})


def lookup(tenant, **params):
    return tenant.get(f"/webhook/customer?{urlencode(params)}")


def qr_for(customer, **kwargs) -> str:
    payload, _ = sign_static(
        organization_id=customer.organization_id, customer_code=customer.code, **kwargs
    )
    return payload


# --- GET ------------------------------------------------------------------------------------
def test_lookup_by_code_returns_the_customer(alice):
    customer = alice.customer(email="zeynep@gmail.com", point_balance=42, stamp_count=3)
    response = alice.get(f"/webhook/customer?code={customer.code}")
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "customer_code": customer.code,
            "masked_email": "z***@gmail.com",
            "stamp_count": 3,
            "point_balance": 42,
        }
    }


def test_lookup_by_qr_returns_the_customer(alice):
    customer = alice.customer(point_balance=7)
    response = lookup(alice, qr=qr_for(customer))
    assert response.status_code == 200
    assert response.json()["data"]["customer_code"] == customer.code
    assert response.json()["data"]["point_balance"] == 7


def test_lookup_without_code_or_qr_is_400(alice):
    for path in ["/webhook/customer", "/webhook/customer?code=", "/webhook/customer?qr="]:
        response = alice.get(path)
        assert response.status_code == 400
        assert response.json()["error"] == "code or qr is required"


def test_lookup_of_an_unknown_code_is_404(alice):
    response = alice.get("/webhook/customer?code=999999")
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}


def test_lookup_of_another_orgs_code_is_404(alice, bob):
    customer = bob.customer()
    response = alice.get(f"/webhook/customer?code={customer.code}")
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}


@pytest.mark.parametrize("code", ["abc", "12a", "-5", "1.5", "1e5", "\u00b2", "\u0661\u0662\u0663"])
def test_lookup_by_a_non_numeric_code_is_422(alice, code):
    response = lookup(alice, code=code)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert "code" in response.json()["fields"]


@pytest.mark.parametrize("code", ["0", "99999999999999999999999999999"])
def test_lookup_by_an_out_of_range_code_is_404_not_500(alice, code):
    response = lookup(alice, code=code)
    assert response.status_code == 404
    assert response.json()["error"] == "customer_not_found"


def test_a_tampered_qr_is_422(alice):
    customer = alice.customer()
    other = alice.customer()
    payload = qr_for(customer)
    prefix, org_id, _code, expires, signature = payload.split(":")
    forged = ":".join([prefix, org_id, str(other.code), expires, signature])
    response = lookup(alice, qr=forged)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_qr"


def test_an_expired_qr_is_422(alice):
    customer = alice.customer()
    # Signed 24 h and one minute ago: its 24 h validity has just run out.
    payload = qr_for(customer, now=time.time() - 24 * 3600 - 60)
    response = lookup(alice, qr=payload)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_qr"


def test_a_qr_stops_working_24_hours_after_it_was_shown(alice, monkeypatch):
    customer = alice.customer()
    payload = qr_for(customer)
    assert lookup(alice, qr=payload).status_code == 200
    later = time.time() + 24 * 3600 + 2
    monkeypatch.setattr(customers.qr, "time", SimpleNamespace(time=lambda: later))
    response = lookup(alice, qr=payload)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_qr"


def test_a_qr_signed_almost_24_hours_ago_still_works(alice):
    customer = alice.customer()
    payload = qr_for(customer, now=time.time() - 24 * 3600 + 60)
    assert lookup(alice, qr=payload).status_code == 200


def test_another_orgs_qr_is_422(alice, bob):
    customer = bob.customer()
    response = lookup(alice, qr=qr_for(customer))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_qr"


@pytest.mark.parametrize(
    "payload", ["garbage", "LQ1:1:2:3", "LQ1:x:y:z:sig", "LT1:1:2:abc", "LQ1:::::", "\u00e9" * 300]
)
def test_a_malformed_qr_is_422(alice, payload):
    response = lookup(alice, qr=payload)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_qr"


def test_a_qr_wins_over_a_code(alice):
    customer = alice.customer()
    response = lookup(alice, qr=qr_for(customer), code="999999")
    assert response.status_code == 200
    assert response.json()["data"]["customer_code"] == customer.code


# --- POST -----------------------------------------------------------------------------------
def test_enroll_creates_a_customer(alice):
    response = enroll(alice, email="zeynep@gmail.com", name="Zeynep")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data == {
        "customer_code": data["customer_code"],
        "is_new": True,
        "masked_email": "z***@gmail.com",
        "stamp_count": 0,
        "point_balance": 0,
    }
    customer = Customer.objects.get(organization=alice.org, code=data["customer_code"])
    assert (customer.email, customer.name) == ("zeynep@gmail.com", "Zeynep")
    assert customer.consent_terms_at is not None and customer.consent_privacy_at is not None


def test_enroll_records_marketing_consent_only_when_given(alice):
    yes = enroll(alice, email="yes@example.com", consent_marketing=True).json()["data"]
    silent = enroll(alice, email="silent@example.com").json()["data"]
    assert Customer.objects.get(code=yes["customer_code"]).consent_marketing is True
    silent_customer = Customer.objects.get(code=silent["customer_code"])
    assert silent_customer.consent_marketing is False
    assert silent_customer.consent_marketing_at is None


def test_the_same_email_returns_the_same_customer(alice):
    first = enroll(alice, email="zeynep@gmail.com").json()["data"]
    again = enroll(alice, email="  ZEYNEP@Gmail.COM \n")
    assert again.status_code == 200
    assert again.json()["data"] == {**first, "is_new": False}
    assert Customer.objects.filter(organization=alice.org).count() == 1


def test_finding_an_existing_customer_needs_no_consent(alice):
    first = enroll(alice, email="zeynep@gmail.com").json()["data"]
    response = alice.post("/webhook/customer", {"email": "zeynep@gmail.com"})
    assert response.status_code == 200
    assert response.json()["data"]["customer_code"] == first["customer_code"]
    assert response.json()["data"]["is_new"] is False


def test_the_same_email_in_another_org_is_another_customer(alice, bob):
    at_bob = bob.customer(email="zeynep@gmail.com")
    response = enroll(alice, email="zeynep@gmail.com")
    assert response.json()["data"]["is_new"] is True
    at_alice = Customer.objects.get(organization=alice.org, email="zeynep@gmail.com")
    assert at_alice.pk != at_bob.pk


def test_an_existing_customer_shows_its_balances(alice):
    customer = alice.customer(email="c@example.com", point_balance=12, stamp_count=4)
    data = enroll(alice, email="C@example.com").json()["data"]
    assert (data["customer_code"], data["point_balance"], data["stamp_count"]) == (
        customer.code,
        12,
        4,
    )


@pytest.mark.parametrize("email", [None, "", "   "])
def test_enroll_without_an_email_is_422(alice, email):
    body = {**ENROLL} if email is None else {**ENROLL, "email": email}
    response = alice.post("/webhook/customer", body)
    assert response.status_code == 422
    assert response.json()["error"] == "email_required"


def test_enroll_with_a_null_email_is_email_required(alice):
    response = alice.post("/webhook/customer", raw=b'{"email": null, "consent_terms": true}')
    assert response.status_code == 422
    assert response.json()["error"] == "email_required"


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@", "@b.com", "a b@c.com", "a@b", "x@" + "d" * 70 + ".com"]
)
def test_enroll_with_a_bad_email_is_422(alice, email):
    response = enroll(alice, email=email)
    assert response.status_code == 422
    assert response.json()["error"] == "email_invalid"


def test_an_email_longer_than_the_column_is_email_invalid_not_500(alice):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"
    assert len(email) > 254
    response = enroll(alice, email=email)
    assert response.status_code == 422
    assert response.json()["error"] == "email_invalid"


def test_enroll_without_terms_consent_is_422(alice):
    for body in [{"consent_privacy": True}, {"consent_terms": False, "consent_privacy": True}]:
        response = alice.post("/webhook/customer", {"email": "new@example.com", **body})
        assert response.status_code == 422
        assert response.json()["error"] == "consent_terms_required"
    assert not Customer.objects.filter(email="new@example.com").exists()


def test_enroll_without_privacy_consent_is_422(alice):
    for body in [{"consent_terms": True}, {"consent_terms": True, "consent_privacy": False}]:
        response = alice.post("/webhook/customer", {"email": "new@example.com", **body})
        assert response.status_code == 422
        assert response.json()["error"] == "consent_privacy_required"
    assert not Customer.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": 42}, "email"),
        ({"email": ["a@b.com"]}, "email"),
        ({"email": "a@b.com", "consent_terms": "true"}, "consent_terms"),
        ({"email": "a@b.com", "consent_privacy": 1}, "consent_privacy"),
        ({"email": "a@b.com", "consent_marketing": "yes"}, "consent_marketing"),
        ({"email": "a@b.com", "name": 7}, "name"),
        ({"email": "a@b.com", "name": "x" * 201}, "name"),
        ({"email": "a@b.com", "name": "nul\u0000"}, "name"),
    ],
)
def test_enroll_with_a_wrong_type_is_invalid_request(alice, body, field):
    response = alice.post("/webhook/customer", {**ENROLL, **body})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert field in response.json()["fields"]
    assert isinstance(response.json()["fields"][field], str)


def test_customer_codes_are_random_six_digit_numbers(alice):
    codes = [
        enroll(alice, email=f"c{n}@example.com").json()["data"]["customer_code"] for n in range(12)
    ]
    assert all(100_000 <= code <= 999_999 for code in codes)
    assert len(set(codes)) == len(codes)
    steps = {later - earlier for earlier, later in zip(codes, codes[1:], strict=False)}
    # Sequential (or constant-stride) codes would give one step; random ones give many.
    assert len(steps) > 1
    assert codes != sorted(codes)


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("alice@gmail.com", "a***@gmail.com"),
        ("b@x.org", "b***@x.org"),
        ("Zed.Long+tag@Example.co.uk", "z***@example.co.uk"),
    ],
)
def test_masked_email_shows_the_first_letter_and_the_domain(alice, email, masked):
    assert enroll(alice, email=email).json()["data"]["masked_email"] == masked
