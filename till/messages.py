"""What the cashier reads: error codes and results in plain words."""

from typing import Any

ERROR_MESSAGES = {
    "manual_code_disabled": "Typed codes are switched off for this shop. "
    "Scan the QR code on the customer's phone.",
    "customer_not_found": "No customer with this code in this shop.",
    "scan_again": "This card was opened too long ago. Scan the customer again.",
    "invalid_qr": "This QR code is not valid here: it has expired or belongs to another shop. "
    "Ask the customer to refresh it.",
    "coupon_not_found": "No such coupon in this shop.",
    "coupon_already_used": "This coupon has already been used.",
    "coupon_expired": "This coupon has expired.",
    "insufficient_balance": "The customer doesn't have enough for that.",
    "stamp_limit_exceeded": "That is more stamps than the card holds.",
    "external_id_conflict": "This request was already used for something else. Try again.",
    "pin_required": "Ask the customer for the PIN on their phone.",
    "pin_invalid": "Wrong PIN.",
    "pin_expired": "The PIN has expired. Send a new PIN.",
    "pin_attempts_exceeded": "Too many wrong PINs. Send a new PIN.",
    "not_a_merchant": "This account is not linked to a shop.",
}


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def error_message(code: str, body: dict[str, Any], default: str = "") -> str:
    if code == "pin_invalid":
        left = body.get("remaining_attempts", 0)
        return f"Wrong PIN. {left} attempt{'s' if left != 1 else ''} left."
    if code == "pin_locked":
        return (
            "Too many PIN attempts for this customer. "
            f"Try again in {_minutes(int(body.get('retry_after', 60)))}."
        )
    return ERROR_MESSAGES.get(code) or default or "That didn't work. Try again."


def _count(number: int, card_type: str) -> str:
    unit = "point" if card_type == "point" else "stamp"
    return f"{number} {unit}{'s' if number != 1 else ''}"


def result_message(body: dict[str, Any], *, replayed: bool) -> str:
    """One line: what happened (from the stored answer, so a replay says the same)."""
    action = body.get("action")
    if action == "earn" and body["card_type"] == "point" and not body["added"]:
        text = "No points for this amount."
    elif action == "earn":
        text = f"Added {_count(body['added'], body['card_type'])}."
        if body.get("coupon"):
            text += f" Card full: {body['coupon']['name']} coupon issued."
    elif action == "redeem":
        text = f"Redeemed {_count(body['spent'], body['card_type'])}."
    else:
        text = f"Coupon {body['coupon']['name']} redeemed."
    return f"Already done: {text}" if replayed else text
