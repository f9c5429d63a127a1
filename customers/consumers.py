"""The dashboard's WebSocket: joins the logged-in customer's group and relays pushes."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .push import CUSTOMER_SESSION_KEY, customer_group

UNAUTHORISED = 4401


class CustomerConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        session = self.scope.get("session")
        customer_id = session.get(CUSTOMER_SESSION_KEY) if session is not None else None
        if not customer_id:
            await self.close(code=UNAUTHORISED)
            return
        self.group = customer_group(int(customer_id))
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def challenge_issued(self, event: dict) -> None:
        await self.send_json(event)

    async def challenge_ended(self, event: dict) -> None:
        await self.send_json(event)

    async def balance_changed(self, event: dict) -> None:
        await self.send_json(event)
