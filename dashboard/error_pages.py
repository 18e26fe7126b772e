"""Django's own error answers (handler400, 403, 404, 500): the API's JSON shape under /api/, pages elsewhere,
and a 413 for a request too large to read."""
from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

from .inputs import unreadable

API_PREFIX = "/api/"


def _api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse({"message": message, "code": code}, status=status)


def bad_request(request, exception=None):
    unread = unreadable(exception) if exception is not None else None
    if unread is not None:
        if _api(request):
            return _json(unread.status, unread.message, unread.code)
        if unread.status == 413:
            return render(request, "error.html", {"title": "Request too large", "message": f"The form was not sent: "
                          f"{unread.message}. Shorten what you typed and try again."}, status=unread.status)
    if _api(request):
        if isinstance(exception, DisallowedHost):
            return _json(400, "this dashboard does not answer to that host name (the Host header)", "bad_host")
        return _json(400, "the request could not be read", "bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _api(request):
        return _json(403, "you may not do this", "forbidden")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if _api(request):
        # The address is not quoted back: it may be long, or hold line breaks.
        return _json(404, "there is no such address in the API (see /api/docs/)", "not_found")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _api(request):
        return _json(500, "internal error; it has been logged", "internal")
    return defaults.server_error(request)
