"""The ledger in the merchant admin: read-only, the truth behind every balance."""

from django.contrib import admin

from loyalite.admin_scoping import CustomerCodeFilter, ReadOnlyOrgAdmin

from .models import LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyOrgAdmin):
    list_display = [
        "created_at",
        "customer",
        "card_type",
        "delta",
        "balance_after",
        "reason",
        "source",
        "external_id",
        "note",
        "user",
    ]
    list_filter = [CustomerCodeFilter, "card_type", "reason", "source", "created_at"]
    list_select_related = ["customer", "user"]
    search_fields = ["customer__code__exact", "customer__email", "external_id", "note"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "customer",
        "card_type",
        "delta",
        "balance_after",
        "reason",
        "source",
        "external_id",
        "amount",
        "note",
        "coupon",
        "api_key",
        "user",
    ]
    readonly_fields = fields
