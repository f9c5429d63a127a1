"""Pushing challenges to the customer's open dashboard, and expiring stale ones."""

import logging

from celery import shared_task

from customers.push import push_to_customer

from .models import Challenge, ChallengeState
from .services import expire_stale_challenges

logger = logging.getLogger(__name__)


def challenge_message(challenge: Challenge) -> dict:
    return {
        "challenge_id": str(challenge.pk),
        "pin": challenge.pin,
        "action": challenge.action,
        "amount": challenge.amount,
        "description": challenge.description,
        "expires_at": challenge.expires_at.isoformat().replace("+00:00", "Z"),
        "remaining_attempts": challenge.attempts_left,
    }


@shared_task(ignore_result=True)
def push_challenge(challenge_id: str) -> None:
    """Sends a pending challenge's PIN to the customer's dashboard (read fresh from the DB)."""
    challenge = Challenge.objects.filter(pk=challenge_id, state=ChallengeState.PENDING).first()
    if challenge is None:
        return
    push_to_customer(
        challenge.customer_id,
        {"type": "challenge.issued", "challenge": challenge_message(challenge)},
    )


@shared_task(ignore_result=True)
def push_challenge_ended(challenge_id: str) -> None:
    challenge = Challenge.objects.filter(pk=challenge_id).first()
    if challenge is None:
        return
    push_to_customer(
        challenge.customer_id,
        {"type": "challenge.ended", "challenge_id": str(challenge.pk), "state": challenge.state},
    )


@shared_task(ignore_result=True)
def expire_challenges() -> int:
    return expire_stale_challenges()
