"""OpenAPI shapes of the /v1 endpoints (documentation only; views parse by hand)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR_CODES = {
    400: "`missing_parameter` / `invalid_parameter` (with `param`), `invalid_json`, `invalid_tier`",
    401: "`invalid_api_key`",
    402: "`subscription_required`",
    403: "`plan_not_eligible`, `origin_blocked`, `secret_key_required`",
    404: "`customer_not_found`, `template_not_found`",
    409: "`insufficient_balance`, `tier_not_reached`, `tier_already_redeemed`, "
    "`idempotency_key_conflict`",
    429: "`rate_limit_exceeded` (with `Retry-After`)",
}

ErrorBody = inline_serializer(
    "KrewardError",
    {
        "error": serializers.CharField(),
        "param": serializers.CharField(required=False, help_text="On 400s: the parameter."),
    },
)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return {s: OpenApiResponse(ErrorBody, description=ERROR_CODES[s]) for s in statuses}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="≤ 255 chars. A repeat with the same body replays the first answer "
    "(`Idempotent-Replayed: true`); a different body → 409 `idempotency_key_conflict`.",
)
LOOKUP_PARAMETERS = [
    OpenApiParameter("email", OpenApiTypes.EMAIL, required=True),
    OpenApiParameter("template_id", OpenApiTypes.UUID, description="Default: first template."),
]


def _ok() -> serializers.BooleanField:
    return serializers.BooleanField(default=True)


PingResponse = inline_serializer("KrewardPing", {"ok": _ok(), "merchant": serializers.CharField()})
Template = inline_serializer(
    "KrewardTemplate",
    {
        "id": serializers.UUIDField(),
        "name": serializers.CharField(),
        "type": serializers.ChoiceField(["points", "stamps"]),
        "goal": serializers.IntegerField(allow_null=True),
    },
    many=True,
)
MeResponse = inline_serializer(
    "KrewardMe",
    {
        "ok": _ok(),
        "merchant": serializers.CharField(),
        "plan": serializers.ChoiceField(["starter", "growth", "enterprise"]),
        "templates": Template,
    },
)
EnrollRequest = inline_serializer(
    "KrewardEnrollRequest",
    {
        "email": serializers.EmailField(required=False),
        "name": serializers.CharField(required=False),
        "template_id": serializers.UUIDField(required=False),
    },
)
EnrollResponse = inline_serializer(
    "KrewardEnroll",
    {
        "ok": _ok(),
        "enrolled": serializers.BooleanField(),
        "is_new": serializers.BooleanField(required=False),
        "card_id": serializers.UUIDField(required=False),
        "balance": serializers.IntegerField(required=False),
        "qr_ios": serializers.CharField(required=False, help_text="data:image/png;base64,…"),
        "qr_android": serializers.CharField(required=False),
        "wallet_url_ios": serializers.URLField(required=False),
        "wallet_url_android": serializers.URLField(required=False),
        "enrollment_url": serializers.URLField(required=False, help_text="Without email."),
        "qr": serializers.CharField(required=False, help_text="Without email."),
    },
)
BalanceResponse = inline_serializer(
    "KrewardBalance",
    {
        "ok": _ok(),
        "card_type": serializers.ChoiceField(["points", "stamps"]),
        "balance": serializers.IntegerField(),
        "goal": serializers.IntegerField(allow_null=True),
        "name": serializers.CharField(),
    },
)
TierState = inline_serializer(
    "KrewardTierState",
    {
        "at": serializers.IntegerField(),
        "reward": serializers.CharField(),
        "reached": serializers.BooleanField(),
        "redeemed": serializers.BooleanField(),
    },
    many=True,
)
CustomerResponse = inline_serializer(
    "KrewardCustomer",
    {
        "ok": _ok(),
        "customer": inline_serializer(
            "KrewardCustomerData",
            {
                "email": serializers.EmailField(),
                "name": serializers.CharField(),
                "card_id": serializers.UUIDField(),
                "customer_code": serializers.IntegerField(),
                "created_at": serializers.DateTimeField(),
            },
        ),
        "card": inline_serializer(
            "KrewardCard",
            {
                "type": serializers.ChoiceField(["points", "stamps"]),
                "balance": serializers.IntegerField(),
                "goal": serializers.IntegerField(allow_null=True),
                "tiers": TierState,
            },
        ),
    },
)
TransactionRequest = inline_serializer(
    "KrewardTransactionRequest",
    {
        "email": serializers.EmailField(),
        "delta": serializers.IntegerField(help_text="Non-zero, |delta| ≤ 100000."),
        "note": serializers.CharField(required=False, max_length=255),
        "template_id": serializers.UUIDField(required=False),
    },
)
TransactionResponse = inline_serializer(
    "KrewardTransaction",
    {
        "ok": _ok(),
        "new_balance": serializers.IntegerField(),
        "card_type": serializers.ChoiceField(["points", "stamps"]),
        "goal": serializers.IntegerField(allow_null=True),
        "transaction_id": serializers.IntegerField(),
        "balance_before": serializers.IntegerField(),
        "coupon": inline_serializer(
            "KrewardCoupon",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "qr_token": serializers.CharField(),
                "expires_at": serializers.DateTimeField(),
            },
            required=False,
            help_text="Only when a coupon-mode stamp card filled.",
        ),
    },
)
RedeemRequest = inline_serializer(
    "KrewardRedeemRequest",
    {
        "email": serializers.EmailField(),
        "at": serializers.IntegerField(min_value=1),
        "template_id": serializers.UUIDField(required=False),
    },
)
RedeemResponse = inline_serializer(
    "KrewardRedeem",
    {
        "ok": _ok(),
        "redeemed_at": serializers.IntegerField(help_text="The claimed tier's `at`."),
        "looped": serializers.BooleanField(),
        "redeemed_tiers": serializers.ListField(child=serializers.IntegerField()),
        "balance_before": serializers.IntegerField(),
        "balance_after": serializers.IntegerField(),
        "card_type": serializers.ChoiceField(["points", "stamps"]),
    },
)
