"""Sending Celery tasks after commit without letting a broker outage touch the request."""

import logging

from django.db import transaction
from django.utils.module_loading import import_string

from .breaker import Breaker

logger = logging.getLogger(__name__)

# After a failed publish, skip publishing for a while instead of paying a timeout per request;
# periodic sweepers and the dashboard's state endpoint catch up on what was not sent.
broker = Breaker("broker", cool_down_seconds=15)


def send_now(task_path: str, *args) -> bool:
    if broker.is_open:
        logger.info("broker marked down; not sending %s", task_path)
        return False
    try:
        import_string(task_path).delay(*args)
        return True
    except Exception:
        broker.trip()
        logger.warning("could not send %s; broker unavailable", task_path, exc_info=True)
        return False


def enqueue_on_commit(task_path: str, *args) -> None:
    """Sends the task once the surrounding transaction commits; never raises."""
    transaction.on_commit(lambda: send_now(task_path, *args))
