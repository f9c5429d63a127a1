"""Celery tasks: one attempt per (event, endpoint) pair, and the beat sweeper for the rest."""

from celery import shared_task

from . import delivery


@shared_task(ignore_result=True)
def deliver(delivery_id: str) -> None:
    """Sent after the event's transaction commits; a no-op if the attempt is not due."""
    delivery.attempt(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def sweep_deliveries() -> int:
    return delivery.sweep()
