"""Every error the API returns is JSON {"message": ..., "code": ..., "parameter"?: ...}: never a stack trace."""
from __future__ import annotations

import logging

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..services import ActionError

log = logging.getLogger(__name__)


def exception_handler(exc, context):
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
