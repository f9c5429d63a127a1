"""The "Get my loyalty card" snippet on a shop's page (another origin) in Debian's Chromium."""

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from customers.models import Customer

from .kreward_support import kreward_tenant
from .live_stack import SCREENSHOTS, chromium

pytestmark = pytest.mark.browser

SHOP_PAGE = """<!doctype html><html><body>
<form id="loyalty"><input type="email" name="email" value="jane@example.com">
<button>Get my loyalty card</button></form>
<div id="loyalty-card">not yet</div>
<script>
document.getElementById("loyalty").addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = document.getElementById("loyalty-card");
  try {
    const response = await fetch("%(api)s/v1/enroll", {
      method: "POST",
      headers: {"Authorization": "Bearer %(key)s", "Content-Type": "application/json",
                "Idempotency-Key": "signup-1"},
      body: JSON.stringify({email: event.target.email.value}),
    });
    const card = await response.json();
    if (!response.ok) { box.textContent = "error " + card.error; return; }
    const link = document.createElement("a");
    link.id = "card-link"; link.href = card.wallet_url_android; link.textContent = "Open my card";
    const qr = new Image(); qr.src = card.qr_android; qr.id = "card-qr";
    box.replaceChildren(link, qr);
  } catch (error) { box.textContent = "blocked"; }
});
</script></body></html>"""


@pytest.fixture
def shop_site(tmp_path) -> Iterator[tuple[str, Path]]:
    """A static web server on its own port: another origin than the loyalty server."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()
    server.server_close()


def click_the_button(page_url: str, screenshot: str) -> str:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page()
        page.goto(page_url)
        page.click("button")
        page.wait_for_function("document.getElementById('loyalty-card').textContent !== 'not yet'"
                               " || document.getElementById('card-link')")  # fmt: skip
        page.screenshot(path=str(SCREENSHOTS / screenshot))
        result = page.inner_html("#loyalty-card")
        if page.query_selector("#card-link"):
            page.click("#card-link")
            page.wait_for_selector("[data-testid=web-card]")
            page.screenshot(path=str(SCREENSHOTS / f"card-{screenshot}"))
            result += page.inner_text("[data-testid=web-card]")
    return result


def test_the_snippet_enrolls_from_an_allowed_origin(live_server, shop_site, settings):
    settings.SITE_URL = live_server.url
    origin, directory = shop_site
    tenant = kreward_tenant("alice", origins=[origin])
    (directory / "index.html").write_text(
        SHOP_PAGE % {"api": live_server.url, "key": tenant.public}
    )
    shown = click_the_button(f"{origin}/index.html", "kreward-snippet.png")
    assert "Open my card" in shown and "data:image/png;base64," in shown
    assert "Stamp card" in shown and "0 / 10" in shown.replace("\n", " ")
    assert Customer.objects.filter(organization=tenant.org, email="jane@example.com").exists()


def test_the_snippet_is_blocked_from_an_origin_off_the_list(live_server, shop_site, settings):
    settings.SITE_URL = live_server.url
    origin, directory = shop_site
    tenant = kreward_tenant("alice", origins=["https://shop.example"])
    (directory / "index.html").write_text(
        SHOP_PAGE % {"api": live_server.url, "key": tenant.public}
    )
    assert click_the_button(f"{origin}/index.html", "kreward-snippet-blocked.png") == "blocked"
    assert not Customer.objects.exists()
