"""The merchant admin in Debian's Chromium: log in, switch to Strict, create a key.

Screenshots go to test-artifacts/screenshots/ (admin-index.png, admin-settings.png,
admin-key-created.png) for a person to look at.
"""

from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client

from campaigns import services as ledger
from campaigns.models import Campaign
from customers.models import Customer
from fraud.services import pending_challenges
from loyalite.models import Membership, Organization

from .admin_support import merchant
from .conftest import make_tenant
from .live_stack import SCREENSHOTS, chromium

pytestmark = pytest.mark.browser

PASSWORD = "browser-merchant-pass-42"


@pytest.fixture
def page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # plain synchronous code all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        # ORM calls made while Playwright's loop ran used their own connection: close it, or
        # PostgreSQL refuses to drop the test database at the end of the session.
        connections.close_all()


def some_activity(tenant) -> None:
    customer = tenant.customer()
    points = Campaign.objects.get(organization=tenant.org, card_type="point")
    stamps = Campaign.objects.get(organization=tenant.org, card_type="stamp")
    ledger.earn(customer=customer, campaign=points, amount=Decimal(120), source="webhook")
    ledger.redeem(customer=customer, card_type="point", value=30, source="webhook")
    ledger.earn(customer=customer, campaign=stamps, amount=Decimal(10), source="webhook")


@pytest.fixture
def owner(transactional_db):
    """Set up before the browser starts, outside Playwright's event loop."""
    tenant = make_tenant("kahveci")
    tenant.org.name = "Kahveci Coffee"
    tenant.org.save()
    some_activity(tenant)
    return merchant(tenant.org, Membership.Role.OWNER, "owner@kahveci.example.com", PASSWORD)


def test_a_merchant_switches_to_strict_and_creates_a_key(live_server, owner, page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#org-figures")
    assert page.inner_text('[data-figure="points_earned"]') == "120"
    assert page.inner_text('[data-figure="points_spent"]') == "30"
    page.screenshot(path=str(SCREENSHOTS / "admin-index.png"), full_page=True)

    page.click("text=Organizations")
    page.wait_for_selector(".preset-matrix")
    page.check("input[name=preset][value=strict]")
    assert page.get_attribute('.preset-matrix th[data-preset="strict"]', "class") == "current"
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    page.screenshot(path=str(SCREENSHOTS / "admin-settings.png"), full_page=True)
    assert Organization.objects.get(slug="kahveci").preset == "strict"

    page.goto(f"{live_server.url}/admin/loyalite/apikey/add/")
    page.fill("#id_label", "Second till")
    page.click("input[type=submit]")
    raw_key = page.input_value("#new-api-key")
    page.screenshot(path=str(SCREENSHOTS / "admin-key-created.png"), full_page=True)
    assert raw_key.startswith("sk_live_")
    response = Client().get("/webhook/customer?code=123456", HTTP_X_API_KEY=raw_key)
    assert response.status_code == 422  # Strict refuses typed codes: the key works
    page.goto(f"{live_server.url}/admin/loyalite/apikey/")
    assert raw_key not in page.content()
    assert "Second till" in page.content()


def test_a_strict_adjustment_asks_for_the_customers_pin(live_server, owner, page):
    customer = Customer.objects.get(organization__slug="kahveci")
    Organization.objects.filter(slug="kahveci").update(preset="strict")
    page.goto(
        f"{live_server.url}/admin/login/?next=/admin/customers/customer/{customer.pk}/change/"
    )
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.click("text=Adjust balance")
    page.check("input[name=card_type][value=point]")
    page.fill("#id_delta", "15")
    page.fill("#id_reason", "Receipt 1042 not scanned")
    page.click("input[type=submit]")
    page.wait_for_selector("text=PIN was sent to the customer")
    page.screenshot(path=str(SCREENSHOTS / "admin-adjust-pin.png"), full_page=True)

    (challenge,) = pending_challenges(customer=customer)
    page.fill("#id_pin", challenge.pin)
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    page.screenshot(path=str(SCREENSHOTS / "admin-customer.png"), full_page=True)
    assert "Receipt 1042 not scanned" in page.content()
    customer.refresh_from_db()
    assert customer.point_balance == 90 + 15
