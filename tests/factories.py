"""factory-boy factories: orgs come with their campaigns; keys keep their raw value."""

import factory
from django.utils import timezone

from campaigns.services import setup_default_campaigns
from customers.models import Customer
from loyalite.models import Organization
from loyalite.services import create_api_key


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Shop {n}")

    @factory.post_generation
    def campaigns(obj, create, extracted, **kwargs):
        if create:
            setup_default_campaigns(organization=obj, **kwargs)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: 100000 + n)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Faker("first_name")
    consent_terms_at = factory.LazyFunction(timezone.now)
    consent_privacy_at = factory.LazyFunction(timezone.now)


def api_key_for(organization: Organization, label: str = "test") -> str:
    """A fresh raw key for the org (what a POS would hold)."""
    return create_api_key(organization=organization, label=label).raw_key
