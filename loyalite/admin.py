"""Org settings and API keys in the merchant admin (owners change them, staff may look)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from campaigns.models import Campaign, CardType
from fraud.presets import matrix_rows

from .admin_scoping import (
    OrgScopedAdmin,
    OrgScopedStackedInline,
    ReadOnlyInline,
    ShownOnceAddMixin,
    is_member,
    org_of,
)
from .models import ApiKey, Membership, Organization, Preset
from .services import create_api_key, revoke_api_key

PRESET_ORDER = [Preset.STANDARD, Preset.BALANCED, Preset.STRICT]


admin.site.site_header = "Loyalty admin"
admin.site.site_title = "Loyalty admin"
admin.site.index_title = "Overview"
admin.site.site_url = None  # no public home page to link to


class PointCampaignInline(OrgScopedStackedInline):
    model = Campaign
    owner_only_writes = True
    fields = ["name", "earn_ratio"]
    max_num = 0
    verbose_name = verbose_name_plural = "Point card"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(card_type=CardType.POINT)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class StampCampaignInline(PointCampaignInline):
    fields = ["name", "max_stamps", "reward_name", "coupon_validity_days", "reward_mode"]
    verbose_name = verbose_name_plural = "Stamp card"

    def get_queryset(self, request: HttpRequest):
        return (
            super(PointCampaignInline, self).get_queryset(request).filter(card_type=CardType.STAMP)
        )


class MemberInline(ReadOnlyInline):
    model = Membership
    fields = ["email", "role", "created_at"]
    readonly_fields = fields

    @admin.display(description="email (log-in name)")
    def email(self, membership: Membership) -> str:
        return membership.user.get_username()

    verbose_name = "Admin user"
    verbose_name_plural = "Admin users (add them with create_merchant_user)"


class OrganizationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "name",
            "preset",
            "pin_length",
            "pin_ttl_seconds",
            "rate_pos_per_minute",
            "rate_customer_per_minute",
            "plan",
            "paid_until",
        ]
        labels = {
            "pin_length": "PIN length",
            "pin_ttl_seconds": "PIN valid for (seconds)",
            "rate_pos_per_minute": "POS writes per minute",
            "rate_customer_per_minute": "Customer lookups per minute",
        }
        help_texts = {
            "pin_ttl_seconds": "10 to 600.",
            "rate_pos_per_minute": "/webhook/pos, /webhook/redeem and coupon redeem together.",
            "rate_customer_per_minute": "GET and POST /webhook/customer together.",
        }

    def clean(self):
        cleaned = super().clean()
        for name in ("rate_pos_per_minute", "rate_customer_per_minute"):
            if name in cleaned and cleaned[name] < 1:
                self.add_error(name, "At least 1 request per minute.")
        return cleaned


@admin.register(Organization)
class OrganizationAdmin(OrgScopedAdmin):
    """The org settings page; orgs themselves are created with `manage.py create_org`."""

    org_path = ""
    owner_only_writes = True
    form = OrganizationSettingsForm
    list_display = ["name", "slug", "preset", "plan", "paid_until"]
    list_filter = ["preset", "plan"]
    search_fields = ["name", "slug"]
    radio_fields = {"preset": admin.VERTICAL, "pin_length": admin.HORIZONTAL}
    inlines = [PointCampaignInline, StampCampaignInline, MemberInline]
    change_form_template = "admin/loyalite/organization/change_form.html"
    fieldsets = [
        (None, {"fields": ["name", "slug"]}),
        (
            "Verification",
            {
                "fields": [("preset", "preset_matrix"), "pin_length", "pin_ttl_seconds"],
                "description": "Which actions need the PIN the customer sees on their "
                "loyalty page. Changes apply to the next API call.",
            },
        ),
        (
            "Rate limits (per API key, per minute)",
            {"fields": ["rate_pos_per_minute", "rate_customer_per_minute"]},
        ),
        ("Subscription", {"fields": ["plan", "paid_until", "created_at"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = ["slug", "preset_matrix", "created_at"]
        if not request.user.is_superuser:
            readonly += ["plan", "paid_until"]
        return readonly

    def changelist_view(self, request: HttpRequest, extra_context=None):
        org = org_of(request)
        if org is not None and not request.user.is_superuser and is_member(request):
            url = reverse("admin:loyalite_organization_change", args=[org.pk])
            return HttpResponseRedirect(url)
        return super().changelist_view(request, extra_context)

    @admin.display(description="What each preset gates")
    def preset_matrix(self, obj: Organization) -> str:
        current = obj.preset if obj else ""
        header = format_html_join(
            "",
            '<th data-preset="{}" class="{}">{}</th>',
            ((p, "current" if p == current else "", p.label) for p in PRESET_ORDER),
        )
        body = format_html_join(
            "",
            "<tr><th>{}</th>{}</tr>",
            (
                (
                    what,
                    format_html_join(
                        "",
                        '<td data-preset="{}" class="{}">{}</td>',
                        (
                            (p, "current" if p == current else "", cell)
                            for p, cell in zip(PRESET_ORDER, cells, strict=True)
                        ),
                    ),
                )
                for what, cells in matrix_rows()
            ),
        )
        return format_html(
            '<table class="preset-matrix"><thead><tr><th></th>{}</tr></thead>'
            "<tbody>{}</tbody></table>",
            header,
            body,
        )


class ApiKeyStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class NewApiKeyForm(forms.Form):
    label = forms.CharField(max_length=100, required=False, help_text="E.g. the till's name.")
    organization = forms.ModelChoiceField(queryset=Organization.objects.all())

    def __init__(self, *args, organization: Organization | None, **kwargs):
        super().__init__(*args, **kwargs)
        if organization is not None:  # a merchant: always their own org
            del self.fields["organization"]
        self.fixed_organization = organization

    def target_organization(self) -> Organization:
        return self.fixed_organization or self.cleaned_data["organization"]


@admin.register(ApiKey)
class ApiKeyAdmin(ShownOnceAddMixin, OrgScopedAdmin):
    owner_only_writes = True
    list_display = ["__str__", "label", "created_at", "last_used_at", "status"]
    list_filter = [ApiKeyStatusFilter]
    search_fields = ["label", "prefix"]
    fields = ["label", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_selected"]
    change_form_template = "admin/loyalite/apikey/change_form.html"

    @admin.display(description="status")
    def status(self, obj: ApiKey) -> str:
        return "active" if obj.is_active else f"revoked {obj.revoked_at:%Y-%m-%d %H:%M}"

    def get_urls(self):
        revoke = self.admin_site.admin_view(self.revoke_view)
        return [
            path("<path:object_id>/revoke/", revoke, name="loyalite_apikey_revoke"),
            *super().get_urls(),
        ]

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset) -> None:
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            revoke_api_key(api_key=api_key)
            self.log_change(request, api_key, "Revoked.")
            count += 1
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)

    @method_decorator(require_POST)
    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        api_key = self.get_object(request, object_id)
        if not self.has_change_permission(request, api_key):
            raise PermissionDenied
        revoke_api_key(api_key=api_key)
        self.log_change(request, api_key, "Revoked.")
        self.message_user(request, f"Revoked {api_key}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:loyalite_apikey_changelist"))

    add_form = NewApiKeyForm
    add_title = "Create an API key"
    created_title = "API key created"
    add_template = "admin/loyalite/apikey/add.html"
    created_template = "admin/loyalite/apikey/created.html"

    def create(self, form) -> tuple[object, ApiKey]:
        """Creates the key through the service; the page shows the full key this one time."""
        issued = create_api_key(
            organization=form.target_organization(), label=form.cleaned_data["label"]
        )
        return issued, issued.api_key
