"""Webhook endpoints and the delivery log in the merchant admin; writes go through services."""

import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html

from loyalite.admin_scoping import OrgScopedAdmin, ReadOnlyOrgAdmin, org_of

from . import services
from .delivery import envelope
from .models import ALL_EVENTS, EVENT_TYPES, Delivery, Endpoint
from .targets import UrlNotAllowed, check_url

EDITABLE = ("url", "description", "active", "events")


class EndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(ALL_EVENTS, "All events"), *[(name, name) for name in EVENT_TYPES]],
        widget=forms.CheckboxSelectMultiple,
        initial=[ALL_EVENTS],
    )

    class Meta:
        model = Endpoint
        fields = ["organization", *EDITABLE]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except UrlNotAllowed as refused:
            raise forms.ValidationError(refused.message) from None
        return url


def _show_secret(request: HttpRequest, endpoint: Endpoint, admin_site) -> None:
    admin_site.message_user(
        request,
        f"Signing secret for {endpoint.url} (shown only now, copy it): {endpoint.secret}",
        messages.WARNING,
    )


@admin.register(Endpoint)
class EndpointAdmin(OrgScopedAdmin):
    form = EndpointForm
    list_display = ["url", "description", "active", "event_list", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    actions = ["send_test_event", "rotate_secret"]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        if request.user.is_superuser and obj is None:
            return ["organization", *EDITABLE]
        return list(EDITABLE)

    @admin.display(description="events")
    def event_list(self, endpoint: Endpoint) -> str:
        return ", ".join(endpoint.events)

    def save_model(self, request: HttpRequest, obj: Endpoint, form, change: bool) -> None:
        values = {field: form.cleaned_data[field] for field in EDITABLE}
        if change:
            changed = {k: v for k, v in values.items() if k in form.changed_data}
            services.update_endpoint(endpoint=obj, **changed)
            return
        organization = form.cleaned_data.get("organization") or org_of(request)
        saved = services.create_endpoint(organization=organization, **values)
        obj.pk, obj.secret, obj.organization = saved.pk, saved.secret, saved.organization
        obj._state.adding = False
        _show_secret(request, saved, self)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._can_write(request)

    def delete_model(self, request: HttpRequest, obj: Endpoint) -> None:
        services.delete_endpoint(endpoint=obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.delete_endpoint(endpoint=endpoint)

    @admin.action(description="Send a test event (ping)", permissions=["view"])
    def send_test_event(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.send_test(endpoint=endpoint)
        self.message_user(request, f"Test event queued for {queryset.count()} endpoint(s).")

    @admin.action(description="Rotate the signing secret", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            _show_secret(request, services.rotate_secret(endpoint=endpoint), self)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyOrgAdmin):
    org_path = "endpoint__organization"
    list_display = [
        "event_name",
        "endpoint",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "last_status_code",
        "last_error",
    ]
    list_filter = ["status", "event__event"]
    list_select_related = ["event", "endpoint"]
    fields = readonly_fields = [
        "id",
        "event_name",
        "endpoint",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "payload",
    ]
    actions = ["redeliver"]

    @admin.display(description="event", ordering="event__event")
    def event_name(self, delivery: Delivery) -> str:
        return delivery.event.event

    @admin.display(description="payload (the signed body)")
    def payload(self, delivery: Delivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(envelope(delivery), indent=2))

    @admin.action(description="Redeliver (same id)", permissions=["view"])
    def redeliver(self, request: HttpRequest, queryset) -> None:
        for delivery in queryset:
            services.redeliver(delivery=delivery)
        self.message_user(request, f"{queryset.count()} delivery(ies) queued again.")
