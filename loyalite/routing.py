"""WebSocket routes, collected from the apps that push."""

websocket_urlpatterns: list = []
