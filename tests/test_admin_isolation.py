"""Tenant isolation through every admin URL of every registered model, generated from the registry.

Alice's staff and owner users try bob's rows of every model in `admin.site._registry`: the
changelist (plain, searched, as a raw-id popup), every `<object_id>` URL the admin defines
(change, delete, history and custom views), every action, the autocomplete of every foreign
key, and the choices of every form field. They must get 403/404 and never see or change
bob's data. A model registered later is covered once `populate` gives bob a row of it.
"""

from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models
from django.test import RequestFactory
from django.urls import reverse

from campaigns import cards
from campaigns import services as ledger
from campaigns.models import Campaign, LedgerEntry
from fraud import services as fraud
from fraud.presets import Action
from kreward import services as kreward
from kreward.wallet import card_for
from loyalite.admin_scoping import OrgScopedAdmin, related_in_org
from loyalite.errors import DomainError
from loyalite.models import Membership
from loyalite.services import create_api_key
from webhooks.models import Endpoint, Event
from webhooks.outbox import fan_out

from .admin_support import logged_in, merchant
from .factories import CustomerFactory

BOB = "bobsecret"
REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
MODEL_IDS = [model._meta.label for model, _ in REGISTRY]
ROLES = [Membership.Role.STAFF, Membership.Role.OWNER]
DENIED = {403, 404, 405}


def populate(tenant, marker: str) -> None:
    """A row of every registered model for this tenant, made through the services."""
    org = tenant.org
    org.name = f"{marker} Bakery"
    org.preset = "balanced"
    org.save()
    customer = CustomerFactory(
        organization=org, email=f"{marker}@{marker}.example.com", name=f"{marker}name"
    )
    points = Campaign.objects.get(organization=org, card_type="point")
    stamps = Campaign.objects.get(organization=org, card_type="stamp")
    ledger.earn(
        customer=customer, campaign=points, amount=Decimal(50), source="webhook", external_id="p1"
    )
    ledger.earn(
        customer=customer, campaign=stamps, amount=Decimal(10), source="webhook", external_id="s1"
    )
    actor = fraud.Actor(client_ip="127.0.0.1")
    binding = fraud.Binding(Action.REDEEM, "point", 10, "r1")
    for pin in (None, "no-such-pin"):
        with pytest.raises(DomainError):
            fraud.verify(organization=org, customer=customer, binding=binding, pin=pin, actor=actor)
    create_api_key(organization=org, label=f"{marker}-key")
    merchant(org, Membership.Role.OWNER, email=f"owner@{marker}.example.com")
    endpoint = Endpoint.objects.create(
        organization=org, url=f"https://hooks.{marker}.example.com/in", description=marker
    )
    fan_out(Event.objects.filter(organization=org).first(), [endpoint])
    cards.add_tier(campaign=points, at=10, reward=f"{marker} mug")
    cards.claim_tier(customer=customer, campaign=points, at=10, source="api")
    kreward.create_key_pair(organization=org, label=f"{marker}-pair")
    kreward.set_default_template(organization=org, campaign=stamps)
    card_for(customer=customer, campaign=stamps)


@pytest.fixture
def world(alice, bob):
    populate(alice, "alicemark")
    populate(bob, BOB)
    Group.objects.create(name=f"{BOB}-group")
    return bob


@pytest.fixture(params=ROLES)
def alice_user(request, alice):
    return merchant(alice.org, request.param)


def other_org_rows(model, model_admin, org) -> list:
    """Bob's rows; for an unscoped model every row is off-limits to a merchant."""
    if isinstance(model_admin, OrgScopedAdmin):
        return list(related_in_org(model, org, admin.site)[:2])
    if model is get_user_model():
        return list(model.objects.filter(membership__organization=org)[:2])
    return list(model._default_manager.all()[:2])


def snapshot(org) -> dict:
    """Every field of bob's rows in every registered model."""
    return {
        model._meta.label: list(related_in_org(model, org, admin.site).order_by("pk").values())
        for model, _ in REGISTRY
        if model._meta.label != "auth.Group"
    }


def url_name(model, view: str) -> str:
    return f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"


def object_urls(model, model_admin, pk) -> list[str]:
    """Every admin URL that takes this object's id, the custom ones included."""
    urls = [f"{reverse(url_name(model, 'changelist'))}{pk}/"]
    for pattern in model_admin.get_urls():
        if pattern.name and pattern.pattern.converters:
            urls.append(reverse(f"admin:{pattern.name}", args=[pk]))
    return urls


def assert_hidden(response, bob_pks: set) -> None:
    """No bob row in the results and no bob marker on the page (bar the echoed search)."""
    body = response.content.decode().lower()
    for echo in (f"q={BOB}", f"q%3d{BOB}", f'value="{BOB}"'):
        body = body.replace(echo, "")
    assert BOB not in body
    changelist = response.context and response.context.get("cl")
    if changelist is not None:
        assert not {row.pk for row in changelist.result_list} & bob_pks


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=MODEL_IDS)
def test_the_other_org_has_rows_of_every_registered_model(world, model, model_admin):
    assert other_org_rows(model, model_admin, world.org), f"populate() gives bob no {model}"


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=MODEL_IDS)
def test_changelists_never_show_the_other_orgs_rows(world, alice_user, model, model_admin):
    client = logged_in(alice_user)
    bob_pks = {row.pk for row in other_org_rows(model, model_admin, world.org)}
    url = reverse(url_name(model, "changelist"))
    queries = ["", f"?q={BOB}", "?_popup=1&_to_field=id", f"?_popup=1&_to_field=id&q={BOB}"]
    queries += [f"?q={row.code}" for row in world.org.customers.all()]
    for query in queries:
        response = client.get(url + query, follow=True)
        if isinstance(model_admin, OrgScopedAdmin):
            assert response.status_code == 200, url + query
            assert_hidden(response, bob_pks)
        else:
            assert response.status_code == 403, url + query


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=MODEL_IDS)
def test_the_other_orgs_object_urls_are_denied(world, alice_user, model, model_admin):
    client = logged_in(alice_user)
    before = snapshot(world.org)
    for row in other_org_rows(model, model_admin, world.org):
        for url in object_urls(model, model_admin, row.pk):
            response = client.get(url, follow=True)
            assert response.status_code in DENIED, url
            assert BOB not in response.content.decode().lower()
            response = client.post(url, {"post": "yes", "name": "x", "label": "x"}, follow=True)
            assert response.status_code in DENIED, url
    assert snapshot(world.org) == before


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=MODEL_IDS)
def test_actions_never_touch_the_other_orgs_rows(world, alice_user, model, model_admin):
    client = logged_in(alice_user)
    request = RequestFactory().get("/admin/")
    request.user = alice_user
    bob_pks = [row.pk for row in other_org_rows(model, model_admin, world.org)]
    before = snapshot(world.org)
    actions = list(model_admin.get_actions(request)) or ["delete_selected"]
    for action in actions:
        body = {"action": action, "_selected_action": bob_pks, "post": "yes"}
        response = client.post(reverse(url_name(model, "changelist")), body, follow=True)
        assert response.status_code in {200, *DENIED}, action
        assert BOB not in response.content.decode().lower()
    assert snapshot(world.org) == before


def foreign_keys() -> list[tuple[type[models.Model], models.Field]]:
    """Every foreign key (in any registered model) that points at a registered model."""
    return [
        (model, field)
        for model, _ in REGISTRY
        for field in model._meta.get_fields()
        if field.many_to_one or field.many_to_many
        if field.concrete and field.related_model in admin.site._registry
    ]


@pytest.mark.parametrize(
    ("source", "field"),
    foreign_keys(),
    ids=[f"{m._meta.label}.{f.name}" for m, f in foreign_keys()],
)
def test_autocomplete_never_offers_the_other_orgs_rows(world, alice_user, source, field):
    client = logged_in(alice_user)
    target_admin = admin.site._registry[field.related_model]
    bob_values = {
        str(getattr(row, field.target_field.attname))
        for row in other_org_rows(field.related_model, target_admin, world.org)
    }
    for term in ["", BOB, "a", "1"]:
        response = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": source._meta.app_label,
                "model_name": source._meta.model_name,
                "field_name": field.name,
                "term": term,
            },
        )
        if response.status_code == 200:
            assert not {r["id"] for r in response.json()["results"]} & bob_values
            assert BOB not in response.content.decode().lower()
        else:
            assert response.status_code in DENIED


def choice_fields(form_class) -> list[tuple[str, forms.ModelChoiceField]]:
    return [
        (name, field)
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.ModelChoiceField)
    ]


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=MODEL_IDS)
def test_form_choices_and_raw_ids_never_offer_the_other_orgs_rows(
    world, alice, alice_user, model, model_admin
):
    request = RequestFactory().get("/admin/")
    request.user = alice_user
    own = other_org_rows(model, model_admin, alice.org)[:1]
    form_classes = []
    if model_admin.has_add_permission(request):
        form_classes.append(model_admin.get_form(request))
    for obj in own:
        if model_admin.has_change_permission(request, obj):
            form_classes.append(model_admin.get_form(request, obj))
        for inline in model_admin.get_inline_instances(request, obj):
            form_classes.append(inline.get_formset(request, obj).form)
    for form_class in form_classes:
        for name, field in choice_fields(form_class):
            related = field.queryset.model
            bob_pks = {
                row.pk
                for row in other_org_rows(related, admin.site._registry.get(related), world.org)
            }
            offered = set(field.queryset.values_list("pk", flat=True))
            assert not offered & bob_pks, f"{model._meta.label}.{name}"


def test_a_superuser_sees_every_org(world, alice, admin_user):
    response = logged_in(admin_user).get(reverse("admin:customers_customer_changelist"))
    orgs = {row.organization_id for row in response.context["cl"].result_list}
    assert orgs == {alice.org.pk, world.org.pk}


def test_a_staff_user_without_a_membership_sees_nothing(world):
    user = get_user_model().objects.create_user("drifter", is_staff=True)
    client = logged_in(user)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["app_list"] == []
    assert client.get(reverse("admin:customers_customer_changelist")).status_code == 403


def test_an_inactive_merchant_cannot_log_in(alice):
    user = merchant(alice.org, Membership.Role.OWNER)
    user.is_active = False
    user.save()
    response = logged_in(user).get(reverse("admin:customers_customer_changelist"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_raw_id_and_select_choices_are_limited_to_the_users_org(world, alice):
    """The base class scopes any foreign key a subclass puts on a form, raw-id or select."""

    class Probe(OrgScopedAdmin):
        fields = ["customer", "coupon", "api_key", "user", "organization"]
        raw_id_fields = ["customer", "coupon"]

    probe = Probe(LedgerEntry, admin.site)
    request = RequestFactory().get("/admin/")
    request.user = merchant(alice.org, Membership.Role.OWNER)
    form_class = probe.get_form(request)
    bob_rows = {
        "customer": world.org.customers.first().pk,
        "coupon": world.org.coupons.first().pk,
        "api_key": world.org.api_keys.first().pk,
        "user": world.org.memberships.first().user_id,
        "organization": world.org.pk,
    }
    form = form_class(data=bob_rows)
    assert not form.is_valid()
    assert set(form.errors) == set(bob_rows)
    own = alice.org.customers.first()
    assert form_class(data={"customer": own.pk}).errors.get("customer") is None
