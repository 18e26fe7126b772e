"""Stuck channels: the rules that mark a channel as stuck, by name and in words.

Pure functions of a ``LiveChannel``, the thresholds (``settings.STUCK_RULES``, from
``switchboard.env``; 0 turns a rule off) and ``now``: no I/O, cheap enough to run for every
channel each time the pages are sent one.

The times the rules read are kept by ari_bridge's registry from the event stream. A process that
has only just resynced from ``GET /channels`` knows a channel's creation time, state and bridges,
not its history: it counts the time since the last event, in the application, in no bridge and
without RTP from its own start (so these rules catch nothing until the thresholds have passed
since then), and the time in an unanswered state (Down, Ring, Ringing...) from the channel's
creation, which is exact since a channel never goes back to those states.
"""
from __future__ import annotations

from collections.abc import Iterable

from ari_bridge import LiveChannel
from ari_bridge.service import RTP_TECHNOLOGIES
from switchboard.env import StuckRules

# name -> label, in the order the pages list them.
RULES: dict[str, str] = {
    "too_old": "Too old",
    "ringing_too_long": "Ringing too long",
    "stasis_unbridged": "Waiting in an application",
    "no_events": "No events",
    "rtp_silent": "No incoming audio",
}
# Rules that need the channel's history: a freshly started process cannot apply them at once.
HISTORY_RULES = frozenset({"stasis_unbridged", "no_events", "rtp_silent"})


def _limits(rules: StuckRules) -> dict[str, float]:
    return {
        "too_old": rules.max_age_minutes * 60,
        "ringing_too_long": rules.ringing_seconds,
        "stasis_unbridged": rules.stasis_unbridged_minutes * 60,
        "no_events": rules.silent_minutes * 60,
        "rtp_silent": rules.rtp_silence_seconds,
    }


def _unbridged_since(entry: LiveChannel) -> float | None:
    """Since when it is in its application and in no bridge (None: it is not)."""
    if entry.stasis_app is None or entry.bridge_ids or entry.app_since is None:
        return None
    if entry.unbridged_since is None:
        return entry.app_since
    return max(entry.app_since, entry.unbridged_since)


def _rtp_idle_since(entry: LiveChannel) -> float | None:
    """Since when an answered RTP channel has received nothing (None: unknown, flowing, on hold)."""
    if (entry.rtp_idle_since is None or entry.held or entry.channel.state != "Up"
            or entry.channel.technology not in RTP_TECHNOLOGIES):
        return None
    return entry.rtp_idle_since


def _elapsed(entry: LiveChannel, rule: str, rules: StuckRules, now: float) -> float | None:
    """How long the channel has been in the condition the rule watches (None: it is not in it)."""
    if rule == "too_old":
        return now - entry.created_at
    if rule == "ringing_too_long":
        return now - entry.state_since if entry.channel.state in rules.ringing_states else None
    if rule == "stasis_unbridged":
        since = _unbridged_since(entry)
    elif rule == "no_events":
        since = entry.last_event_at
    else:
        since = _rtp_idle_since(entry)
    return None if since is None else now - since


def stuck_reasons(entry: LiveChannel, rules: StuckRules, now: float) -> list[str]:
    """The names of the rules that catch the channel now (empty: it is not stuck)."""
    out = []
    for rule, limit in _limits(rules).items():
        if limit > 0:
            elapsed = _elapsed(entry, rule, rules, now)
            if elapsed is not None and elapsed > limit:
                out.append(rule)
    return out


def find_stuck(entries: Iterable[LiveChannel], rules: StuckRules,
               now: float) -> list[tuple[LiveChannel, list[str]]]:
    """The stuck channels among ``entries``, oldest first, each with the rules that caught it."""
    found = [(entry, reasons) for entry in entries if (reasons := stuck_reasons(entry, rules, now))]
    found.sort(key=lambda item: (item[0].created_at, item[0].server, item[0].id))
    return found


# ---------------------------------------------------------------------------------- words

def duration(seconds: float) -> str:
    """3 s, 2 min 5 s, 4 h 12 min, 2 d 3 h."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        minutes, rest = divmod(s, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    if s < 86400:
        hours, rest = divmod(s, 3600)
        return f"{hours} h {rest // 60} min" if rest // 60 else f"{hours} h"
    days, rest = divmod(s, 86400)
    return f"{days} d {rest // 3600} h" if rest // 3600 else f"{days} d"


def _states(rules: StuckRules) -> str:
    states = list(rules.ringing_states)
    return states[0] if len(states) == 1 else f"{', '.join(states[:-1])} or {states[-1]}"


def describe_rules(rules: StuckRules) -> list[dict]:
    """Each rule, its threshold and what it means, for the page, the API and the command."""
    limits = _limits(rules)
    texts = {
        "too_old": "older than {limit}",
        "ringing_too_long": f"in {_states(rules)} for more than {{limit}}",
        "stasis_unbridged": "in a Stasis application and in no bridge for more than {limit}",
        "no_events": "no event for more than {limit}",
        "rtp_silent": "an answered SIP/PJSIP channel has received no RTP packet for more than {limit}",
    }
    return [{"rule": rule, "label": label, "limit_seconds": limits[rule], "enabled": limits[rule] > 0,
             "needs_history": rule in HISTORY_RULES,
             "text": texts[rule].format(limit=duration(limits[rule])) if limits[rule] > 0 else "off"}
            for rule, label in RULES.items()]


def explain(entry: LiveChannel, rule: str, rules: StuckRules, now: float) -> str:
    """Why the rule catches this channel, in words: 'Ringing for 3 min 5 s (limit 2 min)'."""
    elapsed = _elapsed(entry, rule, rules, now) or 0.0
    limit = f"(limit {duration(_limits(rules)[rule])})"
    if rule == "too_old":
        return f"created {duration(elapsed)} ago {limit}"
    if rule == "ringing_too_long":
        return f"{entry.channel.state} for {duration(elapsed)} {limit}"
    if rule == "stasis_unbridged":
        return f"in application {entry.stasis_app} and in no bridge for {duration(elapsed)} {limit}"
    if rule == "no_events":
        return f"no event for {duration(elapsed)} {limit}"
    return f"no RTP packet received for {duration(elapsed)} {limit}"


def reasons_in_words(entry: LiveChannel, rules: StuckRules, now: float) -> list[dict]:
    return [{"rule": rule, "label": RULES[rule], "text": explain(entry, rule, rules, now)}
            for rule in stuck_reasons(entry, rules, now)]
