"""Wallet cards: scan tokens at the POS, the web card, Apple passes and Google save links."""

import base64
import io
import json
import subprocess
import zipfile
from hashlib import sha1
from urllib.parse import urlsplit

import pytest

from kreward.models import WalletCard
from kreward.wallet import revoke_card

pytest_plugins = ["tests.kreward_support"]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def enroll(tenant, email: str = "jane@example.com", **extra) -> dict:
    response = tenant.post("/v1/enroll", {"email": email, **extra})
    assert response.status_code == 200
    return response.json()


def scan_token_of(tenant) -> str:
    body = enroll(tenant)
    page = tenant.client.get(path_of(body["wallet_url_ios"]))
    assert page.status_code == 200
    card = WalletCard.objects.get(serial=body["card_id"])
    from kreward.wallet import scan_token

    return scan_token(card)


# --- scan tokens at the POS ---------------------------------------------------------------
def test_the_scan_token_finds_the_customer_at_the_pos(kw_alice):
    token = scan_token_of(kw_alice)
    assert token.startswith("LW1:")
    response = kw_alice.tenant.get(f"/webhook/customer?qr={token}")
    assert response.status_code == 200
    assert response.json()["data"]["masked_email"] == "j***@example.com"


def test_a_tampered_scan_token_is_invalid(kw_alice):
    token = scan_token_of(kw_alice)
    response = kw_alice.tenant.get(f"/webhook/customer?qr={token[:-2]}xx")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_qr"


def test_a_revoked_scan_token_is_invalid(kw_alice):
    token = scan_token_of(kw_alice)
    revoke_card(card=WalletCard.objects.get())
    assert kw_alice.tenant.get(f"/webhook/customer?qr={token}").json()["error"] == "invalid_qr"


def test_another_orgs_pos_key_cannot_use_the_scan_token(kw_alice, kw_bob):
    token = scan_token_of(kw_alice)
    response = kw_bob.tenant.get(f"/webhook/customer?qr={token}")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_qr"


def test_strict_orgs_refuse_scan_tokens(kw_factory):
    strict = kw_factory("carol", preset="strict")
    token = scan_token_of(strict)
    assert strict.tenant.get(f"/webhook/customer?qr={token}").json()["error"] == "invalid_qr"


# --- the web card -------------------------------------------------------------------------
def test_the_web_card_shows_the_balance(kw_alice):
    body = enroll(kw_alice)
    kw_alice.post("/v1/transaction", {"email": "jane@example.com", "delta": 3})
    page = kw_alice.client.get(path_of(body["wallet_url_android"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="balance">3<' in html and "/ 8" in html
    assert "data:image/png;base64," in html


def test_a_tampered_or_revoked_web_card_link_is_not_found(kw_alice):
    url = path_of(enroll(kw_alice)["wallet_url_ios"])
    assert kw_alice.client.get(url.replace("/card/", "/card/x")).status_code == 404
    revoke_card(card=WalletCard.objects.get())
    assert kw_alice.client.get(url).status_code == 404
    fresh = path_of(enroll(kw_alice)["wallet_url_ios"])
    assert fresh != url and kw_alice.client.get(fresh).status_code == 200


# --- Apple Wallet -------------------------------------------------------------------------
def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture
def apple(tmp_path, monkeypatch):
    """A self-signed 'Pass Type ID' certificate that also stands in for Apple's WWDR."""
    cert, key = tmp_path / "pass.pem", tmp_path / "pass.key"
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=Pass Type ID: pass.example.loyalty", "-keyout", str(key), "-out", str(cert),
    )  # fmt: skip
    monkeypatch.setenv("APPLE_PASS_TYPE_ID", "pass.example.loyalty")
    monkeypatch.setenv("APPLE_TEAM_ID", "TEAM123456")
    monkeypatch.setenv("APPLE_PASS_CERT", str(cert))
    monkeypatch.setenv("APPLE_PASS_KEY", str(key))
    monkeypatch.setenv("APPLE_WWDR_CERT", str(cert))
    return tmp_path


def unpack(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_configured_server_serves_a_signed_pkpass(kw_alice, apple):
    body = enroll(kw_alice)
    assert "/wallet/" in body["wallet_url_ios"] and body["wallet_url_ios"].endswith(".pkpass")
    kw_alice.post("/v1/transaction", {"email": "jane@example.com", "delta": 5})
    response = kw_alice.client.get(path_of(body["wallet_url_ios"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.pkpass"
    files = unpack(response.content)
    manifest = json.loads(files["manifest.json"])
    for name, digest in manifest.items():
        assert sha1(files[name]).hexdigest() == digest  # noqa: S324
    pass_data = json.loads(files["pass.json"])
    assert pass_data["passTypeIdentifier"] == "pass.example.loyalty"
    assert pass_data["teamIdentifier"] == "TEAM123456"
    assert pass_data["organizationName"] == "Alice"
    assert pass_data["serialNumber"] == body["card_id"]
    store = pass_data["storeCard"]
    assert store["primaryFields"][0]["value"] == 5
    assert store["secondaryFields"][0]["value"] == 8
    token = pass_data["barcodes"][0]["message"]
    assert kw_alice.tenant.get(f"/webhook/customer?qr={token}").status_code == 200
    (apple / "manifest.json").write_bytes(files["manifest.json"])
    (apple / "signature").write_bytes(files["signature"])
    openssl(
        "smime", "-verify", "-binary", "-inform", "DER", "-in", str(apple / "signature"),
        "-content", str(apple / "manifest.json"), "-noverify", "-out", "/dev/null",
    )  # fmt: skip


def test_a_strict_orgs_pass_shows_the_card_link_not_a_scan_token(kw_factory, apple):
    strict = kw_factory("carol", preset="strict")
    body = enroll(strict)
    files = unpack(strict.client.get(path_of(body["wallet_url_ios"])).content)
    message = json.loads(files["pass.json"])["barcodes"][0]["message"]
    assert "/card/" in message


def test_the_pass_web_service_registers_lists_and_serves_updates(kw_alice, apple):
    body = enroll(kw_alice)
    card = WalletCard.objects.get(serial=body["card_id"])
    auth = {"HTTP_AUTHORIZATION": f"ApplePass {card.auth_token}"}
    base = "/wallet/apple/v1"
    registration = f"{base}/devices/dev1/registrations/pass.example.loyalty/{card.serial}"
    push = json.dumps({"pushToken": "abc"})
    client = kw_alice.client
    assert client.post(registration, push, content_type="application/json").status_code == 401
    assert (
        client.post(registration, push, content_type="application/json", **auth).status_code == 201
    )
    assert (
        client.post(registration, push, content_type="application/json", **auth).status_code == 200
    )
    listing = client.get(f"{base}/devices/dev1/registrations/pass.example.loyalty")
    assert listing.status_code == 200
    tag = listing.json()["lastUpdated"]
    assert listing.json()["serialNumbers"] == [str(card.serial)]
    since = f"{base}/devices/dev1/registrations/pass.example.loyalty?passesUpdatedSince={tag}"
    assert client.get(since).status_code == 204
    latest = client.get(f"{base}/passes/pass.example.loyalty/{card.serial}", **auth)
    assert latest.status_code == 200
    assert client.get(f"{base}/passes/pass.example.loyalty/{card.serial}").status_code == 401
    not_modified = client.get(
        f"{base}/passes/pass.example.loyalty/{card.serial}",
        HTTP_IF_MODIFIED_SINCE=latest["Last-Modified"],
        **auth,
    )
    assert not_modified.status_code == 304
    assert (
        client.post(
            f"{base}/log", json.dumps({"logs": ["x"]}), content_type="application/json"
        ).status_code
        == 200
    )
    assert client.delete(registration, **auth).status_code == 200
    assert client.get(f"{base}/devices/dev1/registrations/pass.example.loyalty").status_code == 204


def test_a_revoked_pass_can_no_longer_fetch_updates(kw_alice, apple):
    body = enroll(kw_alice)
    card = WalletCard.objects.get(serial=body["card_id"])
    revoke_card(card=card)
    response = kw_alice.client.get(
        f"/wallet/apple/v1/passes/pass.example.loyalty/{card.serial}",
        HTTP_AUTHORIZATION=f"ApplePass {card.auth_token}",
    )
    assert response.status_code == 401


# --- Google Wallet ------------------------------------------------------------------------
@pytest.fixture
def google(tmp_path, monkeypatch):
    key = tmp_path / "google.key"
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key))
    openssl("pkey", "-in", str(key), "-pubout", "-out", str(tmp_path / "google.pub"))
    account = {"client_email": "wallet@project.iam.example", "private_key": key.read_text()}
    (tmp_path / "account.json").write_text(json.dumps(account))
    monkeypatch.setenv("GOOGLE_WALLET_ISSUER_ID", "3388000000012345678")
    monkeypatch.setenv("GOOGLE_WALLET_KEY_FILE", str(tmp_path / "account.json"))
    return tmp_path


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_a_configured_server_redirects_to_a_signed_google_save_link(kw_alice, google):
    body = enroll(kw_alice)
    kw_alice.post("/v1/transaction", {"email": "jane@example.com", "delta": 2})
    response = kw_alice.client.get(path_of(body["wallet_url_android"]))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("https://pay.google.com/gp/v/save/")
    header, claims, signature = location.rsplit("/", 1)[1].split(".")
    assert json.loads(b64decode(header)) == {"alg": "RS256", "typ": "JWT"}
    payload = json.loads(b64decode(claims))
    assert payload["aud"] == "google" and payload["typ"] == "savetowallet"
    loyalty = payload["payload"]["loyaltyObjects"][0]
    assert loyalty["loyaltyPoints"]["balance"] == {"int": 2}
    assert loyalty["barcode"]["value"].startswith("LW1:")
    (google / "input").write_bytes(f"{header}.{claims}".encode())
    (google / "sig").write_bytes(b64decode(signature))
    openssl(
        "dgst", "-sha256", "-verify", str(google / "google.pub"),
        "-signature", str(google / "sig"), str(google / "input"),
    )  # fmt: skip


def test_without_configuration_the_wallet_links_open_the_web_card(kw_alice, monkeypatch):
    monkeypatch.delenv("APPLE_PASS_TYPE_ID", raising=False)
    monkeypatch.delenv("GOOGLE_WALLET_ISSUER_ID", raising=False)
    body = enroll(kw_alice)
    token = body["wallet_url_ios"].rsplit("/card/", 1)[1]
    for path in (f"/wallet/{token}pass.pkpass", f"/wallet/{token}google"):
        response = kw_alice.client.get(path)
        assert response.status_code == 302
        assert "/card/" in response["Location"]
