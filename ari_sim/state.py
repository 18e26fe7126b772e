"""The PBX's objects (channels, bridges, playbacks, recordings) and their ARI JSON shapes.

Key order in every `to_json` follows what Asterisk sends, so that a byte-level diff against a
recording stays readable.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .phones import Endpoint
    from .stasis import Control

# Q.850 causes as Asterisk names them in `cause_txt` (main/channel.c's table).
CAUSES = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    2: "No route to specified transmit network",
    3: "No route to destination",
    6: "Channel unacceptable",
    7: "Call awarded and being delivered in an established channel",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    20: "Subscriber absent",
    21: "Call Rejected",
    22: "Number changed",
    26: "Answered elsewhere",
    27: "Destination out of order",
    28: "Invalid number format",
    29: "Facility rejected",
    30: "Response to STATus ENQuiry",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    41: "Temporary failure",
    42: "Switching equipment congestion",
    43: "Access information discarded",
    44: "Requested channel not available",
    45: "Pre-empted",
    50: "Facility not subscribed",
    52: "Outgoing call barred",
    54: "Incoming call barred",
    57: "Bearer capability not authorized",
    58: "Bearer capability not available",
    65: "Bearer capability not implemented",
    66: "Channel not implemented",
    69: "Facility not implemented",
    81: "Invalid call reference value",
    88: "Incompatible destination",
    95: "Invalid message unspecified",
    96: "Mandatory information element is missing",
    97: "Message type nonexist.",
    98: "Wrong message",
    99: "Info. element nonexist or not implemented",
    100: "Invalid information element contents",
    101: "Message not compatible with call state",
    102: "Recover on timer expiry",
    103: "Mandatory IE length error",
    111: "Protocol error, unspecified",
    127: "Interworking, unspecified",
}

CHANNEL_STATES = (
    "Down", "Rsrved", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy",
    "Dialing Offhook", "Pre-ring", "Unknown",
)


def cause_text(cause: int) -> str:
    return CAUSES.get(cause, "Unknown")


@dataclass(slots=True, eq=False)
class Channel:
    id: str
    name: str
    tech: str
    resource: str
    creationtime: str
    state: str = "Down"
    protocol_id: str = ""
    caller_name: str = ""
    caller_number: str = ""
    connected_name: str = ""
    connected_number: str = ""
    accountcode: str = ""
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    app_name: str = ""
    app_data: str = ""
    language: str = "en"
    vars: dict = field(default_factory=dict)
    # Variables set with report_events: Asterisk then lists them under `channelvars`.
    reported: dict = field(default_factory=dict)
    # What the snapshot shows again once a dialplan application is done (AppDial2 on an
    # originated channel, nothing on a created one): seen in every ChannelDestroyed.
    base_app: tuple = ("", "")
    peer: Optional["Channel"] = None
    half: int = 0
    device: str = ""
    endpoint: Optional["Endpoint"] = None
    alive: bool = True
    hanging: bool = False
    hangupcause: int = 0
    subscribers: set = field(default_factory=set)
    stasis_app: Optional[str] = None
    control: Optional["Control"] = None
    # Executing dialplan, and whether that dialplan is a full PBX (which runs `h` at hangup).
    pbx: bool = False
    runs_h: bool = False
    # Stasis was started by pbx_exec outside a PBX (originate into an app, create): its
    # STASISSTATUS is only set when that call returns, i.e. when the channel ends.
    stasis_exec: bool = False
    # The running Stasis was started by the dialplan (Stasis() in a PBX): it sets STASISSTATUS
    # as soon as it returns.
    stasis_from_pbx: bool = False
    continued: bool = False
    pending_stasis_status: bool = False
    dialstring: Optional[str] = None
    dial: Any = None
    timers: dict = field(default_factory=dict)
    bridge: Optional["Bridge"] = None
    held: bool = False
    muted: set = field(default_factory=set)
    moh_class: Optional[str] = None
    silence: bool = False
    ringing: bool = False
    answered_at: Optional[float] = None
    created_at: float = 0.0
    snoops: list = field(default_factory=list)
    snoop_target: Optional["Channel"] = None
    recording: Any = None
    # Playbacks and recordings queued or running on this channel (so a hangup finds them).
    media: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def snapshot(self) -> dict:
        data = {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": self.protocol_id,
            "caller": {"name": self.caller_name, "number": self.caller_number},
            "connected": {"name": self.connected_name, "number": self.connected_number},
            "accountcode": self.accountcode,
            "dialplan": {
                "context": self.context,
                "exten": self.exten,
                "priority": self.priority,
                "app_name": self.app_name,
                "app_data": self.app_data,
            },
            "creationtime": self.creationtime,
            "language": self.language,
        }
        if self.reported:
            from .variables import read_variable

            data["channelvars"] = {
                name: (read_variable(self, name) or "") for name in reversed(self.reported)
            }
        return data

    def cancel_timers(self) -> None:
        for handle in self.timers.values():
            handle.cancel()
        self.timers.clear()


@dataclass(slots=True, eq=False)
class Bridge:
    id: str
    name: str
    types: tuple
    creationtime: str
    channels: list = field(default_factory=list)
    subscribers: set = field(default_factory=set)
    moh_class: Optional[str] = None
    video_source_id: Optional[str] = None

    @property
    def bridge_type(self) -> str:
        return "holding" if "holding" in self.types else "mixing"

    @property
    def technology(self) -> str:
        if self.bridge_type == "holding":
            return "holding_bridge"
        # Asterisk starts a mixing bridge as simple_bridge and moves to softmix at 3 channels.
        return "softmix" if len(self.channels) > 2 or "video_sfu" in self.types else "simple_bridge"

    def to_json(self) -> dict:
        data = {
            "id": self.id,
            "technology": self.technology,
            "bridge_type": self.bridge_type,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": [channel.id for channel in self.channels],
            "creationtime": self.creationtime,
            "video_mode": "sfu" if "video_sfu" in self.types else ("none" if self.bridge_type == "holding" else "talker"),
        }
        if self.video_source_id:
            data["video_source_id"] = self.video_source_id
        return data


@dataclass(slots=True, eq=False)
class Playback:
    id: str
    media: list
    target_uri: str
    language: str
    channel: Optional[Channel] = None
    bridge: Optional[Bridge] = None
    state: str = "queued"
    index: int = 0
    skipms: int = 3000
    offsetms: int = 0
    timer: Optional[asyncio.TimerHandle] = None
    ends_at: float = 0.0
    remaining: Optional[float] = None
    done: Optional[asyncio.Future] = None

    @property
    def media_uri(self) -> str:
        return self.media[self.index]

    def to_json(self) -> dict:
        data = {"id": self.id, "media_uri": self.media[self.index]}
        if self.index + 1 < len(self.media):
            data["next_media_uri"] = self.media[self.index + 1]
        data["target_uri"] = self.target_uri
        data["language"] = self.language
        data["state"] = self.state
        return data


@dataclass(slots=True, eq=False)
class LiveRecording:
    name: str
    format: str
    target_uri: str
    channel: Optional[Channel] = None
    state: str = "queued"
    max_duration: int = 0
    max_silence: int = 0
    terminate_on: str = "none"
    muted: bool = False
    started_at: Optional[float] = None
    paused_at: Optional[float] = None
    paused_total: float = 0.0
    duration: Optional[int] = None
    cause: Optional[str] = None
    timer: Optional[asyncio.TimerHandle] = None
    done: Optional[asyncio.Future] = None

    def to_json(self) -> dict:
        data = {"name": self.name, "format": self.format, "state": self.state, "target_uri": self.target_uri}
        if self.duration is not None:
            data["duration"] = self.duration
        if self.cause is not None:
            data["cause"] = self.cause
        return data


@dataclass(slots=True, eq=False)
class StoredRecording:
    name: str
    format: str
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"name": self.name, "format": self.format}
