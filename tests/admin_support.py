"""Helpers for the admin tests: merchant users of a tenant and a logged-in client each."""

from django.test import Client

from loyalite.models import Membership
from loyalite.services import create_merchant_user

PASSWORD = "correct-horse-battery-staple"


def merchant(
    org, role: str = Membership.Role.STAFF, email: str | None = None, password: str | None = None
):
    """A merchant user; without a password (fast: no hashing) as tests log in with force_login."""
    email = email or f"{role}@{org.slug}.example.com"
    return create_merchant_user(organization=org, email=email, role=role, password=password)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
