"""The /v1 operations are documented in the shared schema under their own tag."""

import pytest


@pytest.mark.django_db
def test_the_schema_documents_every_v1_operation_under_its_tag(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    expected = {
        ("/v1/ping", "get"),
        ("/v1/me", "get"),
        ("/v1/enroll", "post"),
        ("/v1/balance", "get"),
        ("/v1/customer", "get"),
        ("/v1/transaction", "post"),
        ("/v1/redeem", "post"),
    }
    found = {
        (path.rstrip("/"), method)
        for path, operations in schema["paths"].items()
        if path.startswith("/v1/")
        for method, operation in operations.items()
        if method in {"get", "post"} and "Kreward /v1" in operation.get("tags", [])
    }
    assert found == expected
    redeem = schema["paths"]["/v1/redeem"]["post"]
    assert {"400", "401", "402", "403", "404", "409", "429"} <= set(redeem["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in redeem["parameters"])
