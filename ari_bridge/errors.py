"""What can go wrong talking to ARI, one class per kind of answer.

``str(error)`` is a short sentence a person can read in the UI; the technical facts are
attributes: ``status`` (HTTP status or None), ``message`` (ARI's own text), ``method``,
``path`` and ``code`` (a stable machine name). ``ValidationError`` is raised before any
request is sent and names the offending ``parameter``.
"""
from __future__ import annotations

from typing import Any, Mapping

# How each operation reads in "ARI cannot <verb> a channel that is in the dialplan".
VERBS: Mapping[str, str] = {
    "answer": "answer",
    "hold": "hold",
    "unhold": "take off hold",
    "mute": "mute",
    "unmute": "unmute",
    "start_moh": "play music on hold to",
    "stop_moh": "stop music on hold on",
    "start_silence": "play silence to",
    "stop_silence": "stop silence on",
    "ring": "indicate ringing to",
    "ring_stop": "stop ringing on",
    "send_dtmf": "send DTMF to",
    "play": "play media to",
    "play_with_id": "play media to",
    "record": "record",
    "continue_in_dialplan": "send back to the dialplan",
    "move": "move",
    "redirect": "redirect",
    "dial": "dial",
    "set_channel_var": "set a variable on",
    "get_channel_var": "read a variable of",
    "hangup": "hang up",
    "snoop_channel": "snoop on",
    "snoop_channel_with_id": "snoop on",
    "rtp_statistics": "read RTP statistics of",
    "get": "read",
}


def not_in_stasis_reason(operation: str | None) -> str:
    verb = VERBS.get(operation or "", "act on")
    return f"not in a Stasis application: ARI cannot {verb} a channel that is in the dialplan"


class AriError(Exception):
    code = "ari_error"

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        operation: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.operation = operation
        super().__init__(self.human())

    def human(self) -> str:
        return f"Asterisk answered {self.status}: {self.message}" if self.status else self.message

    def __str__(self) -> str:
        return self.human()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, message={self.message!r},"
            f" method={self.method!r}, path={self.path!r})"
        )


class NotFound(AriError):
    code = "not_found"

    def human(self) -> str:
        return f"not found: {self.message}" if self.message else "not found"


class ChannelNotFound(NotFound):
    code = "channel_not_found"

    def human(self) -> str:
        return "the channel is gone"


class EndpointNotFound(NotFound):
    code = "endpoint_not_found"

    def human(self) -> str:
        return "Asterisk does not know that endpoint"


class Conflict(AriError):
    code = "conflict"

    def human(self) -> str:
        return f"Asterisk refused: {self.message}" if self.message else "Asterisk refused (conflict)"


class NotInStasis(Conflict):
    code = "not_in_stasis"

    def human(self) -> str:
        return not_in_stasis_reason(self.operation)


class DuplicateId(Conflict):
    code = "duplicate_id"

    def human(self) -> str:
        return "a channel with this id already exists"


class InvalidState(AriError):
    code = "invalid_state"

    def human(self) -> str:
        return "channel in an invalid state"


class Unprocessable(AriError):
    code = "unprocessable"

    def human(self) -> str:
        return f"Asterisk cannot do this: {self.message}" if self.message else "Asterisk cannot do this"


class BadRequest(AriError):
    code = "bad_request"

    def human(self) -> str:
        return f"Asterisk rejected the request: {self.message}" if self.message else "Asterisk rejected the request"


class Forbidden(AriError):
    code = "forbidden"

    def human(self) -> str:
        return f"not possible on this channel: {self.message}" if self.message else "not possible on this channel"


class AuthenticationFailed(AriError):
    code = "authentication_failed"

    def human(self) -> str:
        return "Asterisk refused the ARI user name or password"


class ServerError(AriError):
    code = "server_error"

    def human(self) -> str:
        if self.message == "Allocation failed":
            return "Asterisk could not create the channel (unknown technology or endpoint?)"
        return f"Asterisk failed: {self.message}" if self.message else "Asterisk failed"


class AriUnreachable(AriError):
    code = "unreachable"

    def human(self) -> str:
        return f"Asterisk is unreachable ({self.message})" if self.message else "Asterisk is unreachable"


class AriTimeout(AriError):
    code = "timeout"

    def human(self) -> str:
        if self.method in (None, "GET"):
            return "Asterisk did not answer in time"
        # A change may have reached Asterisk and been carried out all the same: say so, never "failed" alone.
        return "Asterisk did not answer in time: it may have done it anyway; the channel list shows what happened"


PREVIEW_LENGTH = 40
# A parameter's name comes from the caller too: an unknown one is quoted, never whole.
MAX_PARAMETER_NAME = 64


def printable(text: str) -> str:
    """The text with what neither UTF-8 nor PostgreSQL can hold (a lone surrogate, NUL) as U+FFFD."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\x00", "\ufffd")


def preview(value: Any, length: int = PREVIEW_LENGTH) -> str:
    """A refused value as a message may quote it: a short prefix of a text, a number, or its kind."""
    if value is None or isinstance(value, (bool, float)):
        return repr(value)
    if isinstance(value, int):
        return repr(value) if abs(value) < 10**length else "a very large number"
    if not isinstance(value, str):
        return type(value).__name__
    if len(value) <= length:
        return repr(value)
    return f"{value[:length]!r}… ({len(value)} characters)"


class ValidationError(AriError, ValueError):
    """A parameter that ARI would refuse (or misread), caught before any request."""

    code = "validation"

    def __init__(self, parameter: str, message: str, *, operation: str | None = None) -> None:
        self.parameter = parameter if len(parameter) <= MAX_PARAMETER_NAME else parameter[:MAX_PARAMETER_NAME - 1] + "…"
        super().__init__(message, operation=operation)

    def human(self) -> str:
        return f"{self.parameter}: {self.message}"

    def __repr__(self) -> str:
        return f"ValidationError(parameter={self.parameter!r}, message={self.message!r})"


def _ari_message(body: Any) -> str:
    if isinstance(body, Mapping):
        # ARI says {"message": ...}; an unknown technology gives 500 {"error": "Allocation failed"}.
        for key in ("message", "error"):
            value = body.get(key)
            if isinstance(value, str):
                return value
    if isinstance(body, str):
        return body.strip()[:200]
    return ""


def error_for(
    status: int,
    body: Any,
    *,
    method: str,
    path: str,
    operation: str | None = None,
) -> AriError:
    """The exception for an ARI error answer (``body`` is the decoded JSON or the text)."""
    message = _ari_message(body)
    lowered = message.lower()
    cls: type[AriError]
    if status == 401:
        cls = AuthenticationFailed
    elif status == 400:
        cls = BadRequest
    elif status == 403:
        cls = Forbidden
    elif status == 404:
        on_channel = path.startswith("/channels/") and ("channel" in lowered or not message)
        cls = ChannelNotFound if on_channel else EndpointNotFound if path.startswith("/endpoints/") else NotFound
    elif status == 409:
        if "not in stasis" in lowered or "not in a stasis" in lowered:
            cls = NotInStasis
        elif "unique id already exists" in lowered:
            cls = DuplicateId
        else:
            cls = Conflict
    elif status == 412:
        cls = InvalidState
    elif status == 422:
        cls = Unprocessable
    elif status >= 500:
        cls = ServerError
    else:
        cls = AriError
    return cls(message, status=status, method=method, path=path, operation=operation)
