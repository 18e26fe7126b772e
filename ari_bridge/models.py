"""ARI resources as frozen dataclasses, parsed from ARI's JSON.

Parsing is tolerant: unknown keys (a newer Asterisk adds some) are ignored, and a missing
optional key becomes its default. Timestamps stay as ARI's text
(``2026-11-26T14:26:39.393+0000``); ``parse_time``/``epoch`` turn them into values when needed,
so that the event hot path does not pay for it.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Mapping

from ._fast import fast_constructor

Json = Mapping[str, Any]


def parse_time(text: str | None) -> datetime | None:
    """ARI's timestamp text as an aware datetime (None when absent or unreadable)."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def epoch(text: str | None) -> float | None:
    moment = parse_time(text)
    return moment.timestamp() if moment is not None else None


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (tuple, list, frozenset, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


class Model:
    """Base of every ARI model: ``to_dict()`` gives the JSON-safe ARI shape."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {f: _jsonable(getattr(self, f)) for f in self.__dataclass_fields__}  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class CallerID(Model):
    name: str = ""
    number: str = ""


@dataclass(frozen=True, slots=True)
class DialplanCEP(Model):
    context: str = ""
    exten: str = ""
    priority: int = 0
    app_name: str = ""
    app_data: str = ""

    # Hand-written so that two locations usually part at the first field compared (the registry
    # compares a snapshot with the previous one on every event); hashing stays the dataclass's.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not DialplanCEP:
            return NotImplemented
        return self is other or (
            self.priority == other.priority
            and self.exten == other.exten
            and self.app_name == other.app_name
            and self.app_data == other.app_data
            and self.context == other.context
        )


@dataclass(frozen=True, slots=True)
class Channel(Model):
    id: str
    name: str = ""
    state: str = ""
    protocol_id: str = ""
    caller: CallerID = CallerID()
    connected: CallerID = CallerID()
    accountcode: str = ""
    dialplan: DialplanCEP = DialplanCEP()
    creationtime: str = ""
    language: str = ""
    channelvars: Mapping[str, Any] | None = field(default=None, hash=False)
    caller_rdnis: str | None = None
    tenantid: str | None = None

    # Hand-written for the same reason as DialplanCEP's: what changes first is compared first.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Channel:
            return NotImplemented
        o: Channel = other
        return self is o or (
            self.state == o.state
            and self.dialplan == o.dialplan
            and self.id == o.id
            and self.caller == o.caller
            and self.connected == o.connected
            and self.name == o.name
            and self.protocol_id == o.protocol_id
            and self.accountcode == o.accountcode
            and self.creationtime == o.creationtime
            and self.language == o.language
            and self.channelvars == o.channelvars
            and self.caller_rdnis == o.caller_rdnis
            and self.tenantid == o.tenantid
        )

    @property
    def technology(self) -> str:
        """``PJSIP``, ``Local``, ``Snoop``, ``UnicastRTP``... (the part of the name before ``/``)."""
        return self.name.partition("/")[0]

    @property
    def created(self) -> datetime | None:
        return parse_time(self.creationtime)

    @classmethod
    def from_json(cls, data: Json) -> Channel:
        return channel_from_json(data)

    def to_dict(self) -> dict[str, Any]:
        """The ARI shape again (what ``from_json`` reads)."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": self.protocol_id,
            "caller": self.caller.to_dict(),
            "connected": self.connected.to_dict(),
            "accountcode": self.accountcode,
            "dialplan": self.dialplan.to_dict(),
            "creationtime": self.creationtime,
            "language": self.language,
        }
        if self.channelvars is not None:
            out["channelvars"] = dict(self.channelvars)
        if self.caller_rdnis is not None:
            out["caller_rdnis"] = self.caller_rdnis
        if self.tenantid is not None:
            out["tenantid"] = self.tenantid
        return out


_EMPTY: Json = {}
_new_caller = fast_constructor(CallerID)
_new_dialplan = fast_constructor(DialplanCEP)
_new_channel = fast_constructor(Channel)
_NO_CALLER = CallerID()
_NO_DIALPLAN = DialplanCEP()
# Snapshots repeat the same caller and dialplan values event after event: one shared
# instance per value saves building it again and lets equality checks hit identity first.
# The key is the raw values in Asterisk's order (one C call); a key in another order or with
# extra fields only costs a cache slot, because a miss builds the value by field name.
_CALLERS: dict[tuple[Any, ...], CallerID] = {}
_DIALPLANS: dict[tuple[Any, ...], DialplanCEP] = {}
_INTERN_LIMIT = 4096


def _caller(data: Json | None) -> CallerID:
    if not data:
        return _NO_CALLER
    key = tuple(data.values())
    try:
        return _CALLERS[key]
    except KeyError:
        if len(_CALLERS) >= _INTERN_LIMIT:
            _CALLERS.clear()
        found = _CALLERS[key] = _new_caller(data.get("name", ""), data.get("number", ""))
        return found
    except TypeError:  # an unhashable value a newer Asterisk added: just build it
        return _new_caller(data.get("name", ""), data.get("number", ""))


def _dialplan(data: Json | None) -> DialplanCEP:
    if not data:
        return _NO_DIALPLAN
    key = tuple(data.values())
    try:
        return _DIALPLANS[key]
    except KeyError:
        if len(_DIALPLANS) >= _INTERN_LIMIT:
            _DIALPLANS.clear()
        found = _DIALPLANS[key] = _build_dialplan(data)
        return found
    except TypeError:  # an unhashable value a newer Asterisk added: just build it
        return _build_dialplan(data)


def _build_dialplan(data: Json) -> DialplanCEP:
    get = data.get
    return _new_dialplan(
        get("context", ""), get("exten", ""), get("priority", 0), get("app_name", ""), get("app_data", "")
    )


_REQUIRED = operator.itemgetter(
    "id", "name", "state", "protocol_id", "caller", "connected", "accountcode", "dialplan",
    "creationtime", "language",
)
# The last snapshot parsed per channel id, raw and parsed: nearly half of all events repeat
# their channel's previous snapshot unchanged (a ChannelVarset, a Dial...), and comparing raw
# dicts in C is cheaper than building a Channel. Sharing the instance also lets the
# registry see "no change" by identity.
_LAST: dict[str, tuple[Json, Channel]] = {}


def channel_from_json(data: Json) -> Channel:
    try:
        cid = data["id"]
        last = _LAST.get(cid)
        if last is not None:
            last_data, last_channel = last
            if last_data == data:
                return last_channel
        _, name, state, protocol_id, caller, connected, accountcode, dialplan, created, lang = (
            _REQUIRED(data)
        )
    except KeyError:
        return _channel_from_partial_json(data)
    if last is None:
        caller_id, connected_id, where = _caller(caller), _caller(connected), _dialplan(dialplan)
    else:
        # Usually one part changed since this channel's previous snapshot: keep the others.
        caller_id = last_channel.caller if caller == last_data["caller"] else _caller(caller)
        connected_id = (
            last_channel.connected if connected == last_data["connected"] else _caller(connected)
        )
        where = last_channel.dialplan if dialplan == last_data["dialplan"] else _dialplan(dialplan)
    if len(data) == 10:  # the usual snapshot: none of the optional keys
        channel = _new_channel(
            cid, name, state, protocol_id, caller_id, connected_id, accountcode, where, created,
            lang, None, None, None,
        )
    else:
        variables = data.get("channelvars")
        channel = _new_channel(
            cid, name, state, protocol_id, caller_id, connected_id, accountcode, where, created,
            lang, MappingProxyType(dict(variables)) if variables is not None else None,
            data.get("caller_rdnis"), data.get("tenantid"),
        )
    if len(_LAST) >= _INTERN_LIMIT:
        _LAST.clear()
    _LAST[cid] = (data, channel)
    return channel


def _channel_from_partial_json(data: Json) -> Channel:
    get = data.get
    variables = get("channelvars")
    return _new_channel(
        data["id"],
        get("name", ""),
        get("state", ""),
        get("protocol_id", ""),
        _caller(get("caller")),
        _caller(get("connected")),
        get("accountcode", ""),
        _dialplan(get("dialplan")),
        get("creationtime", ""),
        get("language", ""),
        MappingProxyType(dict(variables)) if variables is not None else None,
        get("caller_rdnis"),
        get("tenantid"),
    )


@dataclass(frozen=True, slots=True)
class Variable(Model):
    value: str

    @classmethod
    def from_json(cls, data: Json) -> Variable:
        return cls(value=str(data.get("value", "")))


@dataclass(frozen=True, slots=True)
class Playback(Model):
    id: str
    media_uri: str = ""
    target_uri: str = ""
    state: str = ""
    language: str | None = None
    next_media_uri: str | None = None

    @property
    def target_channel(self) -> str | None:
        """The channel id this plays to, or None when it plays to a bridge."""
        kind, _, target = self.target_uri.partition(":")
        return target if kind == "channel" else None

    @classmethod
    def from_json(cls, data: Json) -> Playback:
        return playback_from_json(data)


_new_playback = fast_constructor(Playback)


def playback_from_json(data: Json) -> Playback:
    get = data.get
    return _new_playback(
        data["id"],
        get("media_uri", ""),
        get("target_uri", ""),
        get("state", ""),
        get("language"),
        get("next_media_uri"),
    )


@dataclass(frozen=True, slots=True)
class LiveRecording(Model):
    name: str
    format: str = ""
    target_uri: str = ""
    state: str = ""
    duration: int | None = None
    talking_duration: int | None = None
    silence_duration: int | None = None
    cause: str | None = None

    @property
    def target_channel(self) -> str | None:
        kind, _, target = self.target_uri.partition(":")
        return target if kind == "channel" else None

    @classmethod
    def from_json(cls, data: Json) -> LiveRecording:
        return recording_from_json(data)


_new_recording = fast_constructor(LiveRecording)


def recording_from_json(data: Json) -> LiveRecording:
    get = data.get
    return _new_recording(
        data["name"],
        get("format", ""),
        get("target_uri", ""),
        get("state", ""),
        get("duration"),
        get("talking_duration"),
        get("silence_duration"),
        get("cause"),
    )


@dataclass(frozen=True, slots=True)
class StoredRecording(Model):
    name: str
    format: str = ""

    @classmethod
    def from_json(cls, data: Json) -> StoredRecording:
        return cls(name=data["name"], format=data.get("format", ""))


@dataclass(frozen=True, slots=True)
class Bridge(Model):
    id: str
    technology: str = ""
    bridge_type: str = ""
    bridge_class: str = ""
    creator: str = ""
    name: str = ""
    channels: tuple[str, ...] = ()
    creationtime: str = ""
    video_mode: str | None = None
    video_source_id: str | None = None

    @classmethod
    def from_json(cls, data: Json) -> Bridge:
        return bridge_from_json(data)


_new_bridge = fast_constructor(Bridge)


def bridge_from_json(data: Json) -> Bridge:
    get = data.get
    return _new_bridge(
        data["id"],
        get("technology", ""),
        get("bridge_type", ""),
        get("bridge_class", ""),
        get("creator", ""),
        get("name", ""),
        tuple(get("channels") or ()),
        get("creationtime", ""),
        get("video_mode"),
        get("video_source_id"),
    )


@dataclass(frozen=True, slots=True)
class RTPstat(Model):
    channel_uniqueid: str
    txcount: int = 0
    rxcount: int = 0
    txploss: int = 0
    rxploss: int = 0
    local_ssrc: int = 0
    remote_ssrc: int = 0
    txoctetcount: int = 0
    rxoctetcount: int = 0
    txjitter: float | None = None
    rxjitter: float | None = None
    remote_maxjitter: float | None = None
    remote_minjitter: float | None = None
    remote_normdevjitter: float | None = None
    remote_stdevjitter: float | None = None
    local_maxjitter: float | None = None
    local_minjitter: float | None = None
    local_normdevjitter: float | None = None
    local_stdevjitter: float | None = None
    remote_maxrxploss: float | None = None
    remote_minrxploss: float | None = None
    remote_normdevrxploss: float | None = None
    remote_stdevrxploss: float | None = None
    local_maxrxploss: float | None = None
    local_minrxploss: float | None = None
    local_normdevrxploss: float | None = None
    local_stdevrxploss: float | None = None
    rtt: float | None = None
    maxrtt: float | None = None
    minrtt: float | None = None
    normdevrtt: float | None = None
    stdevrtt: float | None = None

    @classmethod
    def from_json(cls, data: Json) -> RTPstat:
        known = {k: v for k, v in data.items() if k in _RTP_FIELDS}
        known.setdefault("channel_uniqueid", "")
        return cls(**known)


_RTP_FIELDS = frozenset(RTPstat.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class AsteriskInfo(Model):
    """``GET /asterisk/info``: the parts a dashboard shows, plus the whole answer."""

    version: str = ""
    entity_id: str = ""
    startup_time: str = ""
    last_reload_time: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> AsteriskInfo:
        system = data.get("system") or _EMPTY
        status = data.get("status") or _EMPTY
        return cls(
            version=system.get("version", ""),
            entity_id=system.get("entity_id", ""),
            startup_time=status.get("startup_time", ""),
            last_reload_time=status.get("last_reload_time", ""),
            raw=MappingProxyType(dict(data)),
        )


@dataclass(frozen=True, slots=True)
class AsteriskPing(Model):
    asterisk_id: str = ""
    ping: str = ""
    timestamp: str = ""

    @classmethod
    def from_json(cls, data: Json) -> AsteriskPing:
        return cls(
            asterisk_id=data.get("asterisk_id", ""),
            ping=data.get("ping", ""),
            timestamp=data.get("timestamp", ""),
        )


@dataclass(frozen=True, slots=True)
class Endpoint(Model):
    """A phone, trunk or other device Asterisk knows (``GET /endpoints``, ``EndpointStateChange``).

    ``state`` is "online", "offline" or "unknown" (optional in the spec: None when absent);
    ``channel_ids`` are the ids of the channels it has now."""

    technology: str
    resource: str
    state: str | None = None
    channel_ids: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """``PJSIP/alice``: how dial strings, channel names and device states name it."""
        return f"{self.technology}/{self.resource}"

    @classmethod
    def from_json(cls, data: Json) -> Endpoint:
        return endpoint_from_json(data)


_new_endpoint = fast_constructor(Endpoint)


def endpoint_from_json(data: Json) -> Endpoint:
    return _new_endpoint(data["technology"], data["resource"], data.get("state"),
                         tuple(data.get("channel_ids") or ()))


@dataclass(frozen=True, slots=True)
class DeviceState(Model):
    """A device's state as ``DeviceStateChanged`` reports it: ``name`` like ``PJSIP/alice``,
    ``state`` one of UNKNOWN NOT_INUSE INUSE BUSY INVALID UNAVAILABLE RINGING RINGINUSE ONHOLD."""

    name: str
    state: str


_new_device_state = fast_constructor(DeviceState)


def device_state_from_json(data: Json) -> DeviceState:
    return _new_device_state(data["name"], data["state"])


@dataclass(frozen=True, slots=True)
class Peer(Model):
    """A peer's registration or reachability (``PeerStatusChange``); ``peer_status`` depends on the
    technology: PJSIP says Reachable / Unreachable, chan_sip Registered / Unregistered / Lagged..."""

    peer_status: str
    cause: str | None = None
    address: str | None = None
    port: str | None = None
    time: str | None = None


def peer_from_json(data: Json) -> Peer:
    get = data.get
    return Peer(data["peer_status"], get("cause"), get("address"), get("port"), get("time"))
