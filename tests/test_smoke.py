def test_health_reports_database_and_cache(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_earn_then_lookup_shows_the_new_balance(alice):
    customer = alice.customer()
    response = alice.post(
        "/webhook/pos", {"customer_code": customer.code, "amount": 10, "external_id": "o-1"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"stamps": 0, "points": 10}}
    lookup = alice.get(f"/webhook/customer?code={customer.code}")
    assert lookup.json()["data"]["point_balance"] == 10


def test_another_orgs_customer_is_not_found(alice, bob):
    customer = bob.customer()
    response = alice.get(f"/webhook/customer?code={customer.code}")
    assert response.status_code == 404
    assert response.json() == {"error": "customer_not_found"}
