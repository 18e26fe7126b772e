"""Reading channels: the live list with filters, sorting and paging, and one channel's details."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

from . import audit, runtime
from .access import Actor
from .models import AuditEntry
from .presenters import present
from .services import ActionError, resolve_server

STATES = ("Down", "Rsrved", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy", "Dialing Offhook", "Pre-ring",
          "Unknown")
SORTS = ("created", "name", "state", "id", "caller", "connected", "last_event", "server", "app")
MAX_LIMIT = 1000


def _int(query: Mapping, name: str, minimum: int = 0, maximum: int | None = None) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ActionError(400, f"{name} must be an integer", "invalid", name) from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ActionError(400, f"{name} must be {bound}", "invalid", name)
    return value


def list_channels(actor: Actor, query: Mapping) -> dict:
    state = query.get("state") or None
    if state is not None and state not in STATES:
        raise ActionError(400, f"state must be one of {', '.join(STATES)}", "invalid", "state")
    in_app_raw = query.get("in_app")
    in_app = None
    if in_app_raw not in (None, ""):
        if in_app_raw.lower() not in ("true", "false"):
            raise ActionError(400, "in_app must be true or false", "invalid", "in_app")
        in_app = in_app_raw.lower() == "true"
    sort = query.get("sort") or "-created"
    if sort.lstrip("-") not in SORTS:
        raise ActionError(400, f"sort must be one of {', '.join(SORTS)} (prefix - for descending)", "invalid", "sort")
    server = query.get("server") or None
    if server is not None:
        server = resolve_server(server)
    offset = _int(query, "offset") or 0
    limit = _int(query, "limit", 1, MAX_LIMIT) or 100
    rt = runtime.get()
    filters = {"text": query.get("text") or None, "state": state, "in_app": in_app, "server": server,
               "min_age": _int(query, "min_age"), "max_age": _int(query, "max_age"), "sort": sort}
    if actor.sees_all:
        total, entries = rt.service.list_channels(**filters, offset=offset, limit=limit)
    else:
        _, everything = rt.service.list_channels(**filters)
        own = rt.replica.own_keys(actor.endpoint)
        mine = [e for e in everything if actor.can_see(e, own)]
        total, entries = len(mine), mine[offset:offset + limit]
    return {"count": total, "results": [present(e, rt.service, hide_monitoring=_hide(actor)) for e in entries]}


@dataclass
class ChannelGone(ActionError):
    """404 for a channel Asterisk no longer has, with the last state this process saw of it."""

    last_seen: dict | None = None
    gone_at: float | None = None

    def as_dict(self) -> dict:
        return {**super().as_dict(), "last_seen": self.last_seen, "gone_at": self.gone_at}


def channel_detail(actor: Actor, server: str | None, channel_id: str) -> dict:
    rt = runtime.get()
    server = resolve_server(server, channel_id)
    entry = rt.replica.registry.get((server, channel_id))
    if entry is None:
        record = rt.replica.gone_record((server, channel_id))
        # Whose bridges it shared is not kept: an agent reads their own phone's gone calls only.
        if record is not None and actor.can_see(record[0], set()):
            last, went = record
            raise ChannelGone(404, "the channel is gone: Asterisk no longer has it (last_seen: how it was then)",
                              "gone", last_seen=present(last, rt.service, hide_monitoring=_hide(actor)),
                              gone_at=round(went, 3))
        raise ActionError(404, "the channel is gone (or never existed)", "not_found")
    own = None if actor.sees_all else rt.replica.own_keys(actor.endpoint)
    if not actor.can_see(entry, own):
        message = f"your role ({actor.role_label}) may only see your own calls"
        audit.record(actor=actor, action="view", outcome=AuditEntry.Outcome.DENIED, server=server,
                     channel_id=channel_id, channel_name=entry.channel.name, status=403, message=message,
                     source="api")
        raise ActionError(403, message, "forbidden")
    return present(entry, rt.service, hide_monitoring=_hide(actor))


def _hide(actor: Actor) -> bool:
    return not actor.sees_all and not settings.MONITOR_VISIBLE_TO_AGENTS
