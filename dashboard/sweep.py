"""The stuck-channel sweep: the dry-run preview and the bulk hangup behind the Stuck page, its REST
API and ``manage.py sweep_stuck``.

Only roles that may hang up any call (hangup + see every channel: supervisor, noc, admin) may
sweep. Each hangup goes through ``services.perform``: authorised and audited one by one (source
"stuck" from the page and the API, "command" from the command). A channel that is gone by the time
its hangup is sent (ARI answers 404) counts as done: ``already_gone``, not ``failed``. A channel
that is still there but no rule catches any more (answered since the preview, say) is left alone:
``skipped``, audited as such.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from django.conf import settings

import ari_bridge

from . import audit, runtime, services
from .access import Actor
from .actions import ACTIONS
from .models import AuditEntry
from .presenters import present
from .services import ActionError
from .stuck import describe_rules, find_stuck, reasons_in_words, stuck_reasons

HANGUP_REASONS: tuple[str, ...] = next(p.choices for p in ACTIONS["hangup"].params if p.name == "reason")
DEFAULT_REASON = "normal"
MAX_CHANNELS = 1000
Key = tuple[str, str]


def may_sweep(actor: Actor) -> bool:
    return actor.sees_all and actor.may("hangup")


def _refuse(actor: Actor, action: str, source: str, params: dict | None = None) -> None:
    if may_sweep(actor):
        return
    message = f"your role ({actor.role_label}) cannot sweep stuck channels: that takes hanging up any call"
    audit.record(actor=actor, action=action, outcome=AuditEntry.Outcome.DENIED, status=403, message=message,
                 params=params, source=source)
    raise ActionError(403, message, "forbidden")


def _server(server: str | None) -> str | None:
    return services.resolve_server(server) if server else None


def stuck_entries(server: str | None = None, now: float | None = None):
    """[(entry, rule names)] of the stuck channels the runtime's replica knows, oldest first."""
    now = time.time() if now is None else now
    return find_stuck(runtime.get().replica.registry.values(server), settings.STUCK_RULES, now)


def preview(actor: Actor, *, server: str | None = None, source: str = "api") -> dict:
    """The dry run: every stuck channel, with the rules that caught it in words. Changes nothing."""
    _refuse(actor, "view_stuck", source)
    server = _server(server)
    now = time.time()
    rules = settings.STUCK_RULES
    rt = runtime.get()
    results = []
    for entry, names in stuck_entries(server, now):
        data = present(entry, rt.service, sessions=rt.replica.sessions)
        data["stuck"] = names
        data["reasons"] = reasons_in_words(entry, rules, now)
        results.append(data)
    return {"count": len(results), "now": now, "rules": describe_rules(rules), "results": results}


def parse_channels(values) -> list[Key]:
    """["server:id", ...] (or bare ids with one server) -> [(server, id)], without duplicates."""
    if not isinstance(values, list) or not values:
        raise ActionError(400, "channels must be a non-empty list of channel uids (server:id)", "invalid",
                          "channels")
    if len(values) > MAX_CHANNELS:
        raise ActionError(400, f"channels: at most {MAX_CHANNELS} at a time", "invalid", "channels")
    keys: dict[Key, None] = {}
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise ActionError(400, "channels must be a list of channel uids (server:id)", "invalid", "channels")
        server, sep, channel_id = value.strip().partition(":")
        if not sep:
            server, channel_id = "", server
        if not channel_id:
            raise ActionError(400, f"channels: {ari_bridge.preview(value)} names no channel", "invalid", "channels")
        try:
            server = services.resolve_server(server or None, channel_id)
        except ActionError as err:
            raise ActionError(400, f"channels: {ari_bridge.preview(value)}: {err.message}", "invalid",
                              "channels") from None
        keys[(server, channel_id)] = None
    return list(keys)


def check_request(actor: Actor, channels, reason, confirm, *, source: str = "api") -> tuple[list[Key], str]:
    """Validate a bulk hangup request (audited once when refused); returns (keys, reason)."""
    params = {"channels": channels if isinstance(channels, list) else str(channels), "reason": reason,
              "confirm": confirm}
    _refuse(actor, "hangup", source, params)
    try:
        keys = parse_channels(channels)
        if reason in (None, ""):
            reason = DEFAULT_REASON
        if reason not in HANGUP_REASONS:
            raise ActionError(400, f"reason must be one of {', '.join(HANGUP_REASONS)}", "invalid", "reason")
        if confirm is not True:
            raise ActionError(400, "confirm must be true: a bulk hangup cannot be undone", "invalid", "confirm")
    except ActionError as err:
        audit.record(actor=actor, action="hangup", outcome=AuditEntry.Outcome.INVALID, status=400,
                     message=err.message, params=params, source=source)
        raise
    return keys, reason


def hangup(actor: Actor, keys: Sequence[Key], reason: str = DEFAULT_REASON, *, source: str = "stuck") -> dict:
    """Hang up each channel, one audited request at a time; what happened to each, in four lists:
    hung_up, already_gone, skipped (no longer stuck) and failed (with the reason)."""
    _refuse(actor, "hangup", source, {"channels": [f"{s}:{c}" for s, c in keys], "reason": reason})
    registry = runtime.get().replica.registry
    rules = settings.STUCK_RULES
    summary: dict[str, list] = {"hung_up": [], "already_gone": [], "skipped": [], "failed": []}
    for server, channel_id in keys:
        entry = registry.get((server, channel_id))
        item = {"id": f"{server}:{channel_id}", "name": entry.channel.name if entry else ""}
        if entry is not None and not stuck_reasons(entry, rules, time.time()):
            message = "no longer stuck: left alone"
            audit.record(actor=actor, action="hangup", outcome=AuditEntry.Outcome.INVALID, status=409,
                         server=server, channel_id=channel_id, channel_name=entry.channel.name,
                         params={"reason": reason}, message=message, source=source)
            summary["skipped"].append({**item, "message": message})
            continue
        try:
            services.perform(actor, "hangup", server=server, channel_id=channel_id, params={"reason": reason},
                             source=source)
        except ActionError as err:
            if err.status == 404:
                summary["already_gone"].append(item)
            else:
                summary["failed"].append({**item, "message": err.message, "status": err.status})
            continue
        summary["hung_up"].append(item)
    return summary


def summary_counts(summary: dict) -> dict[str, int]:
    return {key: len(items) for key, items in summary.items()}


def uids(keys: Iterable[Key]) -> list[str]:
    return [f"{server}:{channel_id}" for server, channel_id in keys]
