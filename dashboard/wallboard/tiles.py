"""The wallboard's JSON (docs/frontend-contract.md, "Wallboard"): one shape for the page's socket and the REST API.

A tile is what the feed knows of an endpoint (board.Tile.to_dict) plus who uses it (people.Person);
a user's endpoint that Asterisk does not list gets a tile too, offline and marked ``known: false``.
Endpoints matching WALLBOARD_HIDE (shell patterns such as ``PJSIP/trunk*``) are left out.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

from django.conf import settings

from .board import BUSY, HELD, IDLE, IN_CALL, OFFLINE, RINGING
from .people import NO_GROUP, Person


def _shown(endpoint: str) -> bool:
    return not any(fnmatchcase(endpoint, pattern) for pattern in settings.WALLBOARD_HIDE)


def present(tile: Mapping, person: Person | None) -> dict:
    resource = tile["endpoint"].partition("/")[2] or tile["endpoint"]
    return {
        **tile,
        "name": person.name if person else resource,
        "user": person.username if person else None,
        "group": person.group if person else NO_GROUP,
        "extension": person.extension if person else "",
        "known": True,
    }


def _unknown(server: str, endpoint: str, person: Person) -> dict:
    tile = {"id": f"{server}:{endpoint}", "server": server, "endpoint": endpoint, "status": OFFLINE, "since": None,
            "answered": None, "peer": {"name": "", "number": ""}, "call_ids": [], "calls": 0, "outgoing": False,
            "state": "", "device": ""}
    return {**present(tile, person), "known": False}


def phones_server() -> str:
    """Where users' phones are registered (their profiles name no server): click-to-call's server."""
    return settings.CLICK_TO_CALL_SERVER or settings.ARI_SERVERS[0].name


def present_many(tiles: Iterable[Mapping], people: Mapping[str, Person]) -> list[dict]:
    return [present(tile, people.get(tile["endpoint"])) for tile in tiles if _shown(tile["endpoint"])]


def board(tiles: Iterable[Mapping], people: Mapping[str, Person]) -> list[dict]:
    """Every tile to show, people's phones that Asterisk does not know included."""
    out = present_many(tiles, people)
    known = {tile["endpoint"] for tile in out}
    server = phones_server()
    out += [_unknown(server, endpoint, person) for endpoint, person in people.items()
            if endpoint not in known and _shown(endpoint)]
    return out


def counters(tiles: Iterable[Mapping], now: float) -> dict:
    """Calls now (each call once), people ringing / on a call / on hold / idle / offline, the longest call (s)."""
    counts = dict.fromkeys((IDLE, RINGING, BUSY, HELD, OFFLINE), 0)
    calls = set()
    longest = None
    for tile in tiles:
        status = tile["status"]
        counts[status] += 1
        calls.update(tile["call_ids"])
        if status in IN_CALL and tile["answered"] is not None:
            longest = max(longest or 0.0, now - tile["answered"])
    return {"calls": len(calls), **counts, "longest_call": None if longest is None else round(longest, 1)}
