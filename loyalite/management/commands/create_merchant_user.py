import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from loyalite.models import Membership, Organization
from loyalite.services import create_merchant_user, set_password_url

PASSWORD_ENV = "MERCHANT_PASSWORD"


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def add_merchant_user(command: BaseCommand, *, organization, email: str, role: str) -> None:
    """Creates the user and prints how they set in: MERCHANT_PASSWORD or a one-time link."""
    password = os.environ.get(PASSWORD_ENV) or None
    try:
        user = create_merchant_user(
            organization=organization, email=email, role=role, password=password
        )
    except ValidationError as exc:
        raise CommandError(validation_message(exc)) from None
    command.stdout.write(f"Created {role} {user.username} for {organization.slug}.")
    if password:
        command.stdout.write(f"Password set from {PASSWORD_ENV}; they log in at /admin/.")
    else:
        command.stdout.write(f"Set-password link (one time): {set_password_url(user=user)}")


class Command(BaseCommand):
    help = (
        "Adds an admin user to an org. The password comes from MERCHANT_PASSWORD when set; "
        "otherwise a one-time set-password link is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("email")
        parser.add_argument("--role", choices=Membership.Role.values, default=Membership.Role.STAFF)

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["slug"]).first()
        if organization is None:
            raise CommandError(f"no org with slug {options['slug']!r}")
        add_merchant_user(
            self, organization=organization, email=options["email"], role=options["role"]
        )
