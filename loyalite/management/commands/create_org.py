import json
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from campaigns.services import setup_default_campaigns
from loyalite.models import Organization, Plan, Preset
from loyalite.services import create_api_key, create_organization


def decimal_arg(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise CommandError(f"not a number: {value}") from None


class Command(BaseCommand):
    help = "Creates an org with its point and stamp campaigns and one API key (printed once)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--preset", choices=Preset.values, default=Preset.STANDARD)
        parser.add_argument("--pin-length", type=int, choices=[2, 4], default=4)
        parser.add_argument("--pin-ttl", type=int, default=120)
        parser.add_argument("--earn-ratio", type=decimal_arg, default=Decimal("1"))
        parser.add_argument("--max-stamps", type=int, default=10)
        parser.add_argument("--reward", default="Free Coffee")
        parser.add_argument("--coupon-days", type=int, default=30)
        parser.add_argument("--rate-pos", type=int, default=60)
        parser.add_argument("--rate-customer", type=int, default=30)
        parser.add_argument("--plan", choices=Plan.values, default=Plan.STARTER)
        parser.add_argument("--reward-mode", choices=["coupon", "claim"], default="coupon")
        parser.add_argument("--json", action="store_true", help="Print {slug, api_key} as JSON.")

    def handle(self, *args, **options):
        if Organization.objects.filter(slug=options["slug"]).exists():
            raise CommandError(f"an org with slug {options['slug']!r} already exists")
        if options["max_stamps"] < 1:
            raise CommandError("--max-stamps must be at least 1")
        try:
            with transaction.atomic():
                organization = create_organization(
                    slug=options["slug"],
                    name=options["name"],
                    preset=options["preset"],
                    pin_length=options["pin_length"],
                    pin_ttl_seconds=options["pin_ttl"],
                    rate_pos_per_minute=options["rate_pos"],
                    rate_customer_per_minute=options["rate_customer"],
                    plan=options["plan"],
                )
                setup_default_campaigns(
                    organization=organization,
                    earn_ratio=options["earn_ratio"],
                    max_stamps=options["max_stamps"],
                    reward_name=options["reward"],
                    coupon_validity_days=options["coupon_days"],
                    reward_mode=options["reward_mode"],
                )
                issued = create_api_key(organization=organization, label="default")
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        if options["json"]:
            self.stdout.write(json.dumps({"slug": organization.slug, "api_key": issued.raw_key}))
        else:
            self.stdout.write(f"Created org {organization.slug} ({organization.preset}).")
            self.stdout.write(f"API key (shown once, store it now): {issued.raw_key}")
