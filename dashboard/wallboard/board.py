"""What every endpoint (phone) is doing now: one ``Tile`` per endpoint Asterisk knows.

Fed in the process that holds the ARI event streams (``feed.WallboardFeed``) by:

- ``set_endpoints``: ``GET /endpoints`` after each (re)connect (which endpoints exist, online or not);
- ``apply``: EndpointStateChange / PeerStatusChange (an endpoint's snapshot: whether it is online) and
  DeviceStateChanged (UNAVAILABLE: offline; INUSE, RINGING, ONHOLD: busy when no channel explains it).
  With ``subscribeAll`` Asterisk sends the last two only; EndpointStateChange arrives when the app is
  subscribed to the endpoint;
- ``channels_changed``: the channel registry's changes. A channel belongs to the endpoint its name
  starts with (``PJSIP/alice-00000012``: ``PJSIP/alice``); its state, hold flag, connected line and
  bridge give the tile its status, the party on the line and since when.

Nothing here does I/O: ``flush`` recomputes the tiles touched since the last flush and says which changed.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ari_bridge import (
    CallerID,
    Change,
    DeviceStateChanged,
    Endpoint,
    EndpointStateChange,
    LiveChannel,
    PeerStatusChange,
)

from ..access import endpoint_of

Key = tuple[str, str]  # (server, "PJSIP/alice")
ChannelKey = tuple[str, str]  # (server, channel id)

IDLE, RINGING, BUSY, HELD, OFFLINE = "idle", "ringing", "busy", "held", "offline"
IN_CALL = frozenset({BUSY, HELD})
# Which of several calls of one phone the tile shows: one being talked on, then one on hold, then one ringing.
_RANK = {BUSY: 3, HELD: 2, RINGING: 1}
# A device state that says the phone is in use when no channel of it is known (a gap after a reconnect,
# a channel named differently from its endpoint).
_DEVICE_STATUS = {"INUSE": BUSY, "BUSY": BUSY, "ONHOLD": HELD, "RINGING": RINGING, "RINGINUSE": BUSY}
_UNREACHABLE_DEVICES = frozenset({"UNAVAILABLE", "INVALID"})
_REACHABLE_PEERS = frozenset({"Reachable", "Registered", "OK"})
_UNREACHABLE_PEERS = frozenset({"Unreachable", "Unregistered", "Rejected", "Unmonitored"})
ENDPOINT_EVENTS = (DeviceStateChanged, EndpointStateChange, PeerStatusChange)


@dataclass(frozen=True, slots=True)
class Tile:
    """One endpoint as the wallboard shows it. Times are epoch seconds."""

    server: str
    endpoint: str  # "PJSIP/alice"
    status: str  # idle | ringing | busy | held | offline
    since: float | None = None  # when this status began; None: it already was so when first seen
    answered: float | None = None  # busy/held: when the call shown was answered
    peer_name: str = ""  # the other party of the call shown (untrusted text)
    peer_number: str = ""
    # The endpoint's answered calls, each named the same for every endpoint in it: "<server>:b:<bridge id>"
    # (bridged), "<server>:c:<channel id>" (not bridged), "<server>:d:<endpoint>" (known from the device state).
    call_ids: tuple[str, ...] = ()
    calls: int = 0  # the endpoint's live channels, answered or not
    outgoing: bool = False  # ringing because the phone itself is calling out
    state: str = ""  # ARI's endpoint state: online, offline or unknown
    device: str = ""  # the last device state Asterisk reported since the last (re)connect

    @property
    def id(self) -> str:
        return f"{self.server}:{self.endpoint}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "server": self.server, "endpoint": self.endpoint, "status": self.status,
            "since": self.since, "answered": self.answered,
            "peer": {"name": self.peer_name, "number": self.peer_number},
            "call_ids": list(self.call_ids), "calls": self.calls, "outgoing": self.outgoing, "state": self.state,
            "device": self.device,
        }


class _Reach:
    """What Asterisk last said about one endpoint (mutable, private to the board)."""

    __slots__ = ("state", "device", "reachable")

    def __init__(self, state: str | None) -> None:
        self.state = state or ""
        self.device = ""
        self.reachable = _reachable(state)


def _reachable(state: str | None) -> bool | None:
    return {"online": True, "offline": False}.get(state or "")


def _channel_status(entry: LiveChannel) -> str:
    state = entry.channel.state
    if state == "Up":
        return HELD if entry.held else BUSY
    return BUSY if state == "Busy" else RINGING


def _call_id(server: str, entry: LiveChannel) -> str:
    return f"{server}:b:{min(entry.bridge_ids)}" if entry.bridge_ids else f"{server}:c:{entry.id}"


class EndpointBoard:
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._reach: dict[Key, _Reach] = {}
        self._channels: dict[Key, dict[str, LiveChannel]] = {}  # by the endpoint their name names
        self._where: dict[ChannelKey, str] = {}  # channel -> the endpoint its name names
        self._bridges: dict[tuple[str, str], set[str]] = {}  # (server, bridge id) -> channel ids
        self._held_since: dict[ChannelKey, float] = {}
        self._tiles: dict[Key, Tile] = {}
        self._dirty: set[Key] = set()

    # ------------------------------------------------------------------ reading
    def tiles(self) -> list[Tile]:
        return list(self._tiles.values())

    def calls_now(self) -> int:
        """Calls in progress: each call once, however many of its endpoints are on the board."""
        return len({call for tile in self._tiles.values() for call in tile.call_ids})

    # ------------------------------------------------------------------- inputs
    def set_endpoints(self, server: str, endpoints: Iterable[Endpoint]) -> None:
        """``server``'s endpoints are exactly these (``GET /endpoints``). Device states seen before are
        forgotten: they may have changed while the stream was down."""
        fresh = {(server, e.name): e for e in endpoints}
        for key in [k for k in self._reach if k[0] == server and k not in fresh]:
            del self._reach[key]
            self._dirty.add(key)
        for key, endpoint in fresh.items():
            self._reach[key] = _Reach(endpoint.state)
            self._dirty.add(key)

    def apply(self, server: str, event: Any) -> None:
        if isinstance(event, DeviceStateChanged):
            reach = self._reach.get((server, event.device_state.name))
            if reach is None:
                return  # a Local channel, a snoop, external media: not a phone
            state = event.device_state.state
            reach.device = state
            if state in _UNREACHABLE_DEVICES:
                reach.reachable = False
            elif state != "UNKNOWN":
                reach.reachable = True
            self._dirty.add((server, event.device_state.name))
        elif isinstance(event, (EndpointStateChange, PeerStatusChange)):
            key = (server, event.endpoint.name)
            reach = self._reach.get(key)
            if reach is None:
                reach = self._reach[key] = _Reach(None)
            if event.endpoint.state is not None:
                reach.state = event.endpoint.state
                reach.reachable = _reachable(event.endpoint.state)
            if isinstance(event, PeerStatusChange):
                status = event.peer.peer_status
                if status in _REACHABLE_PEERS:
                    reach.reachable = True
                elif status in _UNREACHABLE_PEERS:
                    reach.reachable = False
            self._dirty.add(key)

    def channels_changed(self, changes: list[Change]) -> None:
        now = self._clock()
        for change in changes:
            server, channel_id = change.key
            new = change.entry
            endpoint = endpoint_of(new.channel.name) if new is not None else self._where.get(change.key)
            if endpoint is None:
                continue
            key = (server, endpoint)
            channels = self._channels.get(key, {})
            old = channels.get(channel_id)
            self._dirty.add(key)
            if old is not None:
                for bridge_id in old.bridge_ids:
                    self._touch_bridge(server, bridge_id)
                    self._bridges.get((server, bridge_id), set()).discard(channel_id)
            if new is None:
                channels.pop(channel_id, None)
                if not channels:
                    self._channels.pop(key, None)
                self._where.pop(change.key, None)
                self._held_since.pop(change.key, None)
                continue
            self._channels.setdefault(key, {})[channel_id] = new
            self._where[change.key] = endpoint
            for bridge_id in new.bridge_ids:
                self._bridges.setdefault((server, bridge_id), set()).add(channel_id)
                self._touch_bridge(server, bridge_id)
            if new.held:
                self._held_since.setdefault(change.key, now)
            else:
                self._held_since.pop(change.key, None)
        for bridge in [b for b, members in self._bridges.items() if not members]:
            del self._bridges[bridge]

    def _entry(self, key: ChannelKey) -> LiveChannel | None:
        endpoint = self._where.get(key)
        return None if endpoint is None else self._channels[(key[0], endpoint)].get(key[1])

    def _touch_bridge(self, server: str, bridge_id: str) -> None:
        """Whoever shares a bridge with a changed channel may see a new party on the line."""
        for member in self._bridges.get((server, bridge_id), ()):
            endpoint = self._where.get((server, member))
            if endpoint is not None:
                self._dirty.add((server, endpoint))

    # ------------------------------------------------------------------ outputs
    def flush(self) -> tuple[list[Tile], list[Key]]:
        """Recompute the tiles touched since the last flush: (changed tiles, keys of removed tiles)."""
        dirty, self._dirty = self._dirty, set()
        now = self._clock()
        changed: list[Tile] = []
        removed: list[Key] = []
        for key in dirty:
            old = self._tiles.get(key)
            new = self._tile(key, old, now)
            if new is None:
                if old is not None:
                    del self._tiles[key]
                    removed.append(key)
            elif new != old:
                self._tiles[key] = new
                changed.append(new)
        return changed, removed

    def _tile(self, key: Key, old: Tile | None, now: float) -> Tile | None:
        reach = self._reach.get(key)
        if reach is None:
            return None  # not an endpoint Asterisk listed
        server, endpoint = key
        channels = self._channels.get(key)
        if channels:
            main = max(channels.values(), key=lambda e: (_RANK[_channel_status(e)], -e.state_since))
            status = _channel_status(main)
            since = self._held_since.get(main.key, now) if status == HELD else main.state_since
            peer = self._peer(main)
            answered = sorted((e for e in channels.values() if e.channel.state == "Up"), key=lambda e: e is not main)
            call_ids = tuple(dict.fromkeys(_call_id(server, e) for e in answered))
            return Tile(server, endpoint, status, since, main.state_since if status in IN_CALL else None,
                        peer.name, peer.number, call_ids, len(channels),
                        status == RINGING and main.channel.state == "Ring", reach.state, reach.device)
        status = _DEVICE_STATUS.get(reach.device) or (IDLE if reach.reachable else OFFLINE)
        if old is None:
            since = None
        elif old.status == status:
            since = old.since
        else:
            since = now
        call_ids = (f"{server}:d:{endpoint}",) if status in IN_CALL else ()
        return Tile(server, endpoint, status, since, None, call_ids=call_ids, state=reach.state, device=reach.device)

    def _peer(self, entry: LiveChannel) -> CallerID:
        """Who the endpoint's call is with: the connected line, else whoever shares its bridge, else
        (a phone calling out) the number it dialled."""
        channel = entry.channel
        if channel.connected.name or channel.connected.number:
            return channel.connected
        for bridge_id in sorted(entry.bridge_ids):
            for member in sorted(self._bridges.get((entry.server, bridge_id), ())):
                other = self._entry((entry.server, member)) if member != entry.id else None
                if other is not None and (other.channel.caller.name or other.channel.caller.number):
                    return other.channel.caller
        if channel.state == "Ring" and channel.dialplan.exten not in ("", "s"):
            return CallerID("", channel.dialplan.exten)
        return CallerID()
