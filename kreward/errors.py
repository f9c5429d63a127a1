"""The /v1 wire format's errors: `{"error": code}` (+ `param` on 400s), and the mapping of
domain errors whose Kreward status differs from the POS API's."""

from typing import Any

from loyalite.errors import DomainError, InsufficientBalance, StampLimitExceeded


class KrewardError(DomainError):
    def body(self) -> dict[str, Any]:
        return {"error": self.code, **self.extra}


class InvalidApiKey(KrewardError):
    status, code = 401, "invalid_api_key"


class PlanNotEligible(KrewardError):
    status, code = 403, "plan_not_eligible"


class SubscriptionRequired(KrewardError):
    status, code = 402, "subscription_required"


class SecretKeyRequired(KrewardError):
    status, code = 403, "secret_key_required"


class OriginBlocked(KrewardError):
    status, code = 403, "origin_blocked"


class RateLimitExceeded(KrewardError):
    status, code = 429, "rate_limit_exceeded"


class MissingParameter(KrewardError):
    status, code = 400, "missing_parameter"

    def __init__(self, param: str):
        super().__init__(param=param)


class InvalidParameter(KrewardError):
    status, code = 400, "invalid_parameter"

    def __init__(self, param: str):
        super().__init__(param=param)


class TemplateNotFound(KrewardError):
    status, code = 404, "template_not_found"


class InsufficientBalanceConflict(KrewardError):
    status, code = 409, "insufficient_balance"


class IdempotencyKeyConflict(KrewardError):
    status, code = 409, "idempotency_key_conflict"


def as_kreward(error: DomainError) -> KrewardError | DomainError:
    """Domain errors whose /v1 status or shape differs from the POS API's."""
    if isinstance(error, InsufficientBalance):
        return InsufficientBalanceConflict()
    if isinstance(error, StampLimitExceeded):
        return InvalidParameter("delta")
    return error


def error_body(error: DomainError) -> dict[str, Any]:
    """Only the code (and `param`): Kreward clients match on `error`, nothing else."""
    if isinstance(error, KrewardError):
        return error.body()
    return {"error": error.code}
