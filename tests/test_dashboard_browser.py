"""The dashboard in Debian's Chromium against a real uvicorn (HTTP and WebSockets, one process).

The server runs the embedded default (file SQLite, eager Celery, in-memory channel layer)
in a subprocess; the test seeds it with manage.py and drives it over the POS API.
No QR decoder is installed, so the QR checks assert that the <img> is exactly the server's
rendering of the payload in its data-payload attribute, and that this payload is accepted
by GET /webhook/customer?qr=.
"""

import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from customers.qr import TOTP_STEP_SECONDS
from customers.qr import png_data_uri as qr_image

from .live_stack import SCREENSHOTS, Server, running_server

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _seed(server: Server) -> None:
    for slug, name, preset in [("kahveci", "Kahveci", "balanced"), ("demlik", "Demlik", "strict")]:
        created = server.manage(
            "create_org", slug, "--name", name, "--preset", preset, "--max-stamps", "8", "--json"
        )
        server.keys[slug] = json.loads(created)["api_key"]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("dashboard-server"), _seed) as server:
        yield server


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


def earn(server: Server, slug: str, code: int, amount, external_id: str, card_type="point"):
    with server.api(slug) as api:
        response = api.post(
            "/webhook/pos",
            json={
                "customer_code": code,
                "amount": amount,
                "card_type": card_type,
                "external_id": external_id,
            },
        )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def lookup_qr(server: Server, slug: str, payload: str) -> httpx.Response:
    with server.api(slug) as api:
        return api.get("/webhook/customer", params={"qr": payload})


def open_dashboard(page, server: Server, slug: str, email: str) -> None:
    page.goto(server.link(slug, email))
    assert page.url == f"{server.base_url}/me/"
    # The page is live once the socket is open (the badge says so).
    page.locator("[data-live].on").wait_for(timeout=5000)


def mark_page(page) -> None:
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_link_login_shows_balances_and_a_qr_the_pos_accepts(server, page):
    code = server.enroll("kahveci", "ayse@example.com", "Ayşe")
    earn(server, "kahveci", code, 250, "login-p1")
    earn(server, "kahveci", code, 5, "login-s1", card_type="stamp")

    open_dashboard(page, server, "kahveci", "ayse@example.com")
    assert page.locator("[data-name]").inner_text() == "Ayşe"
    assert page.locator("[data-points]").inner_text() == "250"
    assert page.locator("[data-stamps]").inner_text() == "5"
    assert page.locator("[data-stamp-goal]").inner_text() == "8"
    assert page.locator(".dot.filled").count() == 5
    assert page.locator(".dot").count() == 8

    image = page.locator("[data-qr-image]")
    payload = image.get_attribute("data-payload")
    assert image.get_attribute("src") == qr_image(payload)
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    response = lookup_qr(server, "kahveci", payload)
    assert response.status_code == 200
    assert response.json()["data"]["customer_code"] == code
    assert lookup_qr(server, "demlik", payload).json() == {"error": "invalid_qr"}


def test_a_used_link_shows_a_clear_page(server, page, browser):
    server.enroll("kahveci", "used@example.com", "Used")
    link = server.link("kahveci", "used@example.com")
    page.goto(link)
    assert page.url.endswith("/me/")

    other_device = browser.new_context(viewport=PHONE)
    try:
        second = other_device.new_page()
        second.goto(link)
        assert "already been used or it has expired" in second.locator("main").inner_text()
        second.get_by_role("link", name="Send me a new link").click()
        assert second.url == f"{server.base_url}/o/kahveci/login"
    finally:
        other_device.close()


def test_the_profile_form_and_logout_work_in_the_browser(server, page):
    server.enroll("kahveci", "profil@example.com", "Profil")
    open_dashboard(page, server, "kahveci", "profil@example.com")
    page.get_by_role("link", name="Profile & privacy").click()
    page.get_by_label("Name").fill("Profil Sahibi")
    page.get_by_label("Send me offers and news by email").check()
    page.get_by_role("button", name="Save").click()
    assert page.locator(".messages").inner_text() == "Saved."
    assert page.get_by_label("Send me offers and news by email").is_checked()
    save_screenshot(page, "profile.png")

    page.get_by_role("link", name="My card").click()
    assert page.locator("[data-name]").inner_text() == "Profil Sahibi"
    page.get_by_role("button", name="Log out").click()
    assert page.url == f"{server.base_url}/o/kahveci/login"
    assert page.locator(".messages").inner_text() == "You are logged out."
    save_screenshot(page, "login.png")
    page.goto(f"{server.base_url}/me/")
    assert "You are not logged in" in page.locator("main").inner_text()


def test_an_earn_updates_the_open_page_without_a_reload(server, page):
    code = server.enroll("kahveci", "emre@example.com", "Emre")
    open_dashboard(page, server, "kahveci", "emre@example.com")
    mark_page(page)
    assert page.locator("[data-points]").inner_text() == "0"

    earn(server, "kahveci", code, 42, "live-p1")
    page.wait_for_function(
        "document.querySelector('[data-points]').textContent === '42'", timeout=2000
    )
    earn(server, "kahveci", code, 3, "live-s1", card_type="stamp")
    page.wait_for_function("document.querySelectorAll('.dot.filled').length === 3", timeout=2000)
    assert same_document(page)


def test_a_pin_appears_live_authorises_the_redeem_and_clears(server, page):
    code = server.enroll("kahveci", "pinar@example.com", "Pınar")
    earn(server, "kahveci", code, 300, "pin-p1")
    coupon = earn(server, "kahveci", code, 8, "pin-s1", card_type="stamp")["coupon"]
    earn(server, "kahveci", code, 5, "pin-s2", card_type="stamp")
    open_dashboard(page, server, "kahveci", "pinar@example.com")
    mark_page(page)
    assert page.locator("[data-pin-panel]").is_hidden()

    redeem = {"customer_code": code, "value": 200, "card_type": "point", "external_id": "pin-r1"}
    with server.api("kahveci") as api:
        refused = api.post("/webhook/redeem", json=redeem)
        assert refused.status_code == 412
        panel = page.locator("[data-pin-panel]")
        panel.wait_for(state="visible", timeout=2000)
        pin = page.locator("[data-pin]").inner_text()
        assert len(pin) == 4 and pin.isdigit()
        assert page.locator("[data-description]").inner_text() == "Redeem 200 points at Kahveci"
        assert page.locator("[data-attempts]").inner_text() == "3 attempts left"
        assert re.fullmatch(r"Expires in [12]:\d\d", page.locator("[data-countdown]").inner_text())
        page.locator(".coupon-qr").wait_for()
        save_screenshot(page, "dashboard-pin.png")

        done = api.post("/webhook/redeem", json={**redeem, "verification_pin": pin})
    assert done.status_code == 200
    assert done.json() == {"data": {"stamps": 5, "points": 100}}
    panel.wait_for(state="hidden", timeout=2000)
    page.wait_for_function(
        "document.querySelector('[data-points]').textContent === '100'", timeout=2000
    )

    coupon_image = page.locator(".coupon-qr")
    assert coupon_image.get_attribute("data-payload") == coupon["qr_token"]
    assert coupon_image.get_attribute("src") == qr_image(coupon["qr_token"])
    assert "Free Coffee" in page.locator("[data-coupons]").inner_text()
    assert same_document(page)
    save_screenshot(page, "dashboard-coupon.png")


def test_a_pin_shows_on_a_phone_whose_clock_is_ten_minutes_fast(server, page):
    page.add_init_script("const realNow = Date.now; Date.now = () => realNow() + 600000;")
    code = server.enroll("kahveci", "saat@example.com", "Saat")
    earn(server, "kahveci", code, 50, "skew-p1")
    open_dashboard(page, server, "kahveci", "saat@example.com")
    page.wait_for_timeout(500)  # the first state answer has taught the page the server's clock

    redeem = {"customer_code": code, "value": 20, "card_type": "point", "external_id": "skew-r1"}
    with server.api("kahveci") as api:
        assert api.post("/webhook/redeem", json=redeem).status_code == 412
    page.locator("[data-pin-panel]").wait_for(state="visible", timeout=2000)
    countdown = page.locator("[data-countdown]").inner_text()
    assert re.fullmatch(r"Expires in (1:[45]\d|2:0[0-2])", countdown)


def test_the_page_reconnects_after_the_server_restarts_and_catches_up(server, page):
    code = server.enroll("kahveci", "deniz@example.com", "Deniz")
    open_dashboard(page, server, "kahveci", "deniz@example.com")
    mark_page(page)

    server.stop()
    page.locator("[data-live]:not(.on)").wait_for(timeout=5000)
    server.start()
    earn(server, "kahveci", code, 17, "reconnect-p1")  # may land before the page rejoins
    page.wait_for_function(
        "document.querySelector('[data-points]').textContent === '17'", timeout=15000
    )
    page.locator("[data-live].on").wait_for(timeout=15000)
    earn(server, "kahveci", code, 1, "reconnect-p2")
    page.wait_for_function(
        "document.querySelector('[data-points]').textContent === '18'", timeout=2000
    )
    assert same_document(page)


@pytest.mark.slow
def test_a_strict_qr_rotates_and_the_old_one_expires_after_the_window(server, page):
    code = server.enroll("demlik", "sena@example.com", "Sena")
    open_dashboard(page, server, "demlik", "sena@example.com")
    image = page.locator("[data-qr-image]")
    first = image.get_attribute("data-payload")
    first_step = int(time.time() // TOTP_STEP_SECONDS)
    assert first.startswith("LT1:")
    assert lookup_qr(server, "demlik", first).json()["data"]["customer_code"] == code

    page.wait_for_function(
        "p => document.querySelector('[data-qr-image]').dataset.payload !== p",
        arg=first,
        timeout=35000,
    )
    second = image.get_attribute("data-payload")
    assert image.get_attribute("src") == qr_image(second)
    assert lookup_qr(server, "demlik", second).status_code == 200

    # The old code is good for its own step and one more; then it is refused.
    time.sleep(max(0.0, (first_step + 2) * TOTP_STEP_SECONDS + 1 - time.time()))
    assert lookup_qr(server, "demlik", first).json() == {"error": "invalid_qr"}


def save_screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), animations="disabled")
