"""Kreward key pairs, card templates (tiers) and wallet cards in the merchant admin."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from campaigns.models import Campaign, CardType, Tier, TierClaim
from loyalite.admin_scoping import (
    CustomerCodeFilter,
    OrgScopedAdmin,
    OrgScopedInline,
    ReadOnlyOrgAdmin,
    ShownOnceAddMixin,
)
from loyalite.models import Organization

from .models import KeyPair, KrewardSettings, WalletCard, origin_parts
from .services import create_key_pair, revoke_key_pair
from .wallet import revoke_card


def _origins(value: str) -> list[str]:
    origins = [o.strip() for o in value.replace(",", "\n").split() if o.strip()]
    for origin in origins:
        if origin_parts(origin.replace("://*.", "://", 1)) is None:
            raise forms.ValidationError(f"Not an origin (https://host[:port]): {origin}")
    return origins


class NewKeyPairForm(forms.Form):
    label = forms.CharField(max_length=100, required=False, help_text="E.g. the shop's name.")
    allowed_origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=KeyPair._meta.get_field("allowed_origins").help_text,
    )
    organization = forms.ModelChoiceField(queryset=Organization.objects.all())

    def __init__(self, *args, organization: Organization | None, **kwargs):
        super().__init__(*args, **kwargs)
        if organization is not None:  # a merchant: always their own org
            del self.fields["organization"]
        self.fixed_organization = organization

    def clean_allowed_origins(self) -> list[str]:
        return _origins(self.cleaned_data["allowed_origins"])

    def target_organization(self) -> Organization:
        return self.fixed_organization or self.cleaned_data["organization"]


class KeyPairForm(forms.ModelForm):
    class Meta:
        model = KeyPair
        fields = ["label", "allowed_origins"]

    def clean_allowed_origins(self) -> str:
        return "\n".join(_origins(self.cleaned_data["allowed_origins"]))


@admin.register(KeyPair)
class KeyPairAdmin(ShownOnceAddMixin, OrgScopedAdmin):
    owner_only_writes = True
    form = KeyPairForm
    list_display = [
        "label",
        "public_prefix",
        "secret_prefix",
        "origins_display",
        "created_at",
        "last_used_at",
        "request_count",
        "status",
    ]
    search_fields = ["label", "public_prefix", "secret_prefix"]
    fields = [
        "label",
        "allowed_origins",
        "public_prefix",
        "secret_prefix",
        "created_at",
        "last_used_at",
        "request_count",
        "revoked_at",
    ]
    readonly_fields = [
        "public_prefix",
        "secret_prefix",
        "created_at",
        "last_used_at",
        "request_count",
        "revoked_at",
    ]
    actions = ["revoke_selected"]

    @admin.display(description="origins")
    def origins_display(self, obj: KeyPair) -> str:
        return ", ".join(obj.origins) or "any"

    @admin.display(description="status")
    def status(self, obj: KeyPair) -> str:
        return "active" if obj.revoked_at is None else f"revoked {obj.revoked_at:%Y-%m-%d %H:%M}"

    @admin.action(description="Revoke selected key pairs", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset) -> None:
        count = 0
        for pair in queryset.filter(revoked_at__isnull=True):
            revoke_key_pair(pair=pair)
            self.log_change(request, pair, "Revoked.")
            count += 1
        self.message_user(request, f"Revoked {count} key pair(s).", messages.SUCCESS)

    add_form = NewKeyPairForm
    add_title = "Create a Kreward key pair"
    created_title = "Kreward key pair created"
    add_template = "admin/kreward/keypair/add.html"
    created_template = "admin/kreward/keypair/created.html"

    def create(self, form) -> tuple[object, KeyPair]:
        """Creates the pair through the service; the page shows both keys this one time."""
        issued = create_key_pair(
            organization=form.target_organization(),
            label=form.cleaned_data["label"],
            origins=form.cleaned_data["allowed_origins"],
        )
        return issued, issued.pair


@admin.register(KrewardSettings)
class KrewardSettingsAdmin(OrgScopedAdmin):
    owner_only_writes = True
    fields = ["organization", "default_template"]
    list_display = ["organization", "default_template"]


# --- card templates -----------------------------------------------------------------------
class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = ["at", "reward"]

    def clean_at(self) -> int:
        at = self.cleaned_data["at"]
        campaign = self.instance.campaign  # the inline formset sets it, new rows included
        if at < 1:
            raise forms.ValidationError("At least 1.")
        if campaign.card_type == CardType.STAMP and at >= campaign.max_stamps:
            raise forms.ValidationError(
                f"Below the card size ({campaign.max_stamps}); the full card is the "
                "campaign's reward."
            )
        return at


class TierInline(OrgScopedInline):
    model = Tier
    form = TierForm
    fields = ["at", "reward"]
    owner_only_writes = True
    can_delete = True
    verbose_name = "tier"
    verbose_name_plural = "Tiers (rewards on the way; Kreward /v1 redeem)"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._can_write(request)


class CardTemplateAdmin(OrgScopedAdmin):
    """The org's campaigns as Kreward card templates: their UUID and tiers."""

    owner_only_writes = True
    list_display = ["name", "card_type", "uuid", "max_stamps", "reward_name", "reward_mode"]
    fields = ["uuid", "name", "card_type", "max_stamps", "reward_name", "reward_mode"]
    readonly_fields = fields
    inlines = [TierInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


if admin.site.is_registered(Campaign):
    # campaigns/admin.py owns the Campaign admin: add the tiers to it, keep the rest.
    existing = type(admin.site._registry[Campaign])
    admin.site.unregister(Campaign)
    admin.site.register(
        Campaign, type("CampaignAdmin", (existing,), {"inlines": [*existing.inlines, TierInline]})
    )
else:
    admin.site.register(Campaign, CardTemplateAdmin)


@admin.register(TierClaim)
class TierClaimAdmin(ReadOnlyOrgAdmin):
    list_display = ["created_at", "customer", "campaign", "at", "reward", "loop"]
    list_filter = [CustomerCodeFilter, "campaign"]
    list_select_related = ["customer", "campaign"]
    fields = ["created_at", "customer", "campaign", "at", "reward", "loop", "entry"]
    readonly_fields = fields


@admin.register(WalletCard)
class WalletCardAdmin(OrgScopedAdmin):
    owner_only_writes = True
    list_display = ["serial", "customer", "campaign", "version", "revoked_at", "created_at"]
    list_filter = [CustomerCodeFilter]
    list_select_related = ["customer", "campaign"]
    fields = ["serial", "customer", "campaign", "version", "revoked_at", "created_at"]
    readonly_fields = fields
    actions = ["revoke_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(
        description="Revoke selected cards' links and scan tokens", permissions=["change"]
    )
    def revoke_selected(self, request: HttpRequest, queryset) -> None:
        count = 0
        for card in queryset:
            revoke_card(card=card)
            self.log_change(request, card, "Revoked its links and scan token.")
            count += 1
        self.message_user(request, f"Revoked {count} card(s).", messages.SUCCESS)
