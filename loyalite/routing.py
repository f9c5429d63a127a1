"""WebSocket routes, collected from the apps that push."""

from customers.routing import websocket_urlpatterns as customer_routes

websocket_urlpatterns = [*customer_routes]
