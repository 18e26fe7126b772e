from django.urls import path

from .consumers import LiveConsumer
from .wallboard.consumer import WallboardConsumer

websocket_urlpatterns = [path("ws/live/", LiveConsumer.as_asgi()), path("ws/wallboard/", WallboardConsumer.as_asgi())]
