"""Live messages to a customer's open dashboards (one Channels group per customer)."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from loyalite.tasks import enqueue_on_commit

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


def push_balances_on_commit(customer) -> None:
    """After the transaction that moved the customer's balances commits, tells their pages."""
    enqueue_on_commit("customers.tasks.push_balances", customer.pk)
