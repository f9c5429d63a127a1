from django.core.management.base import BaseCommand, CommandError

from loyalite.models import Organization
from loyalite.services import create_api_key


class Command(BaseCommand):
    help = "Creates an API key for an org and prints it once."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--label", default="")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["slug"]).first()
        if organization is None:
            raise CommandError(f"no org with slug {options['slug']!r}")
        issued = create_api_key(organization=organization, label=options["label"])
        self.stdout.write(issued.raw_key)
