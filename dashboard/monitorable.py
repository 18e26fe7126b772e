"""Why the dashboard will not start monitoring a channel, in the words POST /api/v1/monitor answers with.

The same words are the channel's `blocked["monitor"]` (presenters.py), so that the REST API, the live
socket and the page's Listen button say no before the request, for the same reason the request gets."""
from __future__ import annotations

import re
from collections.abc import Mapping

# Every channel a workflow creates is named sb-<session id>-<role> (dashboard/workflows/flow.py).
_SESSION_CHANNEL = re.compile(r"sb-([0-9a-f]{12})-")

SNOOP = "that is a snoop channel: listen to the call it watches"
SESSION_LEG = "that channel belongs to a monitoring or click-to-call session"


def session_of(channel_id: str, sessions: Mapping[str, dict]) -> dict | None:
    """The monitoring or click-to-call session that made this channel, while the session is known."""
    match = _SESSION_CHANNEL.match(channel_id)
    return sessions.get(match.group(1)) if match else None


def why_not_monitor(entry, sessions: Mapping[str, dict]) -> str | None:
    if entry.snoop_of or entry.channel.name.startswith("Snoop/"):
        return SNOOP
    if session_of(entry.channel.id, sessions) is not None:
        return SESSION_LEG
    return None
