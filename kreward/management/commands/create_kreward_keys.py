import json

from django.core.management.base import BaseCommand, CommandError

from kreward.models import origin_parts
from kreward.services import create_key_pair
from loyalite.models import Organization


def origins_arg(value: str) -> list[str]:
    origins = [origin.strip() for origin in value.split(",") if origin.strip()]
    for origin in origins:
        if origin_parts(origin.replace("://*.", "://", 1)) is None:
            raise CommandError(f"not an origin (scheme://host[:port]): {origin}")
    return origins


class Command(BaseCommand):
    help = "Creates a Kreward key pair for an org; both keys are printed once."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--label", default="")
        parser.add_argument(
            "--origins",
            type=origins_arg,
            default=[],
            help="Comma-separated origins allowed to use the public key from a browser "
            "(https://shop.example, https://*.shop.example). Default: any.",
        )
        parser.add_argument("--json", action="store_true", help="Print the keys as JSON.")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["slug"]).first()
        if organization is None:
            raise CommandError(f"no org with slug {options['slug']!r}")
        issued = create_key_pair(
            organization=organization, label=options["label"], origins=options["origins"]
        )
        if options["json"]:
            keys = {"public_key": issued.public_key, "secret_key": issued.secret_key}
            self.stdout.write(json.dumps(keys))
            return
        self.stdout.write(f"Kreward keys for {organization.slug} (shown once, store them now):")
        self.stdout.write(f"public key: {issued.public_key}")
        self.stdout.write(f"secret key: {issued.secret_key}")
        if organization.plan == "starter":
            self.stdout.write(
                self.style.WARNING(
                    "The org is on the starter plan: /v1 answers 403 until it "
                    "moves to growth or enterprise (set_subscription --plan)."
                )
            )
