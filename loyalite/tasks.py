"""Sending Celery tasks after commit without letting a broker outage touch the request."""

import logging
import time

from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# After a failed publish, skip publishing for a while instead of paying a timeout per request;
# periodic sweepers and the dashboard's state endpoint catch up on what was not sent.
BROKER_BACKOFF_SECONDS = 15
_broker_down_until = 0.0


def send_now(task_path: str, *args) -> bool:
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        logger.info("broker marked down; not sending %s", task_path)
        return False
    try:
        import_string(task_path).delay(*args)
        return True
    except Exception:
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning("could not send %s; broker unavailable", task_path, exc_info=True)
        return False


def enqueue_on_commit(task_path: str, *args) -> None:
    """Sends the task once the surrounding transaction commits; never raises."""
    transaction.on_commit(lambda: send_now(task_path, *args))
