"""Every attempted action, allowed or denied, lands here."""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from ari_bridge import preview, printable

from .models import AuditEntry

log = logging.getLogger(__name__)

# Values that must never be stored in clear (none of the ARI operations takes one today,
# but variables can carry anything a script sends).
_SECRET_HINTS = ("password", "secret", "token")
# A refused request may carry megabytes: a row keeps enough to see what was tried, not all of it.
MAX_PARAMS_SIZE = 4000  # characters of texts and names kept in one row's params, all told
MAX_VALUE = 200  # characters of one text
MAX_KEY = 64
MAX_DEPTH = 3
MAX_MESSAGE = 500
MAX_NUMBER = 10**18


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters of the text, and only what the database can store."""
    return printable(text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)")


class _Cleaner:
    """A copy of the params that fits a row: texts cut, secrets masked, whatever is past the budget dropped."""

    def __init__(self) -> None:
        self.budget = MAX_PARAMS_SIZE

    def value(self, value: Any, depth: int) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else preview(value)  # JSON has no word for inf
        if isinstance(value, int):
            return value if abs(value) < MAX_NUMBER else preview(value)
        if isinstance(value, str):
            text = _cut(value, min(MAX_VALUE, max(self.budget, 0)))
            self.budget -= len(text)
            return text
        if depth >= MAX_DEPTH or not isinstance(value, (Mapping, list, tuple)):
            return preview(value)
        if isinstance(value, Mapping):
            return self.mapping(value, depth + 1)
        out = []
        for item in value:
            if self.budget <= 0:
                out.append(f"… {len(value) - len(out)} more")
                break
            out.append(self.value(item, depth + 1))
        return out

    def mapping(self, params: Mapping, depth: int = 0) -> dict:
        out = {}
        for key, value in params.items():
            if self.budget <= 0:
                out["…"] = f"{len(params) - len(out)} more"
                break
            name = _cut(str(key), MAX_KEY)
            self.budget -= len(name)
            out[name] = "***" if any(h in name.lower() for h in _SECRET_HINTS) else self.value(value, depth)
        return out


def _clean(params: Mapping | None) -> dict:
    return _Cleaner().mapping(params) if params else {}


def _field(name: str, value: str) -> str:
    """A text column cut to its size (PostgreSQL refuses a longer one; SQLite would keep it)."""
    limit = AuditEntry._meta.get_field(name).max_length
    return printable(value if len(value) <= limit else value[:limit - 1] + "…")


def entry(
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
    """The row for one attempt, unsaved: cut to fit, secrets masked."""
    user = actor.user if actor is not None and actor.user.is_authenticated else None
    return AuditEntry(
        user=user,
        username=user.get_username() if user else "(anonymous)",
        action=_field("action", action),
        server=_field("server", server or ""),
        channel_id=_field("channel_id", channel_id or ""),
        channel_name=_field("channel_name", channel_name or ""),
        params=_clean(params),
        outcome=outcome,
        status=status,
        message=_cut(message, MAX_MESSAGE),
        source=source,
    )


def _logged(row: AuditEntry) -> None:
    log.info("audit %s %s %s %s %s", row.username, row.action, row.channel_id, row.outcome, row.status)


def record(**fields) -> AuditEntry:
    """Write one attempt now, from sync code (in the caller's thread and transaction)."""
    row = entry(**fields)
    row.save()
    _logged(row)
    return row


async def arecord(**fields) -> None:
    """Write one attempt from the event loop: through this process's batching writer, returning once it is
    committed (so that an answer the caller got is always in the log)."""
    from . import runtime

    row = entry(**fields)
    await runtime.acall(runtime.get().audit.write(row))
    _logged(row)
