from django.core.management.base import BaseCommand, CommandError

from customers.services import find_active_customer, issue_login_link
from loyalite.models import Organization


class Command(BaseCommand):
    help = "Prints a one-time login URL (valid 15 minutes) to a customer's dashboard."

    def add_arguments(self, parser):
        parser.add_argument("org_slug")
        parser.add_argument("email")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org_slug"]).first()
        if organization is None:
            raise CommandError(f"no org with slug {options['org_slug']!r}")
        customer = find_active_customer(organization=organization, email=options["email"])
        if customer is None:
            raise CommandError(f"no customer with that email in {organization.slug}")
        self.stdout.write(issue_login_link(customer=customer))
