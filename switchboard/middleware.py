"""Django's middleware (and django-csp's), with their hooks run on the event loop.

Under ASGI, Django's MiddlewareMixin runs every `process_request`, `process_view` and `process_response`
through `sync_to_async`: a thread hop each, about twenty per request with the stack in settings, which
cost an action more than the rest of it (py-spy: 15 % of the process in MiddlewareMixin.__acall__). These
hooks only read the request and set headers and cookies, so here they run where the request runs. The two
that can reach the database keep their thread for that case: the session middleware when it saves the
session, the messages middleware when it stores messages (in the session).
"""
from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import sync_to_async
from csp import middleware as csp
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.middleware import clickjacking, common, csrf, security


def on_loop(cls: type, needs_thread: Callable | None = None) -> type:
    """`cls` with its hooks run on the loop; `needs_thread(request, response)` says when process_response may
    touch the database, and then it runs in a thread as Django would run it."""

    async def __acall__(self, request):
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            if needs_thread is not None and needs_thread(request, response):
                response = await sync_to_async(self.process_response)(request, response)
            else:
                response = self.process_response(request, response)
        return response

    attrs = {"__acall__": __acall__, "__module__": __name__, "__doc__": cls.__doc__}
    if hasattr(cls, "process_view"):
        async def process_view(self, request, view_func, view_args, view_kwargs):
            return cls.process_view(self, request, view_func, view_args, view_kwargs)

        attrs["process_view"] = process_view
    return type(cls.__name__, (cls,), attrs)


def _session_saved(request, response) -> bool:
    session = getattr(request, "session", None)
    return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


def _messages_stored(request, response) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and (storage.used or storage.added_new)


SecurityMiddleware = on_loop(security.SecurityMiddleware)
SessionMiddleware = on_loop(sessions.SessionMiddleware, _session_saved)
CommonMiddleware = on_loop(common.CommonMiddleware)
CsrfViewMiddleware = on_loop(csrf.CsrfViewMiddleware)
AuthenticationMiddleware = on_loop(auth.AuthenticationMiddleware)
MessageMiddleware = on_loop(messages.MessageMiddleware, _messages_stored)
XFrameOptionsMiddleware = on_loop(clickjacking.XFrameOptionsMiddleware)
CSPMiddleware = on_loop(csp.CSPMiddleware)
