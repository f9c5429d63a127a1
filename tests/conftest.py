"""Shared fixtures: two tenants (alice and bob) and an API client per tenant.

Service-backed tests are marked `postgres` or `redis`. They skip when DATABASE_URL /
REDIS_URL are not set, unless REQUIRE_SERVICES=1 (CI), which turns the skip into a failure.
"""

import os
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

import loyalite.api
import loyalite.tasks
from loyalite.celery import app as celery_app

from .factories import CustomerFactory, OrganizationFactory, api_key_for

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not settings.DATABASE_URL:
        _missing("needs PostgreSQL: set DATABASE_URL")
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        _missing("needs Redis: set REDIS_URL")


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_tasks():
    """Each test starts with empty rate-limit counters, closed breakers and inline tasks."""
    cache.clear()
    loyalite.api.rate_cache.reset()
    loyalite.tasks.broker.reset()
    celery_app.conf.task_always_eager = True
    yield
    cache.clear()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, shared by a browser test module's tests."""
    from .live_stack import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def postgres_db(transactional_db):
    assert connection.vendor == "postgresql", "this test needs PostgreSQL"


@dataclass
class Tenant:
    org: object
    key: str
    client: Client

    def get(self, path: str, **extra):
        return self.client.get(path, HTTP_X_API_KEY=self.key, **extra)

    def post(self, path: str, body=None, raw: bytes | None = None, **extra):
        import json

        data = raw if raw is not None else json.dumps(body or {}, default=str)
        return self.client.post(
            path, data=data, content_type="application/json", HTTP_X_API_KEY=self.key, **extra
        )

    def customer(self, **kwargs):
        return CustomerFactory(organization=self.org, **kwargs)


def make_tenant(slug: str, **org_fields) -> Tenant:
    campaign_kwargs = {
        k: org_fields.pop(k)
        for k in ["earn_ratio", "max_stamps", "reward_name", "coupon_validity_days", "reward_mode"]
        if k in org_fields
    }
    org = OrganizationFactory(
        slug=slug,
        name=slug.title(),
        campaigns=True,
        **{f"campaigns__{k}": v for k, v in campaign_kwargs.items()},
        **org_fields,
    )
    return Tenant(org=org, key=api_key_for(org), client=Client())


@pytest.fixture
def alice(db) -> Tenant:
    return make_tenant("alice")


@pytest.fixture
def bob(db) -> Tenant:
    return make_tenant("bob")


@pytest.fixture
def tenant_factory(db):
    return make_tenant


__all__ = ["Decimal", "Tenant", "make_tenant"]
