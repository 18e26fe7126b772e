"""The WebSocket's Origin must be this site exactly: scheme, host and port.

Channels' AllowedHostsOriginValidator compares host names only, so a page of another application on the
same host (another port, or plain http beside https) could open the live feed with the user's cookies,
which browsers do not keep per port, and send actions on it. Django's CSRF check refuses such an Origin on
a POST; this is the same rule for sockets: the Origin must be the address the socket was opened on
(`https` for `wss`), or one of DJANGO_CSRF_TRUSTED_ORIGINS.
"""
from __future__ import annotations

from channels.security.websocket import WebsocketDenier
from django.conf import settings


def same_origin(scope) -> bool:
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin", b"").decode("latin-1").strip().lower()
    host = headers.get(b"host", b"").decode("latin-1").strip().lower()
    if not origin or not host:
        return False
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return origin == f"{scheme}://{host}" or origin in {o.lower() for o in settings.CSRF_TRUSTED_ORIGINS}


class SameOriginValidator:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not same_origin(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
