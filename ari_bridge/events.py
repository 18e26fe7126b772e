"""ARI events as typed frozen dataclasses.

``parse_event(data)`` takes one decoded event object and never raises for content Asterisk
may send: an event type this module does not know, or a known one whose required parts are
missing or malformed, becomes an ``UnknownEvent`` carrying the raw object.
``loads_event(text)`` decodes the JSON text first (orjson).
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import orjson

from ._fast import fast_constructor
from .models import (
    Bridge,
    Channel,
    DeviceState,
    Endpoint,
    LiveRecording,
    Peer,
    Playback,
    bridge_from_json,
    channel_from_json,
    device_state_from_json,
    endpoint_from_json,
    peer_from_json,
    playback_from_json,
    recording_from_json,
)

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """Fields every ARI event has. ``timestamp`` is ARI's text; see ``models.parse_time``."""

    type: str
    application: str
    timestamp: str
    asterisk_id: str | None


@dataclass(frozen=True, slots=True)
class StasisStart(Event):
    channel: Channel
    args: tuple[str, ...] = ()
    replace_channel: Channel | None = None


@dataclass(frozen=True, slots=True)
class StasisEnd(Event):
    channel: Channel


@dataclass(frozen=True, slots=True)
class ChannelCreated(Event):
    channel: Channel


@dataclass(frozen=True, slots=True)
class ChannelDestroyed(Event):
    channel: Channel
    cause: int = 0
    cause_txt: str = ""


@dataclass(frozen=True, slots=True)
class ChannelStateChange(Event):
    channel: Channel


@dataclass(frozen=True, slots=True)
class ChannelHangupRequest(Event):
    """``cause`` 32 after an ARI hangup is a flag, not a Q.850 cause (see ChannelDestroyed)."""

    channel: Channel
    cause: int | None = None
    soft: bool | None = None


@dataclass(frozen=True, slots=True)
class ChannelDialplan(Event):
    channel: Channel
    dialplan_app: str = ""
    dialplan_app_data: str = ""


@dataclass(frozen=True, slots=True)
class ChannelCallerId(Event):
    channel: Channel
    caller_presentation: int = 0
    caller_presentation_txt: str = ""


@dataclass(frozen=True, slots=True)
class ChannelConnectedLine(Event):
    channel: Channel


@dataclass(frozen=True, slots=True)
class ChannelVarset(Event):
    """``channel`` is None for a global variable."""

    channel: Channel | None
    variable: str = ""
    value: str = ""


@dataclass(frozen=True, slots=True)
class ChannelHold(Event):
    channel: Channel
    musicclass: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelUnhold(Event):
    channel: Channel


@dataclass(frozen=True, slots=True)
class ChannelDtmfReceived(Event):
    channel: Channel
    digit: str = ""
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class Dial(Event):
    peer: Channel
    caller: Channel | None = None
    forwarded: Channel | None = None
    forward: str | None = None
    dialstring: str | None = None
    dialstatus: str = ""


@dataclass(frozen=True, slots=True)
class PlaybackStarted(Event):
    playback: Playback


@dataclass(frozen=True, slots=True)
class PlaybackContinuing(Event):
    playback: Playback


@dataclass(frozen=True, slots=True)
class PlaybackFinished(Event):
    playback: Playback


@dataclass(frozen=True, slots=True)
class RecordingStarted(Event):
    recording: LiveRecording


@dataclass(frozen=True, slots=True)
class RecordingFinished(Event):
    recording: LiveRecording


@dataclass(frozen=True, slots=True)
class RecordingFailed(Event):
    recording: LiveRecording


@dataclass(frozen=True, slots=True)
class ChannelEnteredBridge(Event):
    bridge: Bridge
    channel: Channel | None = None


@dataclass(frozen=True, slots=True)
class ChannelLeftBridge(Event):
    bridge: Bridge
    channel: Channel


@dataclass(frozen=True, slots=True)
class BridgeCreated(Event):
    bridge: Bridge


@dataclass(frozen=True, slots=True)
class BridgeDestroyed(Event):
    bridge: Bridge


@dataclass(frozen=True, slots=True)
class ApplicationMoveFailed(Event):
    channel: Channel
    destination: str = ""
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeviceStateChanged(Event):
    """Sent only to applications subscribed to everything (``subscribeAll``)."""

    device_state: DeviceState


@dataclass(frozen=True, slots=True)
class EndpointStateChange(Event):
    """An endpoint's snapshot changed (online/offline, a channel came or went). Asterisk sends it
    only to applications subscribed to that endpoint: ``subscribeAll`` does not bring it."""

    endpoint: Endpoint


@dataclass(frozen=True, slots=True)
class PeerStatusChange(Event):
    """A peer registered, became reachable or stopped being so (subscribeAll brings it)."""

    endpoint: Endpoint
    peer: Peer


@dataclass(frozen=True, slots=True)
class UnknownEvent(Event):
    """Any other event (ChannelTalkingStarted, ContactStatusChange...), kept raw.

    ``channel`` is the channel snapshot when the event carries one, so that the registry can
    still follow the channel.
    """

    channel: Channel | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


_HEAD = ("type", "application", "timestamp", "asterisk_id", "d")
_ENV = {
    "C": channel_from_json,
    "P": playback_from_json,
    "R": recording_from_json,
    "B": bridge_from_json,
    "E": endpoint_from_json,
    "D": device_state_from_json,
    "Peer": peer_from_json,
}


def _parser(cls: type, **exprs: str) -> Callable[..., Event]:
    """A builder taking (type, application, timestamp, asterisk_id, raw dict); ``exprs`` say
    how each field the event adds is read from the raw dict ``d``."""
    return fast_constructor(cls, params=_HEAD, exprs=exprs, env=_ENV)


_CHANNEL = "C(d['channel'])"
_BUILDERS: dict[str, Callable[..., Event]] = {
    "StasisStart": _parser(
        StasisStart, channel=_CHANNEL, args="tuple(d.get('args') or ())",
        replace_channel="C(v) if (v := d.get('replace_channel')) else None",
    ),
    "StasisEnd": _parser(StasisEnd, channel=_CHANNEL),
    "ChannelCreated": _parser(ChannelCreated, channel=_CHANNEL),
    "ChannelDestroyed": _parser(
        ChannelDestroyed, channel=_CHANNEL, cause="d.get('cause', 0)",
        cause_txt="d.get('cause_txt', '')",
    ),
    "ChannelStateChange": _parser(ChannelStateChange, channel=_CHANNEL),
    "ChannelHangupRequest": _parser(
        ChannelHangupRequest, channel=_CHANNEL, cause="d.get('cause')", soft="d.get('soft')",
    ),
    "ChannelDialplan": _parser(
        ChannelDialplan, channel=_CHANNEL, dialplan_app="d.get('dialplan_app', '')",
        dialplan_app_data="d.get('dialplan_app_data', '')",
    ),
    "ChannelCallerId": _parser(
        ChannelCallerId, channel=_CHANNEL, caller_presentation="d.get('caller_presentation', 0)",
        caller_presentation_txt="d.get('caller_presentation_txt', '')",
    ),
    "ChannelConnectedLine": _parser(ChannelConnectedLine, channel=_CHANNEL),
    "ChannelVarset": _parser(
        ChannelVarset, channel="C(v) if (v := d.get('channel')) else None", variable="d.get('variable', '')",
        value="d.get('value', '')",
    ),
    "ChannelHold": _parser(ChannelHold, channel=_CHANNEL, musicclass="d.get('musicclass')"),
    "ChannelUnhold": _parser(ChannelUnhold, channel=_CHANNEL),
    "ChannelDtmfReceived": _parser(
        ChannelDtmfReceived, channel=_CHANNEL, digit="d.get('digit', '')",
        duration_ms="d.get('duration_ms', 0)",
    ),
    "Dial": _parser(
        Dial, peer="C(d['peer'])", caller="C(v) if (v := d.get('caller')) else None",
        forwarded="C(v) if (v := d.get('forwarded')) else None", forward="d.get('forward')",
        dialstring="d.get('dialstring')", dialstatus="d.get('dialstatus', '')",
    ),
    "PlaybackStarted": _parser(PlaybackStarted, playback="P(d['playback'])"),
    "PlaybackContinuing": _parser(PlaybackContinuing, playback="P(d['playback'])"),
    "PlaybackFinished": _parser(PlaybackFinished, playback="P(d['playback'])"),
    "RecordingStarted": _parser(RecordingStarted, recording="R(d['recording'])"),
    "RecordingFinished": _parser(RecordingFinished, recording="R(d['recording'])"),
    "RecordingFailed": _parser(RecordingFailed, recording="R(d['recording'])"),
    "ChannelEnteredBridge": _parser(
        ChannelEnteredBridge, bridge="B(d['bridge'])", channel="C(v) if (v := d.get('channel')) else None",
    ),
    "ChannelLeftBridge": _parser(ChannelLeftBridge, bridge="B(d['bridge'])", channel=_CHANNEL),
    "BridgeCreated": _parser(BridgeCreated, bridge="B(d['bridge'])"),
    "BridgeDestroyed": _parser(BridgeDestroyed, bridge="B(d['bridge'])"),
    "ApplicationMoveFailed": _parser(
        ApplicationMoveFailed, channel=_CHANNEL, destination="d.get('destination', '')",
        args="tuple(d.get('args') or ())",
    ),
    "DeviceStateChanged": _parser(DeviceStateChanged, device_state="D(d['device_state'])"),
    "EndpointStateChange": _parser(EndpointStateChange, endpoint="E(d['endpoint'])"),
    "PeerStatusChange": _parser(PeerStatusChange, endpoint="E(d['endpoint'])", peer="Peer(d['peer'])"),
}
_n_unknown = fast_constructor(UnknownEvent)

EVENT_TYPES: frozenset[str] = frozenset(_BUILDERS)  # the types parsed into their own class


def _unknown(kind: str, app: str, ts: str, ast_id: Any, data: Json) -> UnknownEvent:
    raw_channel = data.get("channel")
    channel = None
    if type(raw_channel) is dict and "id" in raw_channel:
        try:
            channel = channel_from_json(raw_channel)
        except (KeyError, TypeError, ValueError, AttributeError):
            channel = None
    return _n_unknown(kind, app, ts, ast_id, channel, data)


_COMMON = operator.itemgetter("type", "application", "timestamp", "asterisk_id")


def parse_event(data: Json) -> Event:
    try:
        kind, app, ts, ast_id = _COMMON(data)
    except KeyError:
        get = data.get
        kind, app, ts, ast_id = get("type", ""), get("application", ""), get("timestamp", ""), get("asterisk_id")
    build = _BUILDERS.get(kind)
    if build is not None:
        try:
            return build(kind, app, ts, ast_id, data)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # malformed: keep it as an UnknownEvent rather than drop the stream
    return _unknown(kind, app, ts, ast_id, data)


def loads_event(text: str | bytes) -> Event:
    """Decode one WebSocket message and parse it (raises orjson.JSONDecodeError on bad JSON)."""
    data = orjson.loads(text)
    if type(data) is not dict:
        return _n_unknown("", "", "", None, None, {"value": data})
    return parse_event(data)
