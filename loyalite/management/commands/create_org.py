import json
import os
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from campaigns.cards import add_tier
from campaigns.services import setup_default_campaigns
from loyalite.models import Membership, Organization, Plan, Preset
from loyalite.services import (
    create_api_key,
    create_merchant_user,
    create_organization,
    set_password_url,
)

from .create_merchant_user import PASSWORD_ENV

# Campaign.earn_ratio is DECIMAL(12, 4): more places would be rounded away silently.
EARN_RATIO_STEP = Decimal("0.0001")
EARN_RATIO_LIMIT = Decimal("1e8")


def decimal_arg(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"not a number: {value}") from None
    if not number.is_finite() or number < 0:
        raise CommandError(f"--earn-ratio must be a number of at least 0: {value}")
    if number != number.quantize(EARN_RATIO_STEP) or number >= EARN_RATIO_LIMIT:
        raise CommandError(f"--earn-ratio takes at most 4 decimal places and 8 digits: {value}")
    return number


def tier_arg(value: str) -> tuple[int, str]:
    """`AT:REWARD`, e.g. `4:Free cookie`."""
    at, _, reward = value.partition(":")
    if not at.strip().isdigit() or int(at) < 1 or not reward.strip():
        raise CommandError(f"not a tier (AT:REWARD, e.g. 4:Free cookie): {value}")
    return int(at), reward.strip()


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
        parser.add_argument(
            "--stamp-tier", type=tier_arg, action="append", default=[], metavar="AT:REWARD"
        )
        parser.add_argument(
            "--point-tier", type=tier_arg, action="append", default=[], metavar="AT:REWARD"
        )
        parser.add_argument("--owner-email", help="Also create the org's owner (admin user).")

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
                points, stamps = setup_default_campaigns(
                    organization=organization,
                    earn_ratio=options["earn_ratio"],
                    max_stamps=options["max_stamps"],
                    reward_name=options["reward"],
                    coupon_validity_days=options["coupon_days"],
                    reward_mode=options["reward_mode"],
                )
                self._add_tiers(stamps, options["stamp_tier"])
                self._add_tiers(points, options["point_tier"])
                issued = create_api_key(organization=organization, label="default")
                owner = self._create_owner(organization, options["owner_email"])
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        if options["json"]:
            output = {"slug": organization.slug, "api_key": issued.raw_key}
            if owner is not None:
                output["owner_email"] = owner.email
                if not owner.has_usable_password():
                    output["set_password_url"] = set_password_url(user=owner)
            self.stdout.write(json.dumps(output))
        else:
            self.stdout.write(f"Created org {organization.slug} ({organization.preset}).")
            self.stdout.write(f"API key (shown once, store it now): {issued.raw_key}")
            if owner is not None:
                self._print_owner(owner)

    def _add_tiers(self, campaign, tiers: list[tuple[int, str]]) -> None:
        for at, reward in tiers:
            try:
                add_tier(campaign=campaign, at=at, reward=reward)
            except ValueError as exc:
                raise CommandError(str(exc)) from None

    def _create_owner(self, organization: Organization, email: str | None):
        if not email:
            return None
        password = os.environ.get(PASSWORD_ENV) or None
        return create_merchant_user(
            organization=organization, email=email, role=Membership.Role.OWNER, password=password
        )

    def _print_owner(self, owner) -> None:
        self.stdout.write(f"Owner {owner.username} logs in at /admin/.")
        if owner.has_usable_password():
            self.stdout.write(f"Password set from {PASSWORD_ENV}.")
        else:
            self.stdout.write(f"Set-password link (one time): {set_password_url(user=owner)}")
