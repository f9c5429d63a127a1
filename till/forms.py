"""What the till's page posts: the scan field and one form per action."""

from decimal import Decimal

from django import forms
from django.core import signing

from campaigns.models import CardType
from coupons.models import COUPON_TOKEN_PREFIX
from customers.models import Customer
from loyalite.errors import CustomerNotFound
from loyalite.models import Organization

CUSTOMER_REF_SALT = "till.customer"
# How long a card opened by a scan stays usable for actions before the customer is scanned
# again (the rotating QR lasts 30 s; serving one customer takes longer).
CUSTOMER_REF_MAX_AGE = 30 * 60
MAX_AMOUNT = Decimal("1000000")
MAX_VALUE = 1_000_000
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class CustomerRefExpired(CustomerNotFound):
    """A till-page error only (no API carries it): the card must be opened again."""

    code = "scan_again"


def customer_ref(customer: Customer) -> str:
    """A signed handle for a customer opened at this org's till (no typed code needed later)."""
    return signing.dumps([customer.organization_id, customer.pk], salt=CUSTOMER_REF_SALT)


def customer_from_ref(ref: str, organization: Organization) -> Customer:
    """The customer behind a ref, only if the ref is ours, fresh and of this org."""
    try:
        organization_id, customer_id = signing.loads(
            ref, salt=CUSTOMER_REF_SALT, max_age=CUSTOMER_REF_MAX_AGE
        )
    except signing.SignatureExpired:
        raise CustomerRefExpired() from None
    except (signing.BadSignature, TypeError, ValueError):
        raise CustomerNotFound() from None
    customer = Customer.objects.filter(
        organization=organization, pk=customer_id, erased_at__isnull=True
    ).first()
    if organization_id != organization.pk or customer is None:
        raise CustomerNotFound()
    return customer


class FindForm(forms.Form):
    scan = forms.CharField(max_length=512, strip=True)


class GatedForm(forms.Form):
    """Every action carries the page's request id (stable across the PIN retry) and a PIN."""

    request_id = forms.RegexField(REQUEST_ID_PATTERN)
    pin = forms.RegexField(r"^[0-9]{1,8}$", required=False)

    def clean_pin(self) -> str | None:
        return self.cleaned_data["pin"] or None


class CustomerActionForm(GatedForm):
    customer = forms.CharField(max_length=512)


class EarnForm(CustomerActionForm):
    card_type = forms.ChoiceField(choices=CardType.choices)
    amount = forms.DecimalField(
        min_value=Decimal("0.01"), max_value=MAX_AMOUNT, max_digits=12, decimal_places=2
    )

    def clean(self):
        cleaned = super().clean()
        amount, card_type = cleaned.get("amount"), cleaned.get("card_type")
        if card_type == CardType.STAMP and amount is not None and amount != amount.to_integral():
            self.add_error("amount", "Stamps are counted in whole numbers.")
        return cleaned


class RedeemForm(CustomerActionForm):
    card_type = forms.ChoiceField(choices=CardType.choices)
    value = forms.IntegerField(min_value=1, max_value=MAX_VALUE)


class CouponForm(GatedForm):
    token = forms.RegexField(rf"^{COUPON_TOKEN_PREFIX}[A-Za-z0-9_-]{{1,61}}$")
