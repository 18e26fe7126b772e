"""Every error the API returns is JSON {"message": ..., "code": ..., "parameter"?: ...}: never a stack trace."""
from __future__ import annotations

import logging

from django.contrib.auth import get_user
from django.core.exceptions import SuspiciousOperation
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..access import Actor
from ..models import AuditEntry
from ..inputs import invalid, unreadable
from ..services import ActionError, refused

log = logging.getLogger(__name__)


def _audit_refused(err: ActionError, context, outcome: str = AuditEntry.Outcome.INVALID) -> None:
    """A request the view never got to act on (its body unreadable, its CSRF token missing) is still an
    attempt at its action: audit it as the view would."""
    view, request = context.get("view"), context.get("request")
    action = getattr(view, "audit_action", None)
    if action is None or request is None:
        return
    # A session's body is read in its CSRF check, which failed: DRF's user is unset or anonymous (and asking for
    # it would read the body again), so ask the session. A token's user is set on the Django request.
    user = request._request.user
    if not user.is_authenticated:
        user = get_user(request._request)
    if user.is_authenticated:
        refused(Actor(user), action, err, source=getattr(view, "audit_source", "api"), outcome=outcome,
                channel_id=context.get("kwargs", {}).get("channel_id", ""))


def exception_handler(exc, context):
    if isinstance(exc, exceptions.ValidationError):
        exc = invalid(exc.detail)
    elif (err := unreadable(exc)) is not None:
        _audit_refused(err, context)
        exc = err
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        exc = ActionError(403, str(exc.detail), "permission_denied")  # DRF's code, as before
        _audit_refused(exc, context, AuditEntry.Outcome.DENIED)
    elif isinstance(exc, SuspiciousOperation):  # as Django answers it outside DRF
        exc = ActionError(400, "the request could not be read", "bad_request")
    if isinstance(exc, ActionError):
        return Response(exc.as_dict(), status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        code = getattr(detail, "code", None) or "error"
        response.data = {"message": str(detail) if detail is not None else str(response.data), "code": code}
        return response
    log.exception("unhandled API error", exc_info=exc)
    return Response({"message": "internal error; it has been logged", "code": "internal"}, status=500)
