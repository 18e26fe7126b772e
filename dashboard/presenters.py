"""One JSON shape for a channel (docs/frontend-contract.md): the REST API, the snapshot and every diff."""
from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings

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
            "snoop_of": entry.snoop_of,
            "bridges": sorted(entry.bridge_ids),
            "playbacks": sorted(entry.playbacks),
            "recordings": sorted(entry.recordings),
        },
        "dashboard_flags": sorted(entry.dashboard_flags),
        "blocked": blocked or {},
        "stuck": stuck or [],
    }


def present(entry, service, *, hide_monitoring: bool = False) -> dict:
    """The channel as the pages see it, with the actions its state rules out and why, and the
    stuck-channel rules that catch it now (dashboard/stuck.py)."""
    blocked = {name: reason for name, reason in service.applicable_actions(entry).items() if reason}
    data = channel_to_dict(entry, blocked, stuck_reasons(entry, settings.STUCK_RULES, time.time()))
    if hide_monitoring:
        data["flags"]["snooped_by"] = []
    return data
