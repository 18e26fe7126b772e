"""The live channel registry: what every channel of every Asterisk looks like now.

Fed by ``EventStream`` (``apply`` for each event, ``resync`` from ``GET /channels`` after each
(re)connect) and by ``ChannelService`` (``record_action`` after our own successful requests:
real Asterisk raises no event for an ARI hold, mute, MOH or silence, so those flags are known
only from what the dashboard itself did). Entries are immutable ``LiveChannel`` values
replaced on change; every mutation returns the ``Change`` list it caused and hands the same
list to the subscribers, and a mutation that changes nothing visible returns ``[]``.

Times the stuck-channel rules need are kept from events as well: ``state_since`` (when the
current state began), ``app_since`` (when it entered its Stasis application), ``unbridged_since``
(since when it is in no bridge) and ``rtp_idle_since`` (since when the received-packet count
that ``record_rtp`` is fed has not grown). A channel first seen on a resync has no history:
each time is then ``now`` (a lower bound, so that no rule overstates it), except ``state_since``
of a channel that has not been answered yet (Down, Ring, Ringing...): a channel never returns
to those states, so it has been unanswered since its ``creationtime``.

Threading: mutate from one thread (the event loop that runs the streams). Readers on other
threads may call ``get``/``values``/``len``: each returns a consistent snapshot under the GIL.
"""
from __future__ import annotations

import logging
import operator
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, NamedTuple

from . import events as ev
from ._fast import fast_constructor
from .models import Bridge, Channel, LiveRecording, Playback, channel_from_json, epoch

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (server name, channel id)
ChangeKind = Literal["upsert", "remove"]
Subscriber = Callable[[list["Change"]], None]
Rule = Callable[["LiveChannel"], "dict[str, Any] | None"]

FLAG_ACTIONS = frozenset(
    {"hold", "unhold", "mute", "unmute", "start_moh", "stop_moh", "start_silence",
     "stop_silence", "ring", "ring_stop"}
)
_DIRECTIONS = {"both": frozenset({"in", "out"}), "in": frozenset({"in"}), "out": frozenset({"out"})}
_EMPTY: frozenset[str] = frozenset()
# ARI marks an API hangup with cause 32 and an unknown one with 0: neither is the real cause.
_NOT_A_CAUSE = (None, 0, 32)
# States a channel has only before it is answered (it never comes back to them): one first seen
# in such a state on a resync has been unanswered since its creation.
UNANSWERED_STATES = frozenset(
    {"Down", "Rsrvd", "Rsrved", "OffHook", "Dialing", "Dialing Offhook", "Pre-ring", "Ring", "Ringing"}
)


@dataclass(frozen=True, slots=True)
class LiveChannel:
    """One channel as the dashboard sees it. Times are epoch seconds."""

    server: str
    channel: Channel
    stasis_app: str | None = None  # the Stasis application it is in; None = in the dialplan
    held: bool = False
    held_by: str | None = None  # "phone" (ChannelHold event) | "dashboard" (our request)
    muted: frozenset[str] = _EMPTY  # subset of {"in", "out"}
    moh_class: str | None = None
    silence: bool = False
    ringing: bool = False
    snooped_by: frozenset[str] = _EMPTY  # ids of the Snoop channels on this channel
    snoop_of: str | None = None  # for a Snoop channel: the id of the channel it snoops on
    bridge_ids: frozenset[str] = _EMPTY
    playbacks: frozenset[str] = _EMPTY  # playback ids in progress
    recordings: frozenset[str] = _EMPTY  # live recording names in progress
    created_at: float = 0.0
    last_event_at: float = 0.0
    hangup_cause: int | None = None  # a Q.850 cause a ChannelHangupRequest gave
    dashboard_flags: frozenset[str] = _EMPTY  # flags known only from our own requests
    state_since: float = 0.0  # when the current state began
    app_since: float | None = None  # when it entered its Stasis app; None = in no app
    unbridged_since: float | None = None  # since when it is in no bridge; None = in a bridge
    rtp_idle_since: float | None = None  # since when no RTP packet came in; None = unknown or flowing

    @property
    def key(self) -> Key:
        return (self.server, self.channel.id)

    @property
    def id(self) -> str:
        return self.channel.id

    @property
    def state(self) -> str:
        return self.channel.state

    @property
    def in_app(self) -> bool:
        return self.stasis_app is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe and lossless: ``LiveChannel.from_dict(e.to_dict()) == e``."""
        return {
            "server": self.server,
            "channel": self.channel.to_dict(),
            "stasis_app": self.stasis_app,
            "held": self.held,
            "held_by": self.held_by,
            "muted": sorted(self.muted),
            "moh_class": self.moh_class,
            "silence": self.silence,
            "ringing": self.ringing,
            "snooped_by": sorted(self.snooped_by),
            "snoop_of": self.snoop_of,
            "bridge_ids": sorted(self.bridge_ids),
            "playbacks": sorted(self.playbacks),
            "recordings": sorted(self.recordings),
            "created_at": self.created_at,
            "last_event_at": self.last_event_at,
            "hangup_cause": self.hangup_cause,
            "dashboard_flags": sorted(self.dashboard_flags),
            "state_since": self.state_since,
            "app_since": self.app_since,
            "unbridged_since": self.unbridged_since,
            "rtp_idle_since": self.rtp_idle_since,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LiveChannel:
        return cls(
            server=data["server"],
            channel=channel_from_json(data["channel"]),
            stasis_app=data.get("stasis_app"),
            held=bool(data.get("held", False)),
            held_by=data.get("held_by"),
            muted=frozenset(data.get("muted", ())),
            moh_class=data.get("moh_class"),
            silence=bool(data.get("silence", False)),
            ringing=bool(data.get("ringing", False)),
            snooped_by=frozenset(data.get("snooped_by", ())),
            snoop_of=data.get("snoop_of"),
            bridge_ids=frozenset(data.get("bridge_ids", ())),
            playbacks=frozenset(data.get("playbacks", ())),
            recordings=frozenset(data.get("recordings", ())),
            created_at=float(data.get("created_at", 0.0)),
            last_event_at=float(data.get("last_event_at", 0.0)),
            hangup_cause=data.get("hangup_cause"),
            dashboard_flags=frozenset(data.get("dashboard_flags", ())),
            state_since=float(data.get("state_since", 0.0)),
            app_since=_optional_float(data.get("app_since")),
            unbridged_since=_optional_float(data.get("unbridged_since")),
            rtp_idle_since=_optional_float(data.get("rtp_idle_since")),
        )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


class Change(NamedTuple):
    """``upsert``: ``entry`` is the new value. ``remove``: ``entry`` is None."""

    kind: ChangeKind
    key: Key
    entry: LiveChannel | None


_FIELDS = tuple(f.name for f in fields(LiveChannel))
_all_values = operator.attrgetter(*_FIELDS)
_new_entry = fast_constructor(LiveChannel)
# The hot path (most events bring only a new snapshot): copy the other fields slot to slot.
_with_snapshot = fast_constructor(
    LiveChannel,
    params=("old", "channel", "last_event_at"),
    exprs={name: f"old.{name}" for name in _FIELDS},
)
# ... and the same with a new state, which began now.
_with_new_state = fast_constructor(
    LiveChannel,
    params=("old", "channel", "last_event_at"),
    exprs={**{name: f"old.{name}" for name in _FIELDS}, "state_since": "last_event_at"},
)
_tuple_new = tuple.__new__


def _upsert(key: Key, entry: LiveChannel) -> Change:
    return _tuple_new(Change, ("upsert", key, entry))


def _removal(key: Key) -> Change:
    return _tuple_new(Change, ("remove", key, None))


_INDEX = {name: i for i, name in enumerate(_FIELDS)}


def _replace(old: LiveChannel, **changes: Any) -> LiveChannel:
    values = list(_all_values(old))
    for name, value in changes.items():
        values[_INDEX[name]] = value
    return _new_entry(*values)


def _differs(entry: LiveChannel, want: dict[str, Any]) -> dict[str, Any] | None:
    """The part of ``want`` that ``entry`` does not already have (None when nothing)."""
    diff = {k: v for k, v in want.items() if getattr(entry, k) != v}
    return diff or None


def _times(old: LiveChannel, changes: dict[str, Any], now: float) -> dict[str, Any]:
    """Add to ``changes`` (fields that differ from ``old``) the times that move with them."""
    if "stasis_app" in changes:
        changes["app_since"] = None if changes["stasis_app"] is None else now
    if "bridge_ids" in changes:
        if changes["bridge_ids"]:
            changes["unbridged_since"] = None
        elif old.unbridged_since is None:
            changes["unbridged_since"] = now
    return changes


def snoop_target(channel: Channel) -> str | None:
    """The id a Snoop channel spies on: its name is ``Snoop/<target id>-NNNNNNNN``."""
    name = channel.name
    if not name.startswith("Snoop/"):
        return None
    target, sep, _ = name[6:].rpartition("-")
    return target if sep else None


def app_from_dialplan(channel: Channel) -> str | None:
    """The Stasis app a snapshot's dialplan location names (``Stasis(app,args...)``), if any."""
    dialplan = channel.dialplan
    if dialplan.app_name != "Stasis":
        return None
    app = dialplan.app_data.partition(",")[0]
    # A channel created without an app shows Stasis((null)): it is in no application.
    return app if app and app != "(null)" else None


def _cleared_dashboard_flags(entry: LiveChannel) -> dict[str, Any]:
    """What leaving Stasis undoes: the flags only our own requests had set."""
    flags = entry.dashboard_flags
    if not flags:
        return {}
    out: dict[str, Any] = {"dashboard_flags": _EMPTY}
    if "held" in flags:
        out["held"] = False
        out["held_by"] = None
    if "muted" in flags:
        out["muted"] = _EMPTY
    if "moh" in flags:
        out["moh_class"] = None
    if "silence" in flags:
        out["silence"] = False
    if "ringing" in flags:
        out["ringing"] = False
    return out


def _leave_app(entry: LiveChannel) -> dict[str, Any] | None:
    if entry.stasis_app is None and not entry.dashboard_flags:
        return None
    return _differs(entry, {"stasis_app": None, **_cleared_dashboard_flags(entry)})


class ChannelRegistry:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        last_event_resolution: float = 1.0,
        tombstones: int = 4096,
    ) -> None:
        # A change of last_event_at alone is published at most once per resolution
        # window, so that a chatty channel does not turn every event into a UI update.
        self._clock = clock
        self._resolution = last_event_resolution
        self._tombstone_limit = tombstones
        self._entries: dict[Key, LiveChannel] = {}
        # Ids destroyed lately: Asterisk sends some events after ChannelDestroyed (e.g. a
        # ChannelDialplan), which must not bring the channel back as a ghost.
        self._tombstones: dict[Key, None] = {}
        self._snoops: dict[Key, set[str]] = {}  # target key -> snoop channel ids
        self._members: dict[tuple[str, str], set[str]] = {}  # (server, bridge id) -> channel ids
        # RTP samples (record_rtp): key -> (received packets, when that count was first seen).
        self._rtp: dict[Key, tuple[int, float]] = {}
        self._subscribers: tuple[Subscriber, ...] = ()
        self._batch: dict[Key, LiveChannel | None] | None = None

    # ----------------------------------------------------------------- reading
    def get(self, key: Key) -> LiveChannel | None:
        return self._entries.get(key)

    def values(self, server: str | None = None) -> list[LiveChannel]:
        entries = list(self._entries.values())
        if server is None:
            return entries
        return [e for e in entries if e.server == server]

    def keys(self) -> list[Key]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    # ------------------------------------------------------------- subscribers
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(changes)`` after each mutation that changed something.

        Returns a function that unsubscribes (as ``unsubscribe(callback)`` does)."""
        self._subscribers += (callback,)
        return lambda: self.unsubscribe(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        subscribers = list(self._subscribers)
        if callback in subscribers:
            subscribers.remove(callback)
            self._subscribers = tuple(subscribers)

    def _publish(self, changes: list[Change]) -> None:
        if not changes or self._batch is not None:
            return
        for callback in self._subscribers:
            try:
                callback(changes)
            except Exception:  # one bad subscriber must not starve the others
                log.exception("registry subscriber %r failed", callback)

    @contextmanager
    def batch(self) -> Iterator[list[Change]]:
        """Coalesce every mutation inside into one net notification at the end.

        Yields a list that holds the net changes once the block exits: one Change per key
        whose entry differs from before the block; a channel that came and went inside is not
        reported at all. A nested batch joins the outer one."""
        net: list[Change] = []
        if self._batch is not None:
            yield net
            return
        self._batch = {}
        try:
            yield net
        finally:
            before, self._batch = self._batch, None
            for key, old in before.items():
                new = self._entries.get(key)
                if new is old or new == old:
                    continue
                net.append(_removal(key) if new is None else _upsert(key, new))
            self._publish(net)

    # ---------------------------------------------------------- core mutation
    def _set(self, key: Key, new: LiveChannel, old: LiveChannel | None, out: list[Change]) -> None:
        batch = self._batch
        if batch is not None and key not in batch:
            batch[key] = old
        self._entries[key] = new
        out.append(_upsert(key, new))

    def _bury(self, key: Key) -> None:
        tombstones = self._tombstones
        tombstones[key] = None
        if len(tombstones) > self._tombstone_limit:
            del tombstones[next(iter(tombstones))]

    def _drop(self, key: Key, out: list[Change]) -> None:
        old = self._entries.pop(key, None)
        if old is None:
            return
        if self._batch is not None and key not in self._batch:
            self._batch[key] = old
        self._bury(key)
        out.append(_removal(key))
        self._rtp.pop(key, None)
        server, channel_id = key
        for bridge_id in old.bridge_ids:
            members = self._members.get((server, bridge_id))
            if members is not None:
                members.discard(channel_id)
        if old.snoop_of is not None:
            target_key = (server, old.snoop_of)
            snoops = self._snoops.get(target_key)
            if snoops is not None:
                snoops.discard(channel_id)
                if not snoops:
                    del self._snoops[target_key]
            self._refresh_snooped_by(target_key, out)

    def _refresh_snooped_by(self, target_key: Key, out: list[Change]) -> None:
        target = self._entries.get(target_key)
        if target is not None:
            self._change(target, out, snooped_by=frozenset(self._snoops.get(target_key, ())))

    def _fresh(self, server: str, channel: Channel, now: float) -> LiveChannel:
        """A new entry for a channel first seen now (not stored), in no app and no bridge."""
        created = epoch(channel.creationtime) or now
        return _new_entry(
            server, channel, None, False, None, _EMPTY, None, False, False,
            frozenset(self._snoops.get((server, channel.id), ())), snoop_target(channel),
            _EMPTY, _EMPTY, _EMPTY, created, now, None, _EMPTY,
            created if channel.state in UNANSWERED_STATES else now, None, now, None,
        )

    def _insert(self, key: Key, entry: LiveChannel, out: list[Change]) -> None:
        self._tombstones.pop(key, None)
        self._set(key, entry, None, out)
        if entry.snoop_of is not None:
            target_key = (entry.server, entry.snoop_of)
            self._snoops.setdefault(target_key, set()).add(entry.id)
            self._refresh_snooped_by(target_key, out)

    def _evolve(self, server: str, channel: Channel, now: float, out: list[Change],
                rule: Rule | None = None) -> LiveChannel | None:
        """Take a channel's fresh snapshot, plus what ``rule(entry)`` says changes with it.

        Creates the entry for a channel not seen yet, unless it was destroyed lately."""
        key = (server, channel.id)
        old = self._entries.get(key)
        if old is None:
            if key in self._tombstones:
                return None
            new = self._fresh(server, channel, now)
            if rule is not None:
                changes = rule(new)
                if changes:
                    new = _replace(new, **_times(new, changes, now))
            self._insert(key, new, out)
            return new
        changes = rule(old) if rule is not None else None
        known = old.channel
        if changes:
            if channel.state != known.state:
                changes["state_since"] = now
            new = _replace(old, channel=channel, last_event_at=now, **_times(old, changes, now))
        elif known is channel or known == channel:
            if now - old.last_event_at < self._resolution:
                return old
            new = _with_snapshot(old, known, now)
        elif channel.state == known.state:
            new = _with_snapshot(old, channel, now)
        else:
            new = _with_new_state(old, channel, now)
        # self._set(key, new, old, out), inlined: half of all events come through here.
        batch = self._batch
        if batch is not None and key not in batch:
            batch[key] = old
        self._entries[key] = new
        out.append(_tuple_new(Change, ("upsert", key, new)))
        return new

    def _change(self, entry: LiveChannel, out: list[Change], _now: float | None = None, **changes: Any) -> None:
        """Change fields of an entry that no snapshot came with."""
        diff = _differs(entry, changes)
        if diff:
            if "bridge_ids" in diff or "stasis_app" in diff:
                _times(entry, diff, self._clock() if _now is None else _now)
            self._set(entry.key, _replace(entry, **diff), entry, out)

    # ------------------------------------------------------------------ events
    def apply(self, event: ev.Event, server: str = "default", now: float | None = None) -> list[Change]:
        """Fold one event into the registry; ``server`` is the config name it came from."""
        handler = _HANDLERS.get(type(event))
        if handler is None:
            return []
        out: list[Change] = []
        if now is None:
            now = self._clock()
        # Over half of all events only bring a snapshot: skip the handler's call for them.
        if handler is _SNAPSHOT:
            self._evolve(server, event.channel, now, out)  # type: ignore[attr-defined]
        elif handler is _OPTIONAL_SNAPSHOT:
            channel = event.channel  # type: ignore[attr-defined]
            if channel is not None:
                self._evolve(server, channel, now, out)
        else:
            handler(self, server, event, now, out)
        if out and self._batch is None:
            for callback in self._subscribers:  # _publish, inlined on this hot path
                try:
                    callback(out)
                except Exception:
                    log.exception("registry subscriber %r failed", callback)
        return out

    def _on_snapshot(self, server: str, event: Any, now: float, out: list[Change]) -> None:
        self._evolve(server, event.channel, now, out)

    def _on_optional_snapshot(self, server: str, event: Any, now: float, out: list[Change]) -> None:
        if event.channel is not None:
            self._evolve(server, event.channel, now, out)

    def _on_created(self, server: str, event: ev.ChannelCreated, now: float, out: list[Change]) -> None:
        # An id may be used again (originate with channelId) once its channel is gone.
        self._tombstones.pop((server, event.channel.id), None)
        self._evolve(server, event.channel, now, out)

    def _on_destroyed(self, server: str, event: ev.ChannelDestroyed, now: float, out: list[Change]) -> None:
        key = (server, event.channel.id)
        if key in self._entries:
            self._drop(key, out)
        else:
            self._bury(key)

    def _on_stasis_start(self, server: str, event: ev.StasisStart, now: float, out: list[Change]) -> None:
        app = event.application
        self._evolve(server, event.channel, now, out, lambda e: _differs(e, {"stasis_app": app}))

    def _on_stasis_end(self, server: str, event: ev.StasisEnd, now: float, out: list[Change]) -> None:
        app = event.application
        # A StasisEnd of another app than the one we believe it is in (a move that we heard
        # of first) does not take it out of its current app.
        self._evolve(server, event.channel, now, out,
                     lambda e: _leave_app(e) if e.stasis_app in (None, app) else None)

    def _on_dialplan(self, server: str, event: ev.ChannelDialplan, now: float, out: list[Change]) -> None:
        # Running a dialplan application other than Stasis means it is in no app (this also
        # catches leaving an app whose events our socket does not receive); entering
        # Stasis(app) names the app, as a resync would.
        channel = event.channel
        app = app_from_dialplan(channel)
        known = self._entries.get((server, channel.id))
        if known is not None and known.stasis_app == app:  # the usual case: a step in the same place
            self._evolve(server, channel, now, out)
        elif app is None:
            self._evolve(server, channel, now, out, _leave_app)
        else:
            self._evolve(server, channel, now, out, lambda e: {"stasis_app": app} if e.stasis_app != app else None)

    def _on_move_failed(self, server: str, event: ev.ApplicationMoveFailed, now: float,
                        out: list[Change]) -> None:
        app = event.application  # the move failed: it stays where it was
        self._evolve(server, event.channel, now, out, lambda e: _differs(e, {"stasis_app": app}))

    def _on_hangup_request(self, server: str, event: ev.ChannelHangupRequest, now: float,
                           out: list[Change]) -> None:
        cause = event.cause
        rule = None if cause in _NOT_A_CAUSE else lambda e: _differs(e, {"hangup_cause": cause})
        self._evolve(server, event.channel, now, out, rule)

    def _on_hold(self, server: str, event: ev.ChannelHold, now: float, out: list[Change]) -> None:
        self._evolve(server, event.channel, now, out, lambda e: _differs(e, {
            "held": True, "held_by": "phone", "dashboard_flags": e.dashboard_flags - {"held"}}))

    def _on_unhold(self, server: str, event: ev.ChannelUnhold, now: float, out: list[Change]) -> None:
        self._evolve(server, event.channel, now, out, lambda e: _differs(e, {
            "held": False, "held_by": None, "dashboard_flags": e.dashboard_flags - {"held"}}))

    def _on_dial(self, server: str, event: ev.Dial, now: float, out: list[Change]) -> None:
        self._evolve(server, event.peer, now, out)
        if event.caller is not None:
            self._evolve(server, event.caller, now, out)

    def _on_playback(self, server: str, event: Any, now: float, out: list[Change]) -> None:
        playback: Playback = event.playback
        target = playback.target_channel
        entry = self._entries.get((server, target)) if target is not None else None
        if entry is None:
            return
        if isinstance(event, ev.PlaybackFinished):
            playbacks = entry.playbacks - {playback.id}
        else:
            playbacks = entry.playbacks | {playback.id}
        if playbacks != entry.playbacks:
            self._change(entry, out, playbacks=playbacks, last_event_at=now)

    def _on_recording(self, server: str, event: Any, now: float, out: list[Change]) -> None:
        recording: LiveRecording = event.recording
        target = recording.target_channel
        entry = self._entries.get((server, target)) if target is not None else None
        if entry is None:
            return
        if isinstance(event, ev.RecordingStarted):
            recordings = entry.recordings | {recording.name}
        else:
            recordings = entry.recordings - {recording.name}
        if recordings != entry.recordings:
            self._change(entry, out, recordings=recordings, last_event_at=now)

    def _on_entered_bridge(self, server: str, event: ev.ChannelEnteredBridge, now: float,
                           out: list[Change]) -> None:
        if event.channel is None:
            return
        bridge_id = event.bridge.id
        entry = self._evolve(server, event.channel, now, out,
                             lambda e: _differs(e, {"bridge_ids": e.bridge_ids | {bridge_id}}))
        if entry is not None:
            self._members.setdefault((server, bridge_id), set()).add(entry.id)

    def _on_left_bridge(self, server: str, event: ev.ChannelLeftBridge, now: float,
                        out: list[Change]) -> None:
        bridge_id = event.bridge.id
        members = self._members.get((server, bridge_id))
        if members is not None:
            members.discard(event.channel.id)
        self._evolve(server, event.channel, now, out,
                     lambda e: _differs(e, {"bridge_ids": e.bridge_ids - {bridge_id}}))

    def _on_bridge_destroyed(self, server: str, event: ev.BridgeDestroyed, now: float,
                             out: list[Change]) -> None:
        bridge_id = event.bridge.id
        for channel_id in self._members.pop((server, bridge_id), set()) | set(event.bridge.channels):
            entry = self._entries.get((server, channel_id))
            if entry is not None and bridge_id in entry.bridge_ids:
                self._change(entry, out, now, bridge_ids=entry.bridge_ids - {bridge_id})

    # ------------------------------------------------------------------ resync
    def resync(
        self,
        server: str,
        channels: Iterable[Channel],
        bridges: Iterable[Bridge] | None = None,
        *,
        playbacks: Iterable[Playback] | None = None,
        recordings: Iterable[LiveRecording] | None = None,
        now: float | None = None,
    ) -> list[Change]:
        """Make ``server``'s entries match a fresh ``GET /channels`` exactly.

        Vanished channels are removed, new ones added, changed ones updated. The Stasis app
        comes from each snapshot's dialplan location (``Stasis(app,...)``); flags known only
        from our own requests survive on channels still in the same app. ``bridges``
        (``GET /bridges``), when given, decide every channel's bridge ids; ``playbacks`` and
        ``recordings``, when given, are those still running among the ones the registry knew
        (any other is dropped)."""
        now = self._clock() if now is None else now
        out: list[Change] = []
        snapshot = {c.id: c for c in channels}
        bridged: dict[str, set[str]] | None = None
        if bridges is not None:
            bridged = {}
            for key in [k for k in self._members if k[0] == server]:
                del self._members[key]
            for bridge in bridges:
                self._members[(server, bridge.id)] = set(bridge.channels)
                for channel_id in bridge.channels:
                    bridged.setdefault(channel_id, set()).add(bridge.id)
        alive_playbacks = None if playbacks is None else {p.id for p in playbacks}
        alive_recordings = None if recordings is None else {r.name for r in recordings}

        for key in [k for k in self._entries if k[0] == server and k[1] not in snapshot]:
            self._drop(key, out)
        # Snoop links first, so that each target entry is built with its snoops.
        for target_key in [k for k in self._snoops if k[0] == server]:
            del self._snoops[target_key]
        for channel in snapshot.values():
            target = snoop_target(channel)
            if target is not None:
                self._snoops.setdefault((server, target), set()).add(channel.id)

        for channel in snapshot.values():
            key = (server, channel.id)
            self._tombstones.pop(key, None)
            old = self._entries.get(key)
            app = app_from_dialplan(channel)
            fresh: dict[str, Any] = {
                "channel": channel,
                "stasis_app": app,
                "snooped_by": frozenset(self._snoops.get(key, ())),
            }
            if bridged is not None:
                fresh["bridge_ids"] = frozenset(bridged.get(channel.id, ()))
            if old is None:
                new = self._fresh(server, channel, now)
                self._set(key, _replace(new, **_times(new, fresh, now)), None, out)
                continue
            if alive_playbacks is not None:
                fresh["playbacks"] = old.playbacks & alive_playbacks
            if alive_recordings is not None:
                fresh["recordings"] = old.recordings & alive_recordings
            self._take_snapshot(key, old, fresh, now, out)
        self._publish(out)
        return out

    def _take_snapshot(self, key: Key, old: LiveChannel, fresh: dict[str, Any], now: float,
                       out: list[Change]) -> None:
        """A known entry takes what a ``GET /channels`` says (``fresh``: channel, stasis_app...)."""
        if fresh["stasis_app"] != old.stasis_app:
            fresh.update(_cleared_dashboard_flags(old))
        diff = _differs(old, fresh)
        if diff:
            if fresh["channel"].state != old.channel.state:
                diff["state_since"] = now
            self._set(key, _replace(old, last_event_at=now, **_times(old, diff, now)), old, out)

    def reconcile(
        self,
        server: str,
        channels: Iterable[Channel],
        before: Mapping[Key, LiveChannel],
        *,
        now: float | None = None,
    ) -> list[Change]:
        """Catch up with a ``GET /channels`` answered while the events kept being applied.

        ``resync`` needs the events held while the snapshot is taken; this does not, so a live
        stream can be checked against Asterisk now and then. ``before`` is ``server``'s entries as
        they were just before the request went out. Whatever changed since then was touched by an
        event at least as new as the answer and is left to the events. Otherwise: a channel known
        before and missing from the answer is gone (Asterisk lost it without a ChannelDestroyed,
        or that event was lost) and is removed for good; one the registry never heard of and that
        was not destroyed meanwhile is added; one that differs takes the answer's snapshot."""
        now = self._clock() if now is None else now
        out: list[Change] = []
        answer = {c.id: c for c in channels}
        for key, was in before.items():
            if key[0] == server and key[1] not in answer and self._entries.get(key) is was:
                self._drop(key, out)
        for channel in answer.values():
            key = (server, channel.id)
            current = self._entries.get(key)
            app = app_from_dialplan(channel)
            if current is None:
                if key in before or key in self._tombstones:
                    continue  # destroyed after the answer was taken
                new = self._fresh(server, channel, now)
                self._insert(key, _replace(new, **_times(new, {"stasis_app": app} if app else {}, now)), out)
            elif current is before.get(key):
                self._take_snapshot(key, current, {"channel": channel, "stasis_app": app}, now, out)
        self._publish(out)
        return out

    # --------------------------------------------------------- our own actions
    def record_action(self, server: str, channel_id: str, action: str, **params: Any) -> list[Change]:
        """Record the effect of our own successful request (ARI raises no event for these).

        ``action``: hold, unhold, mute/unmute (``direction``: both, in, out), start_moh
        (``moh_class``), stop_moh, start_silence, stop_silence, ring, ring_stop. A channel the
        registry does not know is ignored."""
        if action not in FLAG_ACTIONS:
            raise ValueError(f"not a flag action: {action!r}")
        entry = self._entries.get((server, channel_id))
        if entry is None:
            return []
        flags = entry.dashboard_flags
        changes: dict[str, Any]
        if action == "hold":
            changes = {"held": True, "held_by": "dashboard", "dashboard_flags": flags | {"held"}}
        elif action == "unhold":
            changes = {"held": False, "held_by": None, "dashboard_flags": flags - {"held"}}
        elif action in ("mute", "unmute"):
            directions = _DIRECTIONS[params.get("direction") or "both"]
            muted = entry.muted | directions if action == "mute" else entry.muted - directions
            changes = {"muted": muted,
                       "dashboard_flags": flags | {"muted"} if muted else flags - {"muted"}}
        elif action == "start_moh":
            changes = {"moh_class": params.get("moh_class") or "default",
                       "dashboard_flags": flags | {"moh"}}
        elif action == "stop_moh":
            changes = {"moh_class": None, "dashboard_flags": flags - {"moh"}}
        elif action in ("start_silence", "stop_silence"):
            on = action == "start_silence"
            changes = {"silence": on,
                       "dashboard_flags": flags | {"silence"} if on else flags - {"silence"}}
        else:
            on = action == "ring"
            changes = {"ringing": on,
                       "dashboard_flags": flags | {"ringing"} if on else flags - {"ringing"}}
        out: list[Change] = []
        self._change(entry, out, **changes)
        self._publish(out)
        return out

    # ------------------------------------------------------------------- RTP
    def record_rtp(self, server: str, channel_id: str, rxcount: int | None,
                   now: float | None = None) -> list[Change]:
        """Record a sample of the packets a channel has received (RTP statistics' ``rxcount``).

        While the count grows ``rtp_idle_since`` is None; once a sample shows the same count as
        the one before, it is the time that count was first seen (no packet came in since then,
        give or take one sampling interval). A smaller count (a new RTP session) starts over, and
        None forgets the samples (e.g. while the call is on hold, when no RTP is expected). Only
        a change of ``rtp_idle_since`` is a change: a count that keeps growing publishes nothing.
        A channel the registry does not know is ignored."""
        key = (server, channel_id)
        entry = self._entries.get(key)
        if entry is None:
            return []
        now = self._clock() if now is None else now
        idle_since: float | None = None
        if rxcount is None:
            self._rtp.pop(key, None)
        else:
            previous = self._rtp.get(key)
            if previous is not None and previous[0] == rxcount:
                idle_since = previous[1]
            else:
                self._rtp[key] = (rxcount, now)
        out: list[Change] = []
        if entry.rtp_idle_since != idle_since:
            self._set(key, _replace(entry, rtp_idle_since=idle_since), entry, out)
            self._publish(out)
        return out

    # ------------------------------------------------------------- replicas
    def put(self, entry: LiveChannel) -> list[Change]:
        """Store an entry as it is (a replica applying what the primary published)."""
        key = entry.key
        old = self._entries.get(key)
        out: list[Change] = []
        if old != entry:
            self._set(key, entry, old, out)
            self._publish(out)
        return out

    def remove(self, key: Key) -> list[Change]:
        out: list[Change] = []
        self._drop(key, out)
        self._publish(out)
        return out

    def clear_server(self, server: str) -> list[Change]:
        """Forget every channel of one server (e.g. it was taken out of the configuration)."""
        out: list[Change] = []
        for key in [k for k in self._entries if k[0] == server]:
            self._drop(key, out)
        for index in (self._snoops, self._members):
            for key in [k for k in index if k[0] == server]:
                del index[key]
        for key in [k for k in self._rtp if k[0] == server]:
            del self._rtp[key]
        self._publish(out)
        return out


_SNAPSHOT = ChannelRegistry._on_snapshot
_OPTIONAL_SNAPSHOT = ChannelRegistry._on_optional_snapshot
_HANDLERS: dict[type, Callable[[ChannelRegistry, str, Any, float, list[Change]], None]] = {
    ev.ChannelCreated: ChannelRegistry._on_created,
    ev.ChannelDestroyed: ChannelRegistry._on_destroyed,
    ev.StasisStart: ChannelRegistry._on_stasis_start,
    ev.StasisEnd: ChannelRegistry._on_stasis_end,
    ev.ChannelDialplan: ChannelRegistry._on_dialplan,
    ev.ApplicationMoveFailed: ChannelRegistry._on_move_failed,
    ev.ChannelHangupRequest: ChannelRegistry._on_hangup_request,
    ev.ChannelHold: ChannelRegistry._on_hold,
    ev.ChannelUnhold: ChannelRegistry._on_unhold,
    ev.Dial: ChannelRegistry._on_dial,
    ev.ChannelStateChange: ChannelRegistry._on_snapshot,
    ev.ChannelCallerId: ChannelRegistry._on_snapshot,
    ev.ChannelConnectedLine: ChannelRegistry._on_snapshot,
    ev.ChannelDtmfReceived: ChannelRegistry._on_snapshot,
    ev.ChannelVarset: ChannelRegistry._on_optional_snapshot,
    ev.UnknownEvent: ChannelRegistry._on_optional_snapshot,
    ev.PlaybackStarted: ChannelRegistry._on_playback,
    ev.PlaybackContinuing: ChannelRegistry._on_playback,
    ev.PlaybackFinished: ChannelRegistry._on_playback,
    ev.RecordingStarted: ChannelRegistry._on_recording,
    ev.RecordingFinished: ChannelRegistry._on_recording,
    ev.RecordingFailed: ChannelRegistry._on_recording,
    ev.ChannelEnteredBridge: ChannelRegistry._on_entered_bridge,
    ev.ChannelLeftBridge: ChannelRegistry._on_left_bridge,
    ev.BridgeDestroyed: ChannelRegistry._on_bridge_destroyed,
}
