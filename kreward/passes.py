"""Apple Wallet `.pkpass` files and Google Wallet "save" links for a wallet card.

Signing uses the `openssl` command line (PKCS#7 detached signature for Apple, RS256 for
Google): the `cryptography` package is not a dependency of this project. Keys are read from
the paths in the environment (see docs/KREWARD_WALLET.md).
"""

import base64
import datetime
import hashlib
import io
import json
import os
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from django.http import HttpResponse
from django.utils.http import http_date
from PIL import Image

from campaigns import cards
from campaigns.models import CardType, LedgerEntry

from . import wallet
from .models import WalletCard

PKPASS_CONTENT_TYPE = "application/vnd.apple.pkpass"
GOOGLE_SAVE_URL = "https://pay.google.com/gp/v/save/"
ICON_COLOR = (31, 75, 63)
BACKGROUND_COLOR = "rgb(31, 75, 63)"
OPENSSL_TIMEOUT_SECONDS = 10


class SigningError(RuntimeError):
    pass


def _openssl(*args: str, input_bytes: bytes | None = None, env: dict | None = None) -> bytes:
    try:
        result = subprocess.run(
            ["openssl", *args],
            input=input_bytes,
            capture_output=True,
            timeout=OPENSSL_TIMEOUT_SECONDS,
            env={**os.environ, **(env or {})},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SigningError(f"openssl failed: {exc}") from exc
    if result.returncode != 0:
        raise SigningError(result.stderr.decode(errors="replace").strip())
    return result.stdout


# --- what a card shows --------------------------------------------------------------------
def _unit(card: WalletCard) -> str:
    return "Points" if card.campaign.card_type == CardType.POINT else "Stamps"


def last_changed(card: WalletCard) -> datetime.datetime:
    """When the card's balance last moved (or the card was made): the pass's version."""
    latest = (
        LedgerEntry.objects.filter(customer=card.customer, card_type=card.campaign.card_type)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return max(latest, card.created_at) if latest else card.created_at


def update_tag(card: WalletCard) -> str:
    return str(int(last_changed(card).timestamp()))


# --- Apple --------------------------------------------------------------------------------
def _icon(size: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), ICON_COLOR).save(buffer, format="PNG")
    return buffer.getvalue()


def pass_json(card: WalletCard, config: wallet.AppleConfig) -> dict[str, Any]:
    customer, campaign = card.customer, card.campaign
    balance = cards.balance_of(customer, campaign)
    goal = cards.goal_of(campaign)
    message = wallet.barcode_message(card)
    barcode = {"format": "PKBarcodeFormatQR", "message": message, "messageEncoding": "iso-8859-1"}
    secondary = [{"key": "goal", "label": "Goal", "value": goal}] if goal else []
    return {
        "formatVersion": 1,
        "passTypeIdentifier": config.pass_type_id,
        "teamIdentifier": config.team_id,
        "serialNumber": str(card.serial),
        "authenticationToken": card.auth_token,
        "webServiceURL": wallet.absolute("/wallet/apple/"),
        "organizationName": card.organization.name,
        "description": f"{card.organization.name} {campaign.name}",
        "logoText": card.organization.name,
        "foregroundColor": "rgb(255, 255, 255)",
        "backgroundColor": BACKGROUND_COLOR,
        "storeCard": {
            "primaryFields": [{"key": "balance", "label": _unit(card), "value": balance}],
            "secondaryFields": secondary,
            "auxiliaryFields": [
                {"key": "member", "label": "Member", "value": customer.name or customer.code}
            ],
            "backFields": [{"key": "code", "label": "Customer code", "value": customer.code}],
        },
        "barcodes": [barcode],
        "barcode": barcode,
    }


def sign_manifest(manifest: bytes, config: wallet.AppleConfig) -> bytes:
    """The detached PKCS#7 (DER) signature Apple expects, with the WWDR certificate."""
    with tempfile.TemporaryDirectory() as directory:
        manifest_path = Path(directory) / "manifest.json"
        manifest_path.write_bytes(manifest)
        args = [
            "smime", "-binary", "-sign", "-outform", "DER",
            "-signer", config.certificate, "-inkey", config.key, "-certfile", config.wwdr,
            "-in", str(manifest_path),
        ]  # fmt: skip
        env = {}
        if config.key_password:
            args += ["-passin", "env:KREWARD_PASS_KEY_PASSWORD"]
            env["KREWARD_PASS_KEY_PASSWORD"] = config.key_password
        return _openssl(*args, env=env)


def build_pkpass(*, card: WalletCard, config: wallet.AppleConfig) -> bytes:
    files = {
        "pass.json": json.dumps(pass_json(card, config), ensure_ascii=False).encode(),
        "icon.png": _icon(29),
        "icon@2x.png": _icon(58),
        "logo.png": _icon(50),
    }
    manifest = json.dumps(
        {name: hashlib.sha1(data).hexdigest() for name, data in files.items()}  # noqa: S324
    ).encode()
    files["manifest.json"] = manifest
    files["signature"] = sign_manifest(manifest, config)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def pkpass_response(*, card: WalletCard, config: wallet.AppleConfig) -> HttpResponse:
    response = HttpResponse(build_pkpass(card=card, config=config), PKPASS_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{card.serial}.pkpass"'
    response["Last-Modified"] = http_date(last_changed(card).timestamp())
    return response


# --- Google -------------------------------------------------------------------------------
def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _service_account(config: wallet.GoogleConfig) -> dict[str, str]:
    try:
        account = json.loads(Path(config.key_file).read_text())
    except (OSError, ValueError) as exc:
        raise SigningError(f"cannot read the Google service-account key: {exc}") from exc
    if not account.get("private_key") or not account.get("client_email"):
        raise SigningError("the service-account key needs private_key and client_email")
    return account


def sign_rs256(message: bytes, private_key_pem: str) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        key_path = Path(directory) / "key.pem"
        key_path.touch(mode=0o600)
        key_path.write_text(private_key_pem)
        return _openssl("dgst", "-sha256", "-sign", str(key_path), input_bytes=message)


def loyalty_object(card: WalletCard, issuer_id: str) -> tuple[dict, dict]:
    """The Google Wallet loyalty class (the org's card) and object (this customer's)."""
    customer, campaign = card.customer, card.campaign
    class_id = f"{issuer_id}.{card.organization.slug}-{campaign.card_type}"
    loyalty_class = {
        "id": class_id,
        "issuerName": card.organization.name,
        "programName": campaign.name,
        "reviewStatus": "UNDER_REVIEW",
    }
    loyalty = {
        "id": f"{issuer_id}.{card.serial.hex}",
        "classId": class_id,
        "state": "ACTIVE",
        "accountId": str(customer.code),
        "accountName": customer.name or str(customer.code),
        "loyaltyPoints": {
            "label": _unit(card),
            "balance": {"int": cards.balance_of(customer, campaign)},
        },
        "barcode": {"type": "QR_CODE", "value": wallet.barcode_message(card)},
    }
    return loyalty_class, loyalty


def google_save_url(*, card: WalletCard, config: wallet.GoogleConfig) -> str:
    account = _service_account(config)
    loyalty_class, loyalty = loyalty_object(card, config.issuer_id)
    claims = {
        "iss": account["client_email"],
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(time.time()),
        "origins": [wallet.absolute("")],
        "payload": {"loyaltyClasses": [loyalty_class], "loyaltyObjects": [loyalty]},
    }
    header = {"alg": "RS256", "typ": "JWT"}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = sign_rs256(signing_input.encode(), account["private_key"])
    return GOOGLE_SAVE_URL + f"{signing_input}.{_b64url(signature)}"
