"""The public sign-up page's form."""

from django import forms


class JoinForm(forms.Form):
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    name = forms.CharField(max_length=200, required=False)
    consent_terms = forms.BooleanField(label="I accept the terms of the loyalty programme")
    consent_privacy = forms.BooleanField(label="I accept the privacy policy")
    consent_marketing = forms.BooleanField(required=False, label="Send me offers and news by email")
