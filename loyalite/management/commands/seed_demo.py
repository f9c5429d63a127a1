"""The demo that `scripts/serve` sets up: an org, a fresh key, a customer, and how to try them.

Safe to run again: the org and the customer are created once; each run issues a new API key
(keys are stored hashed, so an old one cannot be shown again) and keeps the demo paid up.
"""

import datetime
import io
import json
import re
import secrets
import shlex
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from campaigns.services import setup_default_campaigns
from customers.models import Customer
from customers.services import enroll_customer
from loyalite.models import Organization
from loyalite.services import create_api_key, create_organization, set_subscription

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Café"
DEMO_EMAIL = "demo@example.com"
DEMO_PAID_DAYS = 365
URL_PATTERN = re.compile(r"https?://\S+")


class Command(BaseCommand):
    help = "Creates the demo org and customer once, issues a new API key, prints how to try it."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the details as JSON.")

    def handle(self, *args, **options):
        organization, created = self.demo_organization()
        raw_key = create_api_key(organization=organization, label="demo").raw_key
        customer, _ = enroll_customer(
            organization=organization,
            email=DEMO_EMAIL,
            consent_terms=True,
            consent_privacy=True,
            name="Demo Customer",
            source="manual",
        )
        details = {
            "slug": organization.slug,
            "created": created,
            "api_key": raw_key,
            "customer_code": customer.code,
            "customer_email": customer.email,
            "lookup_curl": lookup_curl(raw_key, customer),
            "earn_curl": earn_curl(raw_key, customer),
            "dashboard_url": dashboard_link(organization, customer),
            "api_docs": f"{settings.SITE_URL}/api/docs/",
        }
        if options["json"]:
            self.stdout.write(json.dumps(details))
        else:
            self.print_details(organization, customer, details)

    @transaction.atomic
    def demo_organization(self) -> tuple[Organization, bool]:
        organization = Organization.objects.select_for_update().filter(slug=DEMO_SLUG).first()
        created = organization is None
        if created:
            organization = create_organization(slug=DEMO_SLUG, name=DEMO_NAME)
            setup_default_campaigns(organization=organization)
        # A demo started after the 7-day trial would otherwise answer 402 everywhere.
        paid_until = timezone.now().date() + datetime.timedelta(days=DEMO_PAID_DAYS)
        set_subscription(organization=organization, paid_until=paid_until)
        return organization, created

    def print_details(
        self, organization: Organization, customer: Customer, details: dict[str, Any]
    ) -> None:
        write = self.stdout.write
        state = "created" if details["created"] else "already there"
        write(f"Demo org: {organization.slug} ({organization.name}), {state}.")
        write(f"API key (new on every run, shown once): {details['api_key']}")
        write(f"Demo customer: {customer.code} ({customer.masked_email})")
        write("")
        write("Look the customer up:")
        write(f"  {details['lookup_curl']}")
        write("Award 10 points to the demo customer:")
        write(f"  {details['earn_curl']}")
        if details["dashboard_url"]:
            write("")
            write("Customer dashboard (one-time login link, valid 15 minutes):")
            write(f"  {details['dashboard_url']}")
        write("")
        write(f"API docs: {details['api_docs']}")


def lookup_curl(raw_key: str, customer: Customer) -> str:
    url = f"{settings.SITE_URL}/webhook/customer?code={customer.code}"
    return shlex.join(["curl", "-sS", url, "-H", f"X-Api-Key: {raw_key}"])


def earn_curl(raw_key: str, customer: Customer) -> str:
    """A curl line that works as printed: a fresh external_id, so it is not a replay."""
    body = json.dumps(
        {
            "customer_code": customer.code,
            "amount": 10,
            "external_id": f"demo-sale-{secrets.token_hex(4)}",
        }
    )
    return shlex.join(
        [
            "curl",
            "-sS",
            "-X",
            "POST",
            f"{settings.SITE_URL}/webhook/pos",
            "-H",
            f"X-Api-Key: {raw_key}",
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
        ]
    )


def dashboard_link(organization: Organization, customer: Customer) -> str | None:
    """A login link from `customer_link`, when that command is installed."""
    if "customer_link" not in get_commands():
        return None
    output = io.StringIO()
    call_command("customer_link", organization.slug, customer.email, stdout=output)
    match = URL_PATTERN.search(output.getvalue())
    return match.group(0) if match else None
