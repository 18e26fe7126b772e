"""What the pages, the REST API and the WebSocket call: authorise, validate, act through ari_bridge, audit.

Every attempt lands in the audit log exactly once, whatever its outcome.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.conf import settings

from ari_bridge import errors as ari_errors
from ari_bridge import preview, printable

from . import audit, confirm, runtime
from .access import Actor, Denied
from .actions import ACTIONS, Action, Param
from .models import AuditEntry


MAX_MESSAGE = 500
MAX_PARAMETER = ari_errors.MAX_PARAMETER_NAME


@dataclass
class ActionError(Exception):
    """A failed action, in words for a person, with the HTTP status the API answers."""

    status: int
    message: str
    code: str
    parameter: str | None = None

    def __post_init__(self) -> None:
        # Whatever went into the words (a value, a name, Asterisk's answer), the answer stays short and
        # encodable.
        if len(self.message) > MAX_MESSAGE:
            self.message = self.message[:MAX_MESSAGE - 1] + "…"
        self.message = printable(self.message)
        if self.parameter:
            if len(self.parameter) > MAX_PARAMETER:
                self.parameter = self.parameter[:MAX_PARAMETER - 1] + "…"
            self.parameter = printable(self.parameter)

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        d = {"message": self.message, "code": self.code}
        if self.parameter:
            d["parameter"] = self.parameter
        return d


# ARI's answer -> (our status, code). ARI's own 403 means "not for this channel type", not "your role".
_ARI_ERRORS: list[tuple[type, int, str]] = [
    (ari_errors.ChannelNotFound, 404, "not_found"),
    (ari_errors.NotFound, 404, "not_found"),
    (ari_errors.NotInStasis, 409, "not_in_stasis"),
    (ari_errors.DuplicateId, 409, "duplicate_id"),
    (ari_errors.Conflict, 409, "conflict"),
    (ari_errors.InvalidState, 412, "invalid_state"),
    (ari_errors.Unprocessable, 422, "unprocessable"),
    (ari_errors.Forbidden, 422, "unsupported"),
    (ari_errors.BadRequest, 400, "bad_request"),
    (ari_errors.AuthenticationFailed, 502, "ari_auth"),
    (ari_errors.AriTimeout, 504, "ari_timeout"),
    (ari_errors.AriUnreachable, 503, "ari_unreachable"),
    (ari_errors.ServerError, 502, "ari_error"),
]


def _from_ari(exc: Exception, action: Action | None = None) -> ActionError:
    if isinstance(exc, ari_errors.ValidationError):
        # ari_bridge names the Python keyword; people and scripts know the spec's name.
        spec_names = {p.kwarg: p.name for p in action.params} if action else {}
        parameter = spec_names.get(exc.parameter, exc.parameter)
        return ActionError(400, f"{parameter}: {exc.message}", "invalid", parameter)
    for cls, status, code in _ARI_ERRORS:
        if isinstance(exc, cls):
            return ActionError(status, str(exc), code)
    return ActionError(502, f"Asterisk answered with an error: {exc}", "ari_error")


# A query string carries integers as text: digits only (int() would also take "1_000", " 7" or "١٢").
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,20}")
_KINDS = {"int": "an integer", "bool": "true or false", "variables": "an object of text values"}


def _coerce(param: Param, value: Any) -> Any:
    """Take a JSON value (or an integer's text from a query string) as the type ari_bridge expects, never
    rounding nor guessing: 1.5 is no integer and "yes" no boolean. Ranges, lengths and shapes are its job."""
    if value is None or value == "":
        return None
    if param.type == "int":
        if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif param.type == "bool":
        if isinstance(value, bool):
            return value
    elif param.type == "variables":
        if isinstance(value, dict):
            return value
    elif isinstance(value, str):
        return value
    raise ActionError(400, f"{param.name} must be {_KINDS.get(param.type, 'text')}, not {preview(value)}",
                      "invalid", param.name)


def build_kwargs(action: Action, params: Mapping) -> dict:
    known = {p.name: p for p in action.params}
    unknown = sorted(str(name) for name in set(params) - set(known) - {"server"})
    if unknown:
        raise ActionError(400, f"unknown parameter {preview(unknown[0])} for {action.name}", "invalid", unknown[0])
    kwargs = {}
    for name, param in known.items():
        value = _coerce(param, params.get(name))
        if value is None:
            if param.required:
                raise ActionError(400, f"{name} is required", "invalid", name)
            continue
        kwargs[param.kwarg] = value
    return kwargs


def resolve_server(server: Any, channel_id: str | None = None) -> str:
    names = [s.name for s in settings.ARI_SERVERS]
    if server:
        if server not in names:
            raise ActionError(400, f"unknown Asterisk server {preview(server)}", "invalid", "server")
        return server
    if len(names) == 1:
        return names[0]
    if channel_id:
        owners = [n for n in names if runtime.get().replica.registry.get((n, channel_id)) is not None]
        if len(owners) == 1:
            return owners[0]
    raise ActionError(400, "server is required when several Asterisk servers are configured", "invalid", "server")


def to_json(result: Any) -> Any:
    if result is None:
        return None
    if dataclasses.is_dataclass(result):
        return result.to_dict() if hasattr(result, "to_dict") else dataclasses.asdict(result)
    return result


NO_PARAMS: Mapping = MappingProxyType({})


def refused(actor: Actor, action: str, err: ActionError, *, source: str, outcome: str = AuditEntry.Outcome.INVALID,
            **fields) -> ActionError:
    """Audit a request refused before it could be performed, for its input (a body too large, of another type,
    not an object...) or, with `outcome` DENIED, for its missing CSRF token; returns the error."""
    audit.record(actor=actor, action=action, outcome=outcome, status=err.status, message=err.message,
                 source=source, **fields)
    return err


@dataclass
class _Attempt:
    """One action on its way: what it is audited with, and the ARI call once it is authorised and valid."""

    action: Action
    audit: dict
    call: Any = None  # the coroutine: ARI's answer, confirmed (confirm.outcome)


def _prepare(actor: Actor, name: str, server: Any, channel_id: str | None, given: Any, source: str) -> _Attempt:
    """Authorise and validate (all in memory); raises ActionError, with `attempt` on it for the audit."""
    params = dict(given) if isinstance(given, Mapping) else {}
    action = ACTIONS.get(name)
    if action is None:
        raise ActionError(404, f"no such action: {preview(name)}", "unknown_action")
    attempt = _Attempt(action, {"actor": actor, "action": name, "params": params, "source": source,
                                "channel_id": channel_id or ""})
    try:
        if not isinstance(given, Mapping):
            raise ActionError(400, f"the parameters must be a JSON object of names and values, not "
                                   f"{preview(given)}", "invalid")
        rt = runtime.get()
        server = resolve_server(server or params.get("server"), channel_id)
        attempt.audit["server"] = server
        entry = None
        if action.on_channel:
            entry = rt.replica.registry.get((server, channel_id))
            attempt.audit["channel_name"] = entry.channel.name if entry else ""
        try:
            actor.check(action, entry, own=rt.replica.own_keys(actor.endpoint) if not actor.sees_all else None)
        except Denied as denied:
            raise ActionError(403, str(denied), "forbidden") from None
        kwargs = build_kwargs(action, params)
        if name in ("snoop_channel", "snoop_channel_with_id") and "app" not in kwargs:
            kwargs["app"] = rt.servers[server].app
        method = getattr(rt.service, name)
        request = method(server, channel_id, **kwargs) if action.on_channel else method(server, **kwargs)
        # Some operations answer 2xx before they happen (or fail): wait for Asterisk's word.
        attempt.call = confirm.outcome(name, rt.replica, server, channel_id, kwargs, request)
    except ActionError as err:
        err.attempt = attempt
        raise
    return attempt


def _failed(action: Action, exc: Exception) -> ActionError:
    if isinstance(exc, confirm.Failed):
        return ActionError(exc.status, exc.message, exc.code)
    return _from_ari(exc, action)


def _outcome(err: ActionError) -> str:
    return {400: AuditEntry.Outcome.INVALID, 403: AuditEntry.Outcome.DENIED}.get(err.status,
                                                                                AuditEntry.Outcome.FAILED)


def _audited(err: ActionError) -> dict | None:
    """The audit fields of a refused or failed attempt (None: not an action at all)."""
    attempt = getattr(err, "attempt", None)
    if attempt is None:
        return None
    return {**attempt.audit, "outcome": _outcome(err), "status": err.status, "message": err.message}


def _succeeded(attempt: _Attempt, result: Any) -> dict:
    return {**attempt.audit, "outcome": AuditEntry.Outcome.OK, "status": 200 if result is not None else 204}


def perform(actor: Actor, name: str, *, server: str | None = None, channel_id: str | None = None,
            params: Any = NO_PARAMS, source: str = "api") -> Any:
    """Authorise, validate, call ARI and audit one action, from sync code (the sweep, commands).
    Raises ActionError; returns JSON-able data.

    `params` is what the caller sent (decoded JSON): anything but an object is refused, and audited."""
    try:
        attempt = _prepare(actor, name, server, channel_id, params, source)
        try:
            result = runtime.call(attempt.call)
        except (ari_errors.AriError, confirm.Failed) as exc:
            err = _failed(attempt.action, exc)
            err.attempt = attempt
            raise err from None
    except ActionError as err:
        if (fields := _audited(err)) is not None:
            audit.record(**fields)
        raise
    audit.record(**_succeeded(attempt, result))
    return to_json(result)


async def aperform(actor: Actor, name: str, *, server: str | None = None, channel_id: str | None = None,
                   params: Any = NO_PARAMS, source: str = "api") -> Any:
    """perform() on the event loop (the REST actions and the live socket): no thread, no database read; the
    audit row goes through the batching writer and is committed before this returns."""
    try:
        attempt = _prepare(actor, name, server, channel_id, params, source)
        try:
            result = await runtime.acall(attempt.call)
        except (ari_errors.AriError, confirm.Failed) as exc:
            err = _failed(attempt.action, exc)
            err.attempt = attempt
            raise err from None
    except ActionError as err:
        if (fields := _audited(err)) is not None:
            await audit.arecord(**fields)
        raise
    await audit.arecord(**_succeeded(attempt, result))
    return to_json(result)
