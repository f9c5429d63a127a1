"""Dashboard forms: asking for a login link, editing the profile, confirming erasure."""

import re

from django import forms

PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-]{5,32}$")


class LoginLinkRequestForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class ProfileForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    phone = forms.CharField(
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    consent_marketing = forms.BooleanField(required=False, label="Send me offers and news by email")

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE_PATTERN.match(phone):
            raise forms.ValidationError("Use digits, spaces and an optional leading +.")
        return phone


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, label="I understand this deletes my account and cannot be undone"
    )
