"""A DRF view whose handlers run on the event loop: the REST actions' path (issue: +3 ms over ARI, 300/s).

DRF's own dispatch is sync: under ASGI each request then runs in a thread of its own, and authenticates by
reading the session, the user, the groups, permissions and the profile from the database. Here the
credential (an API token, else the session cookie) is looked up in authstate's per-process cache of
sign-ins, which logout, a revoked token or any change to the user empties at once in every process; CSRF
is checked as DRF's SessionAuthentication checks it; the handler is awaited on the loop. DRF's request,
content negotiation, throttles, exception handler and renderers are used as they are, so the answers are
those of every other API view.
"""
from __future__ import annotations

import inspect

from asgiref.sync import sync_to_async
from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView

from .. import authstate
from ..access import Actor
from ..services import ActionError


class _Csrf(SessionAuthentication):
    def check(self, request) -> None:
        self.enforce_csrf(request)


class AsyncApiView(APIView):
    """Subclasses define async handlers (`async def post(self, request, ...)`) and read `request.actor`."""

    async def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.format_kwarg = self.get_format_suffix(**kwargs)
            request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(request)
            credential = await self._authenticate(request)
            if credential is not None and credential.kind == "token":
                # A token's rate is counted in the cache (Redis in production): off the loop.
                await sync_to_async(self.check_throttles)(request)
            method = request.method.lower()
            handler = getattr(self, method, None) if method in self.http_method_names else None
            if handler is None:
                raise exceptions.MethodNotAllowed(request.method)
            response = handler(request, *args, **kwargs)
            if inspect.isawaitable(response):  # DRF's own handlers (OPTIONS) are sync and cheap
                response = await response
        except ActionError as exc:  # audited where it was raised: rendered here, on the loop
            response = self.handle_exception(exc)
        except Exception as exc:  # noqa: BLE001 - DRF's handler may audit (database): in a thread
            response = await sync_to_async(self.handle_exception)(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    async def _authenticate(self, request) -> authstate.Credential | None:
        """Set request.user, .auth and .actor from the Authorization header or the session cookie, as DRF's
        TokenAuthentication then SessionAuthentication would."""
        django_request = request._request
        kind, _, key = django_request.headers.get("Authorization", "").strip().partition(" ")
        if kind.lower() == "token":
            key = key.strip()
            if not key or " " in key:
                raise exceptions.AuthenticationFailed("Invalid token header.")
            credential = authstate.token_credential(key)
            found = await authstate.request_user(credential)
            if found is None:
                raise exceptions.AuthenticationFailed("Invalid token.")
            user, facts = found
            request.user, request.auth = user, Token(key=key, user=user)
        else:
            key = django_request.COOKIES.get(settings.SESSION_COOKIE_NAME)
            credential = authstate.session_credential(key) if key else None
            found = await authstate.request_user(credential) if credential is not None else None
            if found is None:
                raise exceptions.NotAuthenticated()
            user, facts = found
            request.user, request.auth = user, None
            _Csrf().check(request)
        request.actor = Actor.from_facts(user, facts)
        return credential
