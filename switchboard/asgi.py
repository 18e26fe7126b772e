"""ASGI entry point: Django for HTTP, Channels for the live WebSocket, lifespan for the live parts."""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "switchboard.settings")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application() does

from switchboard.handler import ASGIHandler  # noqa: E402

django_asgi_app = ASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from dashboard import runtime  # noqa: E402
from dashboard.authstate import TokenAuthMiddleware  # noqa: E402
from dashboard.routing import websocket_urlpatterns  # noqa: E402
from switchboard.origin import SameOriginValidator  # noqa: E402


async def lifespan(scope, receive, send):
    """Start the ARI event stream and the replica with the server, and stop them cleanly with it."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await runtime.startup()
            except Exception as exc:  # noqa: BLE001 - report it to the server, which then exits
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await runtime.shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(SameOriginValidator(
            AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns))))),
        "lifespan": lifespan,
    }
)
