"""Helpers for the till tests: merchant users and a logged-in till driven over HTTP."""

import re
import secrets
from dataclasses import dataclass

from django.test import Client

from fraud.models import Challenge, ChallengeState
from loyalite.models import Membership
from loyalite.services import create_merchant_user

PASSWORD = "till-Password-2024"
REF = re.compile(r'name="customer" value="([^"]+)"')


def merchant(org, email: str | None = None, role: str = Membership.Role.STAFF):
    email = email or f"{secrets.token_hex(4)}@{org.slug}.test"
    return create_merchant_user(organization=org, email=email, role=role, password=PASSWORD)


def request_id() -> str:
    return secrets.token_hex(8)


def pending_pin(customer) -> str:
    challenge = (
        Challenge.objects.filter(customer=customer, state=ChallengeState.PENDING)
        .order_by("-created_at")
        .first()
    )
    assert challenge is not None, "no pending challenge"
    return challenge.pin


@dataclass
class Till:
    client: Client
    user: object

    @classmethod
    def for_org(cls, org, role: str = Membership.Role.STAFF) -> "Till":
        user = merchant(org, role=role)
        client = Client()
        client.force_login(user)
        return cls(client, user)

    def find(self, scan: str):
        return self.client.post("/till/find", {"scan": scan})

    def open(self, scan: str) -> str:
        """The card's customer ref after a successful scan."""
        response = self.find(scan)
        assert response.status_code == 200, response.content
        return REF.search(response.json()["card"]).group(1)

    def earn(self, ref, amount, *, card_type="point", rid=None, pin=None):
        data = {"customer": ref, "card_type": card_type, "amount": str(amount)}
        return self._post("/till/earn", data, rid, pin)

    def redeem(self, ref, value, *, card_type="point", rid=None, pin=None):
        data = {"customer": ref, "card_type": card_type, "value": str(value)}
        return self._post("/till/redeem", data, rid, pin)

    def coupon(self, token, *, rid=None, pin=None):
        return self._post("/till/coupon", {"token": token}, rid, pin)

    def _post(self, path, data, rid, pin):
        data["request_id"] = rid or request_id()
        if pin is not None:
            data["pin"] = pin
        return self.client.post(path, data)
