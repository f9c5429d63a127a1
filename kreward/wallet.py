"""Wallet cards: their links (web card, Apple pass, Google save link) and scan tokens.

A card's links and its scan token are signed with the server's secret and carry the card's
`version`, so revoking a card (bumping the version) kills every link and token it handed out.
Scan token: `LW1:<serial>:<version>:<signature>`, accepted by GET /webhook/customer?qr= on
Standard and Balanced orgs.
"""

import base64
import os
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from campaigns.cards import card_id
from campaigns.models import Campaign
from customers.models import Customer
from loyalite.models import Organization, Preset

from .models import WalletCard, new_auth_token

SCAN_PREFIX = "LW1"
LINK_SALT = "kreward.wallet.link"
SCAN_SALT = "kreward.wallet.scan"


@dataclass(frozen=True)
class AppleConfig:
    pass_type_id: str
    team_id: str
    certificate: str
    key: str
    wwdr: str
    key_password: str = ""


@dataclass(frozen=True)
class GoogleConfig:
    issuer_id: str
    key_file: str


def apple_config() -> AppleConfig | None:
    """From the environment; None unless every part is set (then the web card is used)."""
    env = os.environ
    names = ["APPLE_PASS_TYPE_ID", "APPLE_TEAM_ID", "APPLE_PASS_CERT", "APPLE_PASS_KEY"]
    if not all(env.get(name) for name in [*names, "APPLE_WWDR_CERT"]):
        return None
    return AppleConfig(
        *(env[name] for name in names),
        wwdr=env["APPLE_WWDR_CERT"],
        key_password=env.get("APPLE_PASS_KEY_PASSWORD", ""),
    )


def google_config() -> GoogleConfig | None:
    env = os.environ
    if not (env.get("GOOGLE_WALLET_ISSUER_ID") and env.get("GOOGLE_WALLET_KEY_FILE")):
        return None
    return GoogleConfig(env["GOOGLE_WALLET_ISSUER_ID"], env["GOOGLE_WALLET_KEY_FILE"])


@transaction.atomic
def card_for(*, customer: Customer, campaign: Campaign) -> WalletCard:
    card, _ = WalletCard.objects.get_or_create(
        customer=customer,
        campaign=campaign,
        defaults={
            "organization_id": customer.organization_id,
            "serial": card_id(customer=customer, campaign=campaign),
        },
    )
    return card


@transaction.atomic
def revoke_card(*, card: WalletCard) -> None:
    """Every link, scan token and installed pass of the card stops working; the next enroll
    hands out new ones."""
    WalletCard.objects.filter(pk=card.pk).update(
        version=F("version") + 1, revoked_at=timezone.now(), auth_token=new_auth_token()
    )


def link_token(card: WalletCard) -> str:
    return signing.dumps([str(card.serial), card.version], salt=LINK_SALT, compress=True)


def card_by_link_token(token: str) -> WalletCard | None:
    try:
        serial, version = signing.loads(token, salt=LINK_SALT)
        serial = uuid.UUID(serial)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    card = (
        WalletCard.objects.select_related("customer", "campaign", "organization")
        .filter(serial=serial, version=version)
        .first()
    )
    return card


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def web_card_url(card: WalletCard) -> str:
    return absolute(reverse("kreward-web-card", args=[link_token(card)]))


def apple_url(card: WalletCard) -> str:
    if apple_config() is None:
        return web_card_url(card)
    return absolute(reverse("kreward-apple-pass", args=[link_token(card)]))


def google_url(card: WalletCard) -> str:
    if google_config() is None:
        return web_card_url(card)
    return absolute(reverse("kreward-google-save", args=[link_token(card)]))


# --- scan tokens --------------------------------------------------------------------------
def _scan_signature(serial: str, version: int) -> str:
    digest = salted_hmac(SCAN_SALT, f"{serial}:{version}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def scan_token(card: WalletCard) -> str:
    serial = card.serial.hex
    return f"{SCAN_PREFIX}:{serial}:{card.version}:{_scan_signature(serial, card.version)}"


def barcode_message(card: WalletCard) -> str:
    """What the wallet pass shows: its scan token, or on Strict orgs the card's web link."""
    if card.organization.preset == Preset.STRICT:
        return web_card_url(card)
    return scan_token(card)


def customer_for_scan_token(*, organization: Organization, payload: str) -> Customer | None:
    """The customer a valid, unrevoked scan token of this org names (Strict orgs: never)."""
    parts = payload.strip().split(":")
    if len(parts) != 4 or parts[0] != SCAN_PREFIX or organization.preset == Preset.STRICT:
        return None
    serial, version = parts[1], parts[2]
    if not version.isdigit():
        return None
    if not constant_time_compare(_scan_signature(serial, int(version)), parts[3]):
        return None
    try:
        serial_uuid = uuid.UUID(hex=serial)
    except ValueError:
        return None
    card = (
        WalletCard.objects.select_related("customer")
        .filter(serial=serial_uuid, version=int(version), organization=organization)
        .first()
    )
    return card.customer if card else None
