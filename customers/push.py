"""Live messages to a customer's open dashboards (one Channels group per customer)."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

from loyalite.tasks import send_now

logger = logging.getLogger(__name__)

# The session key under which the dashboard stores the logged-in customer's id.
CUSTOMER_SESSION_KEY = "customer_id"


def customer_group(customer_id: int) -> str:
    return f"customer.{customer_id}"


def push_to_customer(customer_id: int, message: dict) -> None:
    """Sends `message` (with a `type` naming the consumer handler) to the customer's sockets."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(customer_group(customer_id), message)


# How many dashboards a customer has open, counted by the WebSocket consumer on the shared
# cache, so a balance change only costs a task when someone is watching. Stale counts (a
# server that died) only cause harmless pushes and expire with the TTL.
PRESENCE_TTL_SECONDS = 24 * 3600


def _presence_key(customer_id: int) -> str:
    return f"dashboard-open:{customer_id}"


def count_open_dashboard(customer_id: int, delta: int) -> None:
    """+1 when a dashboard socket opens, -1 when it closes."""
    key = _presence_key(customer_id)
    try:
        if delta > 0:
            if not cache.add(key, 1, PRESENCE_TTL_SECONDS):
                cache.incr(key)
                cache.touch(key, PRESENCE_TTL_SECONDS)
        else:
            cache.decr(key)
    except ValueError:
        pass  # the count expired while the socket was open: nothing to take away
    except Exception:
        logger.warning("could not count the dashboard of customer %s", customer_id, exc_info=True)


def dashboard_open(customer_id: int) -> bool:
    try:
        return (cache.get(_presence_key(customer_id)) or 0) > 0
    except Exception:
        return True  # the cache is down: push anyway, the page ignores what it does not need


def push_balances_on_commit(customer) -> None:
    """After the transaction that moved the customer's balances commits, tells their pages."""
    customer_id = customer.pk

    def push() -> None:
        if dashboard_open(customer_id):
            send_now("customers.tasks.push_balances", customer_id)

    transaction.on_commit(push)
