from django.urls import path

from .consumers import CustomerConsumer

websocket_urlpatterns = [path("ws/me/", CustomerConsumer.as_asgi())]
