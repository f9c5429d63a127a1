"""Request and response shapes of the Loyalite wire format.

Fields are strict about JSON types (a string is not a number, 1 is not `true`), because a
POS that sends the wrong type has a bug it should hear about (422 `invalid_request`).
"""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_AMOUNT = Decimal("1000000000")
MAX_DECIMAL_PLACES = 10
MAX_VALUE = 1_000_000_000


def is_ascii_digits(text: str) -> bool:
    """0-9 only: str.isdigit() also accepts '²' or '١', which int() refuses or a POS never means."""
    return text.isascii() and text.isdigit()


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.Field):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return bool(value)


class StrictStringField(serializers.CharField):
    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.INT)
class CustomerCodeField(serializers.Field):
    """A positive integer; a string of digits is accepted as scanners often produce one."""

    default_error_messages = {"invalid": "Must be a positive integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str) and is_ascii_digits(data.strip()):
            data = int(data.strip())
        if not isinstance(data, int) or not 0 < data < 10**9:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.INT)
class PositiveIntegerField(serializers.Field):
    default_error_messages = {"invalid": "Must be a positive integer."}

    def to_internal_value(self, data):
        if isinstance(data, Decimal) and data == data.to_integral_value():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int) or not 0 < data <= MAX_VALUE:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.NUMBER)
class AmountField(serializers.Field):
    """A JSON number > 0, kept as the Decimal its literal spells (never through float)."""

    default_error_messages = {
        "invalid": "Must be a number greater than 0.",
        "places": f"At most {MAX_DECIMAL_PLACES} decimal places.",
        "too_large": f"Must be below {MAX_AMOUNT}.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | Decimal):
            self.fail("invalid")
        amount = Decimal(data)
        if not amount.is_finite() or amount <= 0:
            self.fail("invalid")
        if amount.as_tuple().exponent < -MAX_DECIMAL_PLACES:
            self.fail("places")
        if amount >= MAX_AMOUNT:
            self.fail("too_large")
        return amount

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "string", "pattern": "^[0-9]{1,8}$"})
class PinField(serializers.Field):
    default_error_messages = {"invalid": "Must be a string of digits."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or not is_ascii_digits(data) or len(data) > 8:
            self.fail("invalid")
        return data


class GatedRequest(serializers.Serializer):
    manual_code = StrictBooleanField(required=False, default=False)
    verification_pin = PinField(required=False, default=None)


class EarnRequest(GatedRequest):
    customer_code = CustomerCodeField()
    amount = AmountField()
    card_type = serializers.ChoiceField(choices=["point", "stamp"], required=False, default="point")
    external_id = StrictStringField(max_length=128, trim_whitespace=False)


class RedeemRequest(GatedRequest):
    customer_code = CustomerCodeField()
    value = PositiveIntegerField()
    card_type = serializers.ChoiceField(choices=["point", "stamp"], required=False, default="stamp")
    external_id = StrictStringField(max_length=128, trim_whitespace=False)


class CouponRedeemRequest(GatedRequest):
    token = StrictStringField(max_length=64)


class EnrollRequest(serializers.Serializer):
    email = serializers.JSONField(
        required=False,
        default=None,
        allow_null=True,
        help_text="Required; trimmed and lower-cased.",
    )
    consent_terms = StrictBooleanField(required=False, default=False)
    consent_privacy = StrictBooleanField(required=False, default=False)
    consent_marketing = StrictBooleanField(required=False, default=None, allow_null=True)
    name = StrictStringField(required=False, default="", allow_blank=True, max_length=200)

    def validate_email(self, value):
        if value is not None and not isinstance(value, str):
            raise serializers.ValidationError("Must be a string.")
        return value


# --- responses (for the schema; the views build the same dicts) ------------------------------
class CustomerData(serializers.Serializer):
    customer_code = serializers.IntegerField()
    masked_email = serializers.CharField()
    stamp_count = serializers.IntegerField()
    point_balance = serializers.IntegerField()


class EnrollData(CustomerData):
    is_new = serializers.BooleanField()


class CouponRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    qr_token = serializers.CharField()


class BalancesData(serializers.Serializer):
    stamps = serializers.IntegerField()
    points = serializers.IntegerField()


class EarnData(BalancesData):
    coupon = CouponRef(required=False, help_text="Present when this earn filled the stamp card.")


class CouponData(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    qr_token = serializers.CharField()
    issued_at = serializers.DateTimeField()
    redeemed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    customer_code = serializers.IntegerField()


def envelope(name: str, data_serializer: type[serializers.Serializer]) -> serializers.Serializer:
    return type(name, (serializers.Serializer,), {"data": data_serializer()})()


class ErrorBody(serializers.Serializer):
    error = serializers.CharField()
    message = serializers.CharField(required=False)
    fields = serializers.DictField(child=serializers.CharField(), required=False)
    challenge_id = serializers.CharField(required=False)
    remaining_attempts = serializers.IntegerField(required=False)
    expires_in = serializers.IntegerField(required=False)
    pin_length = serializers.IntegerField(required=False)
    retry_after = serializers.IntegerField(required=False)
