"""The till in Debian's Chromium at 768×1024, against uvicorn, with the customer's dashboard
open in a second browser context (the customer's phone): the QR payload the cashier scans
and the PIN the cashier types are read from that phone, as in a shop.

A keyboard-wedge scanner types the payload and Enter, so "scanning" is filling the scan field
and pressing Enter. Headless Chromium on Linux has no BarcodeDetector: the camera button stays
hidden and the page says so (the graceful fallback).
"""

import json
import re
from collections.abc import Iterator

import pytest

from .live_stack import SCREENSHOTS, Server, running_server

pytestmark = pytest.mark.browser

TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}
PASSWORD = "till-Browser-2024"
SHOPS = [("kahve", "Kahve", "standard"), ("demli", "Demli", "balanced"), ("sade", "Sade", "strict")]


def _seed(server: Server) -> None:
    for slug, name, preset in SHOPS:
        created = server.manage(
            "create_org", slug, "--name", name, "--preset", preset, "--max-stamps", "8", "--json"
        )
        server.keys[slug] = json.loads(created)["api_key"]
        server.manage(
            "create_merchant_user", slug, f"kasa@{slug}.test", env={"MERCHANT_PASSWORD": PASSWORD}
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("till-server"), _seed) as running:
        yield running


@pytest.fixture
def till(browser):
    context = browser.new_context(viewport=TABLET, device_scale_factor=1, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def log_in(page, server: Server, slug: str) -> None:
    page.goto(f"{server.base_url}/till/")
    assert page.url == f"{server.base_url}/admin/login/?next=/till/"
    page.fill("#id_username", f"kasa@{slug}.test")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.base_url}/till/")


def open_dashboard(phone, server: Server, slug: str, email: str) -> str:
    """The customer's phone, logged in with a one-time link; returns the QR payload shown."""
    phone.goto(server.link(slug, email))
    phone.locator("[data-live].on").wait_for(timeout=5000)
    return phone.locator("[data-qr-image]").get_attribute("data-payload")


def scan(page, payload: str) -> None:
    page.fill("#scan", payload)
    page.press("#scan", "Enter")


def press_pin(page, pin: str) -> None:
    for digit in pin:
        page.click(f"#pin-pad [data-digit='{digit}']")


def test_staff_logs_in_scans_a_qr_and_earns_on_standard(server, till, phone):
    server.enroll("kahve", "ali@example.com", "Ali")
    log_in(till, server, "kahve")
    assert till.locator("#camera-unavailable").is_visible()
    assert not till.locator("#camera-start").is_visible()
    shot(till, "till-scan.png")
    payload = open_dashboard(phone, server, "kahve", "ali@example.com")

    scan(till, payload)

    card = till.locator(".customer")
    card.wait_for()
    assert card.locator("[data-email]").inner_text() == "a***@example.com"
    assert card.locator("[data-name]").inner_text() == "Ali"
    assert card.locator("[data-points]").inner_text() == "0"
    till.fill("#earn-amount", "12,50")
    till.click("text=Add points")
    till.locator("[data-result]", has_text="Added 13 points.").wait_for()
    assert till.locator("[data-points]").inner_text() == "13"
    till.dblclick("text=Add stamps")  # a double tap adds one stamp, not two
    till.locator("[data-result]", has_text="Added 1 stamp.").wait_for()
    assert till.locator("[data-stamps]").inner_text() == "1"
    assert till.locator("#recent .recent-item").count() == 2
    phone.locator("[data-points]", has_text="13").wait_for(timeout=5000)
    shot(till, "till-card.png")


def test_a_pin_from_the_customers_phone_authorises_a_redeem_on_balanced(server, till, phone):
    code = server.enroll("demli", "pinar@example.com", "Pınar")
    with server.api("demli") as api:
        response = api.post(
            "/webhook/pos", json={"customer_code": code, "amount": 200, "external_id": "seed-1"}
        )
        assert response.status_code == 200, response.text
    payload = open_dashboard(phone, server, "demli", "pinar@example.com")
    log_in(till, server, "demli")
    scan(till, payload)
    till.locator(".customer").wait_for()
    assert till.locator("[data-points]").inner_text() == "200"

    till.fill("#redeem-value", "50")
    till.click("form[data-action$='/redeem'] button[type=submit]")

    sheet = till.locator("#pin-sheet")
    sheet.wait_for()
    assert sheet.locator("h2").inner_text() == "Ask the customer for the PIN on their phone"
    assert till.locator("#pin-what").inner_text() == "Redeem 50 points"
    assert till.locator("#pin-attempts").inner_text() == "3 attempts left"
    assert re.fullmatch(r"Expires in [12]:\d\d", till.locator("#pin-countdown").inner_text())
    pin_on_phone = phone.locator("[data-pin-panel] [data-pin]")
    pin_on_phone.wait_for(timeout=5000)  # pushed over the WebSocket, no reload
    pin = pin_on_phone.inner_text().strip()
    assert re.fullmatch(r"\d{4}", pin)

    press_pin(till, "0000" if pin != "0000" else "1111")
    till.locator("#pin-status", has_text="Wrong PIN. Try again.").wait_for()
    assert till.locator("#pin-attempts").inner_text() == "2 attempts left"
    press_pin(till, pin[:2])
    shot(till, "till-pin-sheet.png")
    press_pin(till, pin[2:])

    till.locator("[data-result]", has_text="Redeemed 50 points.").wait_for()
    assert not sheet.is_visible()
    assert till.locator("[data-points]").inner_text() == "150"
    phone.locator("[data-points]", has_text="150").wait_for(timeout=5000)


def test_strict_refuses_a_typed_code_and_accepts_the_rotating_qr(server, till, phone):
    code = server.enroll("sade", "sena@example.com", "Sena")
    log_in(till, server, "sade")

    scan(till, str(code))

    notice = till.locator("#notice")
    notice.wait_for()
    assert "Typed codes are switched off for this shop" in notice.inner_text()
    assert till.locator(".customer").count() == 0

    payload = open_dashboard(phone, server, "sade", "sena@example.com")
    assert payload.startswith("LT1:")
    scan(till, payload)
    till.locator(".customer").wait_for()
    assert till.locator("[data-name]").inner_text() == "Sena"
    assert not notice.is_visible()
