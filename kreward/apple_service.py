"""Apple's pass web service (https://developer.apple.com/documentation/walletpasses):
devices register for a pass, list the passes changed since a tag, and fetch the latest pass.

Every call but `log` carries `Authorization: ApplePass <authenticationToken>` of the pass.
"""

import json
import logging
import uuid

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.http import parse_http_date_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import passes, wallet
from .models import WalletCard, WalletRegistration

logger = logging.getLogger(__name__)
MAX_TOKEN_LENGTH = 256


def _card(pass_type_id: str, serial: str) -> WalletCard | None:
    config = wallet.apple_config()
    if config is None or pass_type_id != config.pass_type_id:
        return None
    try:
        serial_uuid = uuid.UUID(serial)
    except ValueError:
        return None
    return (
        WalletCard.objects.select_related("customer", "campaign", "organization")
        .filter(serial=serial_uuid)
        .first()
    )


def _authorized(request: HttpRequest, card: WalletCard | None) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (
        card is not None
        and scheme == "ApplePass"
        and constant_time_compare(token.strip(), card.auth_token)
    )


@csrf_exempt
@require_http_methods(["POST", "DELETE"])
def registration(request: HttpRequest, device: str, pass_type_id: str, serial: str) -> HttpResponse:
    card = _card(pass_type_id, serial)
    if not _authorized(request, card):
        return HttpResponse(status=401)
    if request.method == "DELETE":
        WalletRegistration.objects.filter(card=card, device_library_identifier=device).delete()
        return HttpResponse(status=200)
    try:
        push_token = str(json.loads(request.body or b"{}").get("pushToken", ""))
    except (ValueError, AttributeError):
        return HttpResponse(status=400)
    if not push_token or len(push_token) > MAX_TOKEN_LENGTH or len(device) > 128:
        return HttpResponse(status=400)
    with transaction.atomic():
        _, created = WalletRegistration.objects.update_or_create(
            card=card, device_library_identifier=device, defaults={"push_token": push_token}
        )
    return HttpResponse(status=201 if created else 200)


@require_GET
def serials(request: HttpRequest, device: str, pass_type_id: str) -> HttpResponse:
    """The device's passes changed since `passesUpdatedSince` (204 when none)."""
    config = wallet.apple_config()
    if config is None or pass_type_id != config.pass_type_id:
        return HttpResponse(status=404)
    since = request.GET.get("passesUpdatedSince", "")
    since_value = int(since) if since.isdigit() else -1
    registered = WalletCard.objects.select_related("customer", "campaign").filter(
        registrations__device_library_identifier=device
    )
    tags = {str(card.serial): int(passes.update_tag(card)) for card in registered}
    changed = [serial for serial, tag in tags.items() if tag > since_value]
    if not changed:
        return HttpResponse(status=204)
    return JsonResponse({"serialNumbers": changed, "lastUpdated": str(max(tags.values()))})


@require_GET
def latest_pass(request: HttpRequest, pass_type_id: str, serial: str) -> HttpResponse:
    card = _card(pass_type_id, serial)
    if not _authorized(request, card):
        return HttpResponse(status=401)
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if since is not None and int(passes.last_changed(card).timestamp()) <= since:
        return HttpResponse(status=304)
    return passes.pkpass_response(card=card, config=wallet.apple_config())


@csrf_exempt
@require_POST
def log(request: HttpRequest) -> HttpResponse:
    try:
        messages = json.loads(request.body or b"{}").get("logs", [])
    except (ValueError, AttributeError):
        messages = []
    for message in messages[:20]:
        logger.info("apple wallet: %s", str(message)[:500])
    return HttpResponse(status=200)
