"""The dashboard's WebSocket: joins the logged-in customer's group and relays pushes."""

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import Customer
from .push import CUSTOMER_SESSION_KEY, count_open_dashboard, customer_group

UNAUTHORISED = 4401


@database_sync_to_async
def _session_customer_id(session) -> int | None:
    """The session's customer, if it still exists and is not erased (reads the session store)."""
    if session is None:
        return None
    customer_id = session.get(CUSTOMER_SESSION_KEY)
    if not customer_id:
        return None
    active = Customer.objects.filter(pk=customer_id, erased_at__isnull=True).exists()
    return int(customer_id) if active else None


class CustomerConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        customer_id = await _session_customer_id(self.scope.get("session"))
        if customer_id is None:
            await self.close(code=UNAUTHORISED)
            return
        self.customer_id = customer_id
        self.group = customer_group(customer_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await sync_to_async(count_open_dashboard)(customer_id, +1)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await sync_to_async(count_open_dashboard)(self.customer_id, -1)

    async def receive_json(self, content, **kwargs) -> None:
        """The page only listens; anything it sends is ignored."""

    async def challenge_issued(self, event: dict) -> None:
        await self.send_json(event)

    async def challenge_ended(self, event: dict) -> None:
        await self.send_json(event)

    async def balance_changed(self, event: dict) -> None:
        await self.send_json(event)
