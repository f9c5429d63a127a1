"""Customers in the merchant admin: balances, history, and the PIN-gated balance adjustment."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from campaigns.models import CardType
from fraud import operations
from loyalite import errors
from loyalite.admin_scoping import ReadOnlyOrgAdmin
from loyalite.api import client_ip

from .models import Customer

RECENT_ROWS = 20


class AdjustBalanceForm(forms.Form):
    card_type = forms.ChoiceField(choices=CardType.choices, widget=forms.RadioSelect)
    delta = forms.IntegerField(
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text="Positive adds, negative removes (never below zero).",
    )
    reason = forms.CharField(max_length=255, help_text="Required; kept in the ledger.")
    pin = forms.RegexField(
        regex=r"^\d{1,8}$",
        required=False,
        label="PIN",
        help_text="On Balanced and Strict: the PIN the customer reads from their loyalty page.",
        error_messages={"invalid": "Digits only."},
    )
    nonce = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError("Enter a non-zero change.")
        return delta


def _gate_error(form: AdjustBalanceForm, error: errors.DomainError) -> None:
    """Shows a gate or balance error on the form, as the merchant should act on it."""
    extra = error.extra
    if isinstance(error, errors.PinRequired):
        form.add_error(
            None,
            f"A {extra['pin_length']}-digit PIN was sent to the customer's loyalty page. Ask "
            f"them to read it out and type it below ({extra['remaining_attempts']} attempts, "
            f"valid {extra['expires_in']} s).",
        )
    elif isinstance(error, errors.PinInvalid):
        form.add_error("pin", f"Wrong PIN: {extra['remaining_attempts']} attempt(s) left.")
    elif isinstance(error, errors.PinAttemptsExceeded):
        form.add_error("pin", "Wrong PIN three times; submit without a PIN to send a new one.")
    elif isinstance(error, errors.PinExpired):
        form.add_error("pin", "The PIN expired; submit without a PIN to send a new one.")
    elif isinstance(error, errors.PinLocked):
        minutes = max(1, round(extra["retry_after"] / 60))
        form.add_error(None, f"Too many PIN attempts for this customer; retry in {minutes} min.")
    elif isinstance(error, errors.InsufficientBalance):
        form.add_error("delta", "The customer's balance is too low for this change.")
    elif isinstance(error, errors.ExternalIdConflict):
        form.add_error(None, "This form was already used for another change; start again.")
    else:
        form.add_error(None, error.code)


def _retry_form(form: AdjustBalanceForm) -> AdjustBalanceForm:
    """The same adjustment (same nonce, so the same PIN binding) with the PIN box emptied."""
    data = form.data.copy()
    data["pin"] = ""
    retry = AdjustBalanceForm(data)
    retry.is_valid()
    for field, field_errors in form.errors.items():
        for message in field_errors:
            retry.add_error(None if field == "__all__" else field, message)
    return retry


@admin.register(Customer)
class CustomerAdmin(ReadOnlyOrgAdmin):
    list_display = ["code", "email", "name", "point_balance", "stamp_count", "created_at"]
    list_filter = ["consent_marketing", "created_at"]
    search_fields = ["code__exact", "email", "name"]
    date_hierarchy = "created_at"
    change_form_template = "admin/customers/customer/change_form.html"
    fieldsets = [
        (None, {"fields": ["code", "email", "name", "phone", "created_at"]}),
        ("Balances", {"fields": ["point_balance", "stamp_count"]}),
        (
            "Consents",
            {"fields": ["consent_terms_at", "consent_privacy_at", "consent_marketing"]},
        ),
        ("Recent ledger entries", {"fields": ["recent_ledger"]}),
        ("Coupons", {"fields": ["recent_coupons"]}),
        ("Verification events", {"fields": ["recent_verifications"]}),
    ]
    readonly_fields = [
        "code",
        "email",
        "name",
        "phone",
        "created_at",
        "point_balance",
        "stamp_count",
        "consent_terms_at",
        "consent_privacy_at",
        "consent_marketing",
        "recent_ledger",
        "recent_coupons",
        "recent_verifications",
    ]

    def get_urls(self):
        adjust = self.admin_site.admin_view(self.adjust_view)
        return [
            path("<path:object_id>/adjust/", adjust, name="customers_customer_adjust"),
            *super().get_urls(),
        ]

    @admin.display(description="Ledger")
    def recent_ledger(self, customer: Customer) -> str:
        rows = customer.ledger.select_related("user")[:RECENT_ROWS]
        return _table(
            ["When", "Card", "Change", "Balance", "Why", "Source", "Note", "By"],
            (
                (
                    f"{e.created_at:%Y-%m-%d %H:%M}",
                    e.get_card_type_display(),
                    f"{e.delta:+d}",
                    e.balance_after,
                    e.get_reason_display(),
                    e.source,
                    e.note or e.external_id,
                    e.user.get_username() if e.user else "",
                )
                for e in rows
            ),
            _all_link("admin:campaigns_ledgerentry_changelist", customer),
        )

    @admin.display(description="Coupons")
    def recent_coupons(self, customer: Customer) -> str:
        rows = customer.coupons.all()[:RECENT_ROWS]
        return _table(
            ["Id", "Name", "Status", "Issued", "Expires", "Redeemed"],
            (
                (
                    c.pk,
                    c.name,
                    c.display_status,
                    f"{c.issued_at:%Y-%m-%d}",
                    f"{c.expires_at:%Y-%m-%d}",
                    f"{c.redeemed_at:%Y-%m-%d %H:%M}" if c.redeemed_at else "",
                )
                for c in rows
            ),
            _all_link("admin:coupons_coupon_changelist", customer),
        )

    @admin.display(description="Verification")
    def recent_verifications(self, customer: Customer) -> str:
        rows = customer.verification_events.select_related("user", "api_key")[:RECENT_ROWS]
        return _table(
            ["When", "What", "Action", "Amount", "By"],
            (
                (
                    f"{e.created_at:%Y-%m-%d %H:%M:%S}",
                    e.get_kind_display(),
                    e.action,
                    e.amount,
                    e.user.get_username() if e.user else (str(e.api_key) if e.api_key else ""),
                )
                for e in rows
            ),
            _all_link("admin:fraud_verificationevent_changelist", customer),
        )

    def adjust_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Parses the form and calls fraud.operations.adjust_balance; gate errors go on the form."""
        customer = self.get_object(request, object_id)
        if request.method != "POST":
            form = AdjustBalanceForm(initial={"card_type": CardType.POINT, "nonce": _nonce()})
            return self._render_adjust(request, customer, form)
        form = AdjustBalanceForm(request.POST)
        if not form.is_valid():
            return self._render_adjust(request, customer, form)
        data = form.cleaned_data
        try:
            result = operations.adjust_balance(
                customer=customer,
                card_type=data["card_type"],
                delta=data["delta"],
                reason=data["reason"],
                user=request.user,
                pin=data["pin"] or None,
                nonce=data["nonce"],
                client_ip=client_ip(request),
            )
        except errors.DomainError as error:
            _gate_error(form, error)
            return self._render_adjust(request, customer, _retry_form(form))
        self.log_change(request, customer, f"Adjusted {data['card_type']} by {data['delta']}.")
        self.message_user(
            request,
            f"Balance adjusted: {result.points} points, {result.stamps} stamps.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:customers_customer_change", args=[customer.pk]))

    def _render_adjust(self, request, customer: Customer, form) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": customer,
            "title": f"Adjust the balance of customer {customer.code}",
            "form": form,
            "preset": customer.organization.get_preset_display(),
        }
        return TemplateResponse(request, "admin/customers/customer/adjust.html", context)


def _nonce() -> str:
    return uuid.uuid4().hex


def _all_link(url_name: str, customer: Customer) -> str:
    return f"{reverse(url_name)}?customer__id__exact={customer.pk}"


def _table(headers: list[str], rows, all_url: str) -> str:
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((c,) for c in r)),) for r in rows)
    )
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    return format_html(
        '<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table><p><a href="{}">All</a></p>',
        head,
        body or format_html("<tr><td colspan={}>None yet.</td></tr>", len(headers)),
        all_url,
    )
