"""PIN challenges and the verification audit trail, read-only. The PIN itself is never shown."""

from django.contrib import admin

from loyalite.admin_scoping import CustomerCodeFilter, ReadOnlyOrgAdmin

from .models import Challenge, VerificationEvent


@admin.register(Challenge)
class ChallengeAdmin(ReadOnlyOrgAdmin):
    list_display = [
        "created_at",
        "customer",
        "action",
        "card_type",
        "amount",
        "state",
        "attempts_left",
        "expires_at",
        "who",
    ]
    list_filter = [CustomerCodeFilter, "action", "state", "created_at"]
    list_select_related = ["customer", "user", "api_key"]
    search_fields = ["customer__code__exact", "customer__email", "external_id"]
    date_hierarchy = "created_at"
    # No `pin` and no `binding`: the PIN is the customer's to read out, never the merchant's.
    fields = [
        "id",
        "customer",
        "description",
        "action",
        "card_type",
        "amount",
        "external_id",
        "coupon",
        "state",
        "attempts_left",
        "created_at",
        "expires_at",
        "ended_at",
        "api_key",
        "user",
        "client_ip",
    ]
    readonly_fields = fields

    @admin.display(description="by")
    def who(self, challenge: Challenge) -> str:
        return str(challenge.user or challenge.api_key or "")


@admin.register(VerificationEvent)
class VerificationEventAdmin(ReadOnlyOrgAdmin):
    list_display = ["created_at", "kind", "action", "customer", "amount", "who", "client_ip"]
    list_filter = [CustomerCodeFilter, "kind", "action", "created_at"]
    list_select_related = ["customer", "user", "api_key"]
    search_fields = ["customer__code__exact", "customer__email"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "kind",
        "action",
        "amount",
        "customer",
        "challenge",
        "api_key",
        "user",
        "client_ip",
    ]
    readonly_fields = fields

    @admin.display(description="by")
    def who(self, event: VerificationEvent) -> str:
        return str(event.user or event.api_key or "")
