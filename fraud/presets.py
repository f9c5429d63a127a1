"""The verification preset matrix: the one table every gated operation consults."""

from dataclasses import dataclass

from django.db import models

from loyalite.models import Preset


class Action(models.TextChoices):
    EARN = "earn", "Earn"
    REDEEM = "redeem", "Redeem"
    COUPON_REDEEM = "coupon_redeem", "Coupon redeem"
    ADJUST = "adjust", "Balance adjustment"


@dataclass(frozen=True)
class PresetRules:
    gated: frozenset[str]
    manual_code_allowed: bool
    rotating_qr: bool


MATRIX: dict[str, PresetRules] = {
    Preset.STANDARD: PresetRules(frozenset(), manual_code_allowed=True, rotating_qr=False),
    Preset.BALANCED: PresetRules(
        frozenset({Action.REDEEM, Action.COUPON_REDEEM, Action.ADJUST}),
        manual_code_allowed=True,
        rotating_qr=False,
    ),
    Preset.STRICT: PresetRules(
        frozenset({Action.EARN, Action.REDEEM, Action.COUPON_REDEEM, Action.ADJUST}),
        manual_code_allowed=False,
        rotating_qr=True,
    ),
}


def rules(preset: str) -> PresetRules:
    return MATRIX[preset]


def requires_pin(preset: str, action: str) -> bool:
    return action in MATRIX[preset].gated


def matrix_rows() -> list[tuple[str, list[str]]]:
    """The matrix as rows of (what, [standard, balanced, strict]) for admin pages."""
    order = [Preset.STANDARD, Preset.BALANCED, Preset.STRICT]
    rows = [
        (action.label, ["PIN" if action in MATRIX[p].gated else "no" for p in order])
        for action in Action
    ]
    rows.append(
        (
            "manual_code: true",
            ["allowed" if MATRIX[p].manual_code_allowed else "refused" for p in order],
        )
    )
    rows.append(
        (
            "customer QR",
            ["rotating TOTP, 30 s" if MATRIX[p].rotating_qr else "static, 24 h" for p in order],
        )
    )
    return rows
