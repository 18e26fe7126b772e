"""The catalogue of what a user can do to a channel: one entry per ARI Channels operation.

Each entry names the permission it needs, whether agents may use it on their own calls, and its
parameters as the spec names them (the REST API and the page forms use these names; `kwarg` is the
ari_bridge keyword). Allowed values come from ari_bridge.validation, the single place that knows them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ari_bridge import validation as v


@dataclass(frozen=True)
class Param:
    name: str  # as the ARI spec spells it
    type: str  # string int bool choice media dtmf variables channel endpoint
    required: bool = False
    choices: tuple[str, ...] = ()
    default: object = None
    minimum: int | None = None
    help: str = ""
    kwarg: str = ""  # ari_bridge keyword; derived from name when empty

    @property
    def python_name(self) -> str:
        return self.kwarg or _snake(self.name)

    def as_dict(self) -> dict:
        d = {"name": self.name, "type": self.type, "required": self.required, "help": self.help}
        if self.choices:
            d["choices"] = list(self.choices)
        if self.default is not None:
            d["default"] = self.default
        if self.minimum is not None:
            d["min"] = self.minimum
        return d


def _snake(name: str) -> str:
    out = []
    for ch in name:
        if ch.isupper():
            out.append("_" + ch.lower())
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Action:
    name: str  # ari_bridge.ChannelService method and the REST path segment
    label: str
    permission: str  # codename in dashboard.roles.PERMISSIONS
    params: tuple[Param, ...] = ()
    on_channel: bool = True  # False: creates a channel (originate, create, external media)
    group: str = "other"  # everyday, media, monitor, technical, create
    method: str = "POST"
    past: str = ""  # for the toast: "Held", "Hung up", ...
    flags: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "group": self.group,
            "method": self.method,
            "on_channel": self.on_channel,
            "past": self.past or self.label,
            "params": [p.as_dict() for p in self.params],
        }


_CONTEXT = Param("context", "string", help="Dialplan context (default: 'default')")
_EXTEN = Param("extension", "string", help="Dialplan extension")
_PRIORITY = Param("priority", "int", help="Dialplan priority (default 1)")
_LABEL = Param("label", "string", help="Dialplan label; supersedes priority")
_APP_ARGS = Param("appArgs", "string", help="Arguments for the Stasis application")
_VARIABLES = Param("variables", "variables", help="Channel variables to set on creation")
_ORIGINATE_COMMON = (
    Param("endpoint", "endpoint", required=True, help="Endpoint to call, e.g. PJSIP/alice or Local/100@default"),
    _EXTEN,
    _CONTEXT,
    _PRIORITY,
    _LABEL,
    Param("app", "string", help="Stasis application (instead of extension/context/priority/label)"),
    _APP_ARGS,
    Param("callerId", "string", help='Caller ID, e.g. "Alice" <2001>'),
    Param("timeout", "int", default=30, minimum=-1, help="Seconds before giving up dialling; -1 for none"),
)
_ORIGINATE_TAIL = (
    Param("otherChannelId", "string", help="Id for the second channel of a Local pair"),
    Param("originator", "channel", help="Id of the channel originating this one"),
    Param("formats", "string", help='Format capabilities if no originator, e.g. "ulaw,slin16"'),
    _VARIABLES,
)
_DIRECTION = Param("direction", "choice", choices=v.MUTE_DIRECTIONS, default="both", help="Audio direction")
_MEDIA = (
    Param("media", "media", required=True, help="Media URIs, comma-separated (sound:, recording:, number:, digits:, characters:, tone:)"),
    Param("lang", "string", help="Language for sounds"),
    Param("offsetms", "int", minimum=0, help="Milliseconds to skip before playing"),
    Param("skipms", "int", minimum=0, default=3000, help="Milliseconds to skip for forward/reverse"),
)
_SNOOP = (
    Param("spy", "choice", choices=v.SNOOP_DIRECTIONS, default="none", help="Direction of audio to spy on"),
    Param("whisper", "choice", choices=v.SNOOP_DIRECTIONS, default="none", help="Direction of audio to whisper into"),
    Param("app", "string", help="Stasis application for the snoop channel (default: the dashboard's)"),
    _APP_ARGS,
)

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        # Everyday call control: agents on their own calls, everyone else on any call.
        Action("hangup", "Hang up", "basic_control", (
            Param("reason", "choice", choices=v.HANGUP_REASONS, help="Reason (mutually exclusive with reason_code)"),
            Param("reason_code", "string", help="Q.850 cause code (mutually exclusive with reason)"),
        ), group="everyday", past="Hung up"),
        Action("hold", "Hold", "basic_control", group="everyday", past="Held"),
        Action("unhold", "Unhold", "basic_control", group="everyday", past="Took off hold"),
        Action("mute", "Mute", "basic_control", (_DIRECTION,), group="everyday", past="Muted"),
        Action("unmute", "Unmute", "basic_control", (_DIRECTION,), group="everyday", past="Unmuted"),
        Action("send_dtmf", "Send DTMF", "basic_control", (
            Param("dtmf", "dtmf", required=True, help="Digits 0-9 A-D * # and ',' for a pause"),
            Param("before", "int", minimum=0, help="Milliseconds before the digits"),
            Param("between", "int", minimum=0, default=100, help="Milliseconds between digits"),
            Param("duration", "int", minimum=0, default=100, help="Milliseconds per digit"),
            Param("after", "int", minimum=0, help="Milliseconds after the digits"),
        ), group="everyday", past="Sent DTMF to"),
        # Media: supervisors and NOC.
        Action("start_moh", "Music on hold", "media_control", (
            Param("mohClass", "string", help="Music on hold class (default: the channel's)"),
        ), group="media", past="Started music on hold on"),
        Action("stop_moh", "Stop music on hold", "media_control", group="media", past="Stopped music on hold on"),
        Action("start_silence", "Silence", "media_control", group="media", past="Started silence on"),
        Action("stop_silence", "Stop silence", "media_control", group="media", past="Stopped silence on"),
        Action("ring", "Ring", "media_control", group="media", past="Ringing indicated to"),
        Action("ring_stop", "Stop ringing", "media_control", group="media", past="Stopped ringing on"),
        Action("answer", "Answer", "media_control", group="media", past="Answered"),
        Action("play", "Play media", "media_control", _MEDIA + (
            Param("playbackId", "string", help="Id for the playback"),
        ), group="media", past="Playing to"),
        Action("play_with_id", "Play media with id", "media_control", (
            Param("playbackId", "string", required=True, help="Id for the playback"),
        ) + _MEDIA, group="media", past="Playing to"),
        # Call content: supervisors.
        Action("snoop_channel", "Snoop", "monitor_calls", _SNOOP + (
            Param("snoopId", "string", help="Id for the snoop channel"),
        ), group="monitor", past="Snooping on"),
        Action("snoop_channel_with_id", "Snoop with id", "monitor_calls", (
            Param("snoopId", "string", required=True, help="Id for the snoop channel"),
        ) + _SNOOP, group="monitor", past="Snooping on"),
        Action("record", "Record", "monitor_calls", (
            Param("name", "string", required=True, help="Recording name"),
            Param("format", "string", required=True, default="wav", help="Audio format, e.g. wav"),
            Param("maxDurationSeconds", "int", minimum=0, help="Maximum length in seconds; 0 for no limit"),
            Param("maxSilenceSeconds", "int", minimum=0, help="Maximum silence in seconds; 0 for no limit"),
            Param("ifExists", "choice", choices=v.RECORD_IF_EXISTS, default="fail", help="If a recording of that name exists"),
            Param("beep", "bool", help="Beep when recording starts"),
            Param("terminateOn", "choice", choices=v.RECORD_TERMINATE_ON, default="none", help="DTMF that ends the recording"),
        ), group="monitor", past="Recording"),
        # Technical control: NOC.
        Action("redirect", "Redirect", "technical_control", (
            Param("endpoint", "endpoint", required=True, help="Endpoint to redirect to (same technology)"),
        ), group="everyday", past="Redirected"),
        Action("continue_in_dialplan", "Continue in dialplan", "technical_control", (_CONTEXT, _EXTEN, _PRIORITY, _LABEL),
               group="technical", past="Sent back to the dialplan:"),
        Action("move", "Move to app", "technical_control", (
            Param("app", "string", required=True, help="Stasis application to move to"),
            _APP_ARGS,
        ), group="technical", past="Moved"),
        Action("dial", "Dial", "technical_control", (
            Param("caller", "channel", help="Id of the calling channel"),
            Param("timeout", "int", minimum=0, help="Dial timeout in seconds"),
        ), group="technical", past="Dialled"),
        Action("get_channel_var", "Get variable", "technical_control", (
            Param("variable", "string", required=True, help="Variable or function, e.g. CALLERID(name)"),
        ), group="technical", method="GET", past="Read a variable of"),
        Action("set_channel_var", "Set variable", "technical_control", (
            Param("variable", "string", required=True, help="Variable or function, e.g. CALLERID(name)"),
            Param("value", "string", help="Value"),
        ), group="technical", past="Set a variable on"),
        Action("rtp_statistics", "RTP statistics", "technical_control", group="technical", method="GET",
               past="Read RTP statistics of"),
        # Creating channels.
        Action("originate", "Originate", "technical_control",
               _ORIGINATE_COMMON + (Param("channelId", "string", help="Id for the new channel"),) + _ORIGINATE_TAIL,
               on_channel=False, group="create", past="Originated"),
        Action("originate_with_id", "Originate with id", "technical_control",
               (Param("channelId", "string", required=True, help="Id for the new channel"),) + _ORIGINATE_COMMON + _ORIGINATE_TAIL,
               on_channel=False, group="create", past="Originated"),
        Action("create", "Create channel", "technical_control", (
            Param("endpoint", "endpoint", required=True, help="Endpoint for the channel"),
            Param("app", "string", required=True, help="Stasis application to place the channel in"),
            _APP_ARGS,
            Param("channelId", "string", help="Id for the new channel"),
        ) + _ORIGINATE_TAIL, on_channel=False, group="create", past="Created"),
        Action("external_media", "External media", "technical_control", (
            Param("channelId", "string", help="Id for the new channel"),
            Param("app", "string", required=True, help="Stasis application"),
            Param("external_host", "string", required=True, help="host:port of the media server"),
            Param("encapsulation", "choice", choices=v.EXTERNAL_MEDIA_ENCAPSULATIONS, default="rtp"),
            Param("transport", "choice", choices=v.EXTERNAL_MEDIA_TRANSPORTS, default="udp"),
            Param("connection_type", "choice", choices=v.EXTERNAL_MEDIA_CONNECTION_TYPES, default="client"),
            Param("format", "string", required=True, default="ulaw", help="Audio format, e.g. ulaw"),
            Param("direction", "choice", choices=v.EXTERNAL_MEDIA_DIRECTIONS, default="both"),
            Param("data", "string", help="Arbitrary data"),
            _VARIABLES,
        ), on_channel=False, group="create", past="Started external media"),
    ]
}

# Reading channels is not an action in this table: visibility decides (see access.py).
CLICK_TO_CALL = "click_to_call"


def catalogue() -> list[dict]:
    return [a.as_dict() for a in ACTIONS.values()]
