"""The OpenAPI schema documents the POS API; the docs page renders it."""

import pytest
import yaml

POS_PATHS = ["/webhook/customer", "/webhook/pos", "/webhook/redeem", "/webhook/coupons/redeem"]


@pytest.fixture
def schema(client, db) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operation(schema: dict, path: str, method: str = "post") -> dict:
    matches = [p for p in schema["paths"] if p.rstrip("/") == path]
    assert matches, f"{path} is not in the schema"
    return schema["paths"][matches[0]][method]


def test_the_schema_loads_and_lists_the_four_pos_paths(schema):
    assert schema["openapi"].startswith("3.")
    listed = {path.rstrip("/") for path in schema["paths"]}
    assert set(POS_PATHS) <= listed


def test_the_schema_is_also_served_as_json(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert set(POS_PATHS) <= {p.rstrip("/") for p in response.json()["paths"]}


def test_customer_has_lookup_and_enroll(schema):
    lookup = operation(schema, "/webhook/customer", "get")
    assert {p["name"] for p in lookup["parameters"]} >= {"code", "qr"}
    assert {"200", "400", "401", "402", "404", "422", "429"} <= set(lookup["responses"])
    enroll = operation(schema, "/webhook/customer", "post")
    assert {"200", "400", "401", "402", "422", "429"} <= set(enroll["responses"])
    assert "email_required" in enroll["responses"]["422"]["description"]


@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("/webhook/pos", {"200", "400", "401", "402", "404", "409", "412", "422", "429"}),
        ("/webhook/redeem", {"200", "400", "401", "402", "404", "409", "412", "422", "429"}),
        ("/webhook/coupons/redeem", {"200", "400", "401", "402", "404", "409", "412", "422"}),
    ],
)
def test_each_write_documents_its_error_responses(schema, path, statuses):
    responses = operation(schema, path)["responses"]
    assert statuses <= set(responses)
    assert "invalid or missing API key" in responses["401"]["description"]
    assert "subscription_required" in responses["402"]["description"]
    assert "too many requests" in responses["429"]["description"]


def test_the_error_codes_are_named_in_the_schema(schema):
    text = yaml.safe_dump(schema)
    for code in [
        "invalid_json",
        "invalid_request",
        "code or qr is required",
        "customer_not_found",
        "external_id_conflict",
        "coupon_not_found",
        "coupon_already_used",
        "pin_required",
    ]:
        assert code in text, code


def test_the_schema_documents_key_auth(schema):
    assert "X-Api-Key" in schema["info"]["description"]


def test_the_docs_page_answers(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_pos_paths_are_documented_as_clients_call_them(schema):
    assert set(POS_PATHS) <= set(schema["paths"]), "no trailing slash, as in the contract"


@pytest.mark.parametrize(
    ("path", "fields", "required"),
    [
        (
            "/webhook/pos",
            {"customer_code": "integer", "amount": "number", "external_id": "string"},
            {"customer_code", "amount", "external_id"},
        ),
        (
            "/webhook/redeem",
            {"customer_code": "integer", "value": "integer", "external_id": "string"},
            {"customer_code", "value", "external_id"},
        ),
        ("/webhook/coupons/redeem", {"token": "string", "manual_code": "boolean"}, {"token"}),
        ("/webhook/customer", {"email": None, "consent_terms": "boolean"}, set()),
    ],
)
def test_write_bodies_are_documented_with_their_json_types(schema, path, fields, required):
    body = operation(schema, path)["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    for name, json_type in fields.items():
        assert name in component["properties"], name
        if json_type:
            assert component["properties"][name]["type"] == json_type, name
    assert required <= set(component.get("required", []))
    assert component["properties"].get("verification_pin", {"type": "string"})["type"] == "string"
