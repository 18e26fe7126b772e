"""Every attempted action, allowed or denied, lands here."""
from __future__ import annotations

import logging

from .models import AuditEntry

log = logging.getLogger(__name__)

# Values that must never be stored in clear (none of the ARI operations takes one today,
# but variables can carry anything a script sends).
_SECRET_HINTS = ("password", "secret", "token")


def _clean(params: dict | None) -> dict:
    if not params:
        return {}
    out = {}
    for key, value in params.items():
        if any(h in str(key).lower() for h in _SECRET_HINTS):
            value = "***"
        elif isinstance(value, dict):
            value = _clean(value)
        elif not isinstance(value, (str, int, float, bool, type(None), list)):
            value = str(value)
        out[str(key)] = value
    return out


def record(
    *,
    actor,
    action: str,
    outcome: str,
    server: str = "",
    channel_id: str = "",
    channel_name: str = "",
    params: dict | None = None,
    status: int | None = None,
    message: str = "",
    source: str = "",
) -> AuditEntry:
    user = actor.user if actor is not None and actor.user.is_authenticated else None
    entry = AuditEntry.objects.create(
        user=user,
        username=user.get_username() if user else "(anonymous)",
        action=action,
        server=server or "",
        channel_id=channel_id or "",
        channel_name=channel_name or "",
        params=_clean(params),
        outcome=outcome,
        status=status,
        message=message[:2000],
        source=source,
    )
    log.info("audit %s %s %s %s %s", entry.username, action, channel_id, outcome, status)
    return entry
