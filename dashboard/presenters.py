"""One JSON shape for a channel (docs/frontend-contract.md): the REST API, the snapshot and every diff."""
from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime

from django.conf import settings

from .monitorable import session_of, why_not_monitor
from .stuck import stuck_reasons


def _epoch(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    return float(value)


def channel_to_dict(entry, blocked: dict[str, str] | None = None, stuck: list[str] | None = None) -> dict:
    ch = entry.channel
    dp = ch.dialplan
    return {
        "uid": f"{entry.server}:{ch.id}",
        "server": entry.server,
        "id": ch.id,
        "name": ch.name,
        "state": ch.state,
        "caller": {"name": ch.caller.name, "number": ch.caller.number},
        "connected": {"name": ch.connected.name, "number": ch.connected.number},
        "dialplan": {"context": dp.context, "exten": dp.exten, "priority": dp.priority,
                     "app_name": dp.app_name, "app_data": dp.app_data} if dp else None,
        "app": entry.stasis_app,
        "created": _epoch(entry.created_at),
        "last_event": _epoch(entry.last_event_at),
        "language": ch.language,
        "accountcode": ch.accountcode,
        "flags": {
            "held": entry.held,
            "held_by": entry.held_by,
            "muted": sorted(entry.muted),
            "moh": entry.moh_class,
            "silence": entry.silence,
            "ringing": entry.ringing,
            "snooped_by": sorted(entry.snooped_by),
            "snoopers": [],  # filled in by present() for those who may know
            "snoop_of": entry.snoop_of,
            "bridges": sorted(entry.bridge_ids),
            "playbacks": sorted(entry.playbacks),
            "recordings": sorted(entry.recordings),
        },
        "dashboard_flags": sorted(entry.dashboard_flags),
        "blocked": blocked or {},
        "stuck": stuck or [],
    }


class BlockedMaps:
    """The few distinct `blocked` maps, numbered in order of first use (append-only).

    A dialplan channel's map repeats twenty sentences, ~2 kB, four fifths of the channel's JSON; the
    live socket sends each map once and then only its number (docs/frontend-contract.md). A map
    depends only on whether the channel is in an app, its state and its technology, so a process
    meets a few dozen at most."""

    def __init__(self) -> None:
        self.maps: list[dict[str, str]] = []
        self._numbers: dict[tuple, int] = {}

    def number(self, blocked: dict[str, str]) -> int:
        key = tuple(blocked.items())
        found = self._numbers.get(key)
        if found is None:
            found = self._numbers[key] = len(self.maps)
            self.maps.append(blocked)
        return found


def _snoopers(entry, service, sessions: Mapping[str, dict]) -> list[dict]:
    """Who listens through each snoop channel: its name, and the user whose monitoring session made it."""
    out = []
    for snoop_id in sorted(entry.snooped_by):
        snoop = service.registry.get((entry.server, snoop_id))
        session = session_of(snoop_id, sessions)
        out.append({"id": snoop_id, "name": snoop.channel.name if snoop else "",
                    "user": session.get("owner") if session else None})
    return out


def present(entry, service, *, sessions: Mapping[str, dict], hide_monitoring: bool = False,
            blocked_maps: BlockedMaps | None = None) -> dict:
    """The channel as the pages see it, with the actions its state rules out and why (ARI's rules, and
    the dashboard's own for monitoring: `sessions` are the workflow sessions by id), and the
    stuck-channel rules that catch it now (dashboard/stuck.py). With `blocked_maps`, `blocked` is the
    number of the map in it rather than the map."""
    blocked = {name: reason for name, reason in service.applicable_actions(entry).items() if reason}
    monitor = why_not_monitor(entry, sessions)
    if monitor:
        blocked["monitor"] = monitor
    data = channel_to_dict(entry, blocked, stuck_reasons(entry, settings.STUCK_RULES, time.time()))
    if blocked_maps is not None:
        data["blocked"] = blocked_maps.number(blocked)
    if hide_monitoring:
        data["flags"]["snooped_by"] = []
    elif entry.snooped_by:
        data["flags"]["snoopers"] = _snoopers(entry, service, sessions)
    return data
