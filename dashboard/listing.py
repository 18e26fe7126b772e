"""Reading channels: the live list with filters, sorting and paging, and one channel's details."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from rest_framework import serializers

from . import audit, runtime
from .access import Actor
from .inputs import MAX_FILTER_TEXT, MAX_SERVER_NAME, ChoiceField, QueryBooleanField, QuerySerializer
from .models import AuditEntry
from .presenters import present
from .services import ActionError, resolve_server

STATES = ("Down", "Rsrved", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy", "Dialing Offhook", "Pre-ring",
          "Unknown")
SORTS = ("created", "name", "state", "id", "caller", "connected", "last_event", "server", "app")
MAX_LIMIT = 1000
MAX_AGE = 10 * 365 * 86400  # seconds: no channel lives ten years
MAX_OFFSET = 10**9


class ChannelQuery(QuerySerializer):
    """The filters, sort and page of the channel list."""

    text = serializers.CharField(required=False, max_length=MAX_FILTER_TEXT,
                                 help_text="in the id, name, caller or connected party")
    state = ChoiceField(choices=STATES, required=False)
    in_app = QueryBooleanField(required=False, help_text="true: in a Stasis application; false: in the dialplan")
    server = serializers.CharField(required=False, max_length=MAX_SERVER_NAME)
    min_age = serializers.IntegerField(required=False, min_value=0, max_value=MAX_AGE, help_text="seconds")
    max_age = serializers.IntegerField(required=False, min_value=0, max_value=MAX_AGE, help_text="seconds")
    sort = ChoiceField(choices=[f"{d}{s}" for s in SORTS for d in ("", "-")], required=False, default="-created",
                       help_text="a column; prefix - for descending")
    offset = serializers.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET, default=0)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=100)


def list_channels(actor: Actor, query: dict) -> dict:
    """The visible channels that pass ChannelQuery's validated filters, one page of them."""
    server = resolve_server(query["server"]) if query.get("server") else None
    offset, limit = query["offset"], query["limit"]
    rt = runtime.get()
    filters = {"text": query.get("text"), "state": query.get("state"), "in_app": query.get("in_app"), "server": server,
               "min_age": query.get("min_age"), "max_age": query.get("max_age"), "sort": query["sort"]}
    if actor.sees_all:
        total, entries = rt.service.list_channels(**filters, offset=offset, limit=limit)
    else:
        _, everything = rt.service.list_channels(**filters)
        own = rt.replica.own_keys(actor.endpoint)
        mine = [e for e in everything if actor.can_see(e, own)]
        total, entries = len(mine), mine[offset:offset + limit]
    return {"count": total, "results": [present(e, rt.service, sessions=rt.replica.sessions, hide_monitoring=_hide(actor)) for e in entries]}


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
                              "gone", last_seen=present(last, rt.service, sessions=rt.replica.sessions,
                                                        hide_monitoring=_hide(actor)),
                              gone_at=round(went, 3))
        raise ActionError(404, "the channel is gone (or never existed)", "not_found")
    own = None if actor.sees_all else rt.replica.own_keys(actor.endpoint)
    if not actor.can_see(entry, own):
        message = f"your role ({actor.role_label}) may only see your own calls"
        audit.record(actor=actor, action="view", outcome=AuditEntry.Outcome.DENIED, server=server,
                     channel_id=channel_id, channel_name=entry.channel.name, status=403, message=message,
                     source="api")
        raise ActionError(403, message, "forbidden")
    return present(entry, rt.service, sessions=rt.replica.sessions, hide_monitoring=_hide(actor))


def _hide(actor: Actor) -> bool:
    return not actor.sees_all and not settings.MONITOR_VISIBLE_TO_AGENTS
