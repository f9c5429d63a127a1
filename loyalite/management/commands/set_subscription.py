import datetime

from django.core.management.base import BaseCommand, CommandError

from loyalite.models import Organization, Plan
from loyalite.services import set_subscription


def date_arg(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = "Sets an org's paid-until date and/or plan."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--until", type=date_arg)
        parser.add_argument("--plan", choices=Plan.values)

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["slug"]).first()
        if organization is None:
            raise CommandError(f"no org with slug {options['slug']!r}")
        set_subscription(
            organization=organization, paid_until=options["until"], plan=options["plan"]
        )
        self.stdout.write(
            f"{organization.slug}: paid until {organization.paid_until}, plan {organization.plan}"
        )
