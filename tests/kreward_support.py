"""Kreward tenants for the /v1 tests: alice and bob on the growth plan with a key pair each."""

import json
from dataclasses import dataclass, replace

import pytest
from django.test import Client

from campaigns.models import Campaign, CardType
from kreward.services import create_key_pair

from .conftest import Tenant, make_tenant


@dataclass
class KrewardTenant:
    tenant: Tenant
    public: str
    secret: str
    pair: object

    @property
    def org(self):
        return self.tenant.org

    @property
    def client(self) -> Client:
        return self.tenant.client

    def headers(self, key: str | None, origin: str | None, extra: dict) -> dict:
        raw = {"public": self.public, "secret": self.secret}.get(key, key)
        headers = dict(extra)
        if raw:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        if origin:
            headers["HTTP_ORIGIN"] = origin
        return headers

    def get(self, path: str, key: str | None = "secret", origin: str | None = None, **extra):
        return self.client.get(path, **self.headers(key, origin, extra))

    def post(
        self,
        path: str,
        body=None,
        key: str | None = "secret",
        origin: str | None = None,
        raw: bytes | None = None,
        **extra,
    ):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            path, data=data, content_type="application/json", **self.headers(key, origin, extra)
        )

    def customer(self, **kwargs):
        return self.tenant.customer(**kwargs)

    def fresh(self) -> "KrewardTenant":
        """The same tenant with its own test clients (one per thread)."""
        return replace(self, tenant=replace(self.tenant, client=Client()))

    def campaign(self, card_type: str) -> Campaign:
        return Campaign.objects.get(organization=self.org, card_type=card_type)

    @property
    def stamps(self) -> Campaign:
        return self.campaign(CardType.STAMP)

    @property
    def points(self) -> Campaign:
        return self.campaign(CardType.POINT)


def kreward_tenant(
    slug: str, *, plan: str = "growth", origins: list[str] | None = None, **org_fields
) -> KrewardTenant:
    tenant = make_tenant(slug, plan=plan, **org_fields)
    issued = create_key_pair(organization=tenant.org, label="shop", origins=origins)
    return KrewardTenant(tenant, issued.public_key, issued.secret_key, issued.pair)


@pytest.fixture
def kw_alice(db) -> KrewardTenant:
    return kreward_tenant("alice", max_stamps=8, reward_name="Free Coffee")


@pytest.fixture
def kw_bob(db) -> KrewardTenant:
    return kreward_tenant("bob", max_stamps=8, reward_name="Free Tea")


@pytest.fixture
def kw_factory(db):
    return kreward_tenant
