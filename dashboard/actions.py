"""The catalogue of what a user can do to a channel: one entry per ARI Channels operation.

Each entry names the permission it needs, whether agents may use it on their own calls, and its
parameters as the spec names them (the REST API and the page forms use these names). Parameters,
kinds, allowed values and ranges come from ari_bridge.operations, the single table that knows them;
this module adds only what the dashboard needs: who may do it, and words for people.
"""
from __future__ import annotations

from dataclasses import dataclass

from ari_bridge.operations import OPERATIONS
from ari_bridge import validation


@dataclass(frozen=True)
class Param:
    name: str  # as the ARI spec spells it: the REST API and the forms use it
    kwarg: str  # the ari_bridge keyword
    type: str  # string int bool choice media dtmf variables channel endpoint
    required: bool = False
    choices: tuple[str, ...] = ()
    default: object = None
    minimum: int | None = None
    maximum: int | None = None  # ints
    max_length: int | None = None  # texts (each item of a list)
    help: str = ""
    labels: dict[str, str] | None = None  # choice -> words for people (the API takes the choice)

    def as_dict(self) -> dict:
        d = {"name": self.name, "type": self.type, "required": self.required, "help": self.help}
        if self.choices:
            d["choices"] = list(self.choices)
        if self.labels:
            d["labels"] = dict(self.labels)
        if self.default is not None:
            d["default"] = self.default
        if self.minimum is not None:
            d["min"] = self.minimum
        if self.maximum is not None:
            d["max"] = self.maximum
        if self.max_length is not None:
            d["max_length"] = self.max_length
        return d


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


_TYPES = {"str": "string", "int": "int", "bool": "bool", "choice": "choice", "id": "string",
          "endpoint": "endpoint", "media": "media", "dtmf": "dtmf", "variables": "variables",
          "recording": "string", "channels": "string", "word": "string", "words": "string",
          "host_port": "string", "app": "string"}
# Parameters that name another channel get a channel picker in the page.
_CHANNEL_PARAMS = {"originator", "caller"}

# What the spec says each parameter means and defaults to, in words for the forms.
_HELP: dict[str, tuple[str, object]] = {
    "endpoint": ("Endpoint, e.g. PJSIP/alice or Local/100@default", None),
    "extension": ("Dialplan extension", None),
    "context": ("Dialplan context (default: 'default')", None),
    "priority": ("Dialplan priority (default 1)", None),
    "label": ("Dialplan label; supersedes priority", None),
    "app": ("Stasis application", None),
    "appArgs": ("Arguments for the Stasis application", None),
    "callerId": ('Caller ID, e.g. "Alice" <2001>', None),
    "timeout": ("Seconds before giving up", None),
    "channelId": ("Id for the new channel", None),
    "otherChannelId": ("Id for the second channel of a Local pair", None),
    "originator": ("Id of the channel originating this one", None),
    "formats": ('Format capabilities without an originator, e.g. "ulaw,slin16"', None),
    "variables": ("Channel variables to set on creation", None),
    "reason": ("Hangup reason (or a reason_code)", None),
    "reason_code": ("Q.850 cause code (or a reason)", None),
    "direction": ("Audio direction", "both"),
    "dtmf": ("Digits 0-9 A-D * # and ',' for a pause", None),
    "before": ("Milliseconds before the digits", None),
    "between": ("Milliseconds between digits", 100),
    "duration": ("Milliseconds per digit", 100),
    "after": ("Milliseconds after the digits", None),
    "mohClass": ("Music on hold class (default: the channel's)", None),
    "media": ("Media URIs, comma-separated: sound:, recording:, number:, digits:, characters:, tone:", None),
    "lang": ("Language for sounds", None),
    "offsetms": ("Milliseconds to skip before playing", None),
    "skipms": ("Milliseconds to skip for forward/reverse", 3000),
    "playbackId": ("Id for the playback", None),
    "name": ("Recording name", None),
    "format": ("Audio format, e.g. wav or ulaw", None),
    "maxDurationSeconds": ("Maximum length in seconds; 0 for no limit", None),
    "maxSilenceSeconds": ("Maximum silence in seconds; 0 for no limit", None),
    "ifExists": ("If a recording of that name exists", "fail"),
    "beep": ("Beep when recording starts", None),
    "terminateOn": ("DTMF that ends the recording", "none"),
    "variable": ("Variable or function, e.g. CALLERID(name)", None),
    "value": ("Value", None),
    "spy": ("Direction of audio to spy on", "none"),
    "whisper": ("Direction of audio to whisper into", "none"),
    "snoopId": ("Id for the snoop channel", None),
    "caller": ("Id of the calling channel", None),
    "external_host": ("host:port of the media server", None),
    "encapsulation": ("Payload encapsulation", "rtp"),
    "transport": ("Transport protocol", "udp"),
    "connection_type": ("Connection type", "client"),
    "data": ("Arbitrary data", None),
}
_TIMEOUT_DEFAULT = {"originate": 30, "originate_with_id": 30}

# The one table of words for hangup reasons: every page that offers them shows these.
HANGUP_REASON_WORDS = {
    "normal": "normal", "busy": "busy", "congestion": "congestion", "no_answer": "no answer",
    "timeout": "timed out", "rejected": "rejected", "unallocated": "unknown number",
    "normal_unspecified": "normal, unspecified", "number_incomplete": "incomplete number",
    "codec_mismatch": "codec mismatch", "interworking": "interworking error", "failure": "network failure",
    "answered_elsewhere": "answered elsewhere",
}
_LABELS = {("hangup", "reason"): HANGUP_REASON_WORDS}


def _params(name: str, on_channel: bool) -> tuple[Param, ...]:
    op = OPERATIONS[name]
    out = []
    for p in op.params:
        if on_channel and p.name == "channel_id" and p.where == "path":
            continue  # the channel the action is on comes from the URL
        help_text, default = _HELP.get(p.ari, ("", None))
        if p.ari == "timeout":
            default = _TIMEOUT_DEFAULT.get(name)
        # The dashboard puts snoop channels into its own application unless told otherwise.
        required = p.required and not (name.startswith("snoop_channel") and p.ari == "app")
        kind = "channel" if p.ari in _CHANNEL_PARAMS else _TYPES[p.kind]
        text = p.kind not in ("int", "bool", "choice", "variables")
        out.append(Param(name=p.ari, kwarg=p.name, type=kind, required=required, choices=p.choices,
                         default=default, minimum=p.minimum,
                         maximum=validation.maximum(p) if p.kind == "int" else None,
                         max_length=validation.max_length(p) if text else None, help=help_text,
                         labels=_LABELS.get((name, p.ari))))
    return tuple(out)


# name, label, permission, group, past tense for the toast
_TABLE = [
    # Everyday call control: agents on their own calls, everyone else on any call.
    ("hangup", "Hang up", "basic_control", "everyday", "Hung up"),
    ("hold", "Hold", "basic_control", "everyday", "Held"),
    ("unhold", "Unhold", "basic_control", "everyday", "Took off hold"),
    ("mute", "Mute", "basic_control", "everyday", "Muted"),
    ("unmute", "Unmute", "basic_control", "everyday", "Unmuted"),
    ("send_dtmf", "Send DTMF", "basic_control", "everyday", "Sent DTMF to"),
    # Media: supervisors and NOC.
    ("start_moh", "Music on hold", "media_control", "media", "Started music on hold on"),
    ("stop_moh", "Stop music on hold", "media_control", "media", "Stopped music on hold on"),
    ("start_silence", "Silence", "media_control", "media", "Started silence on"),
    ("stop_silence", "Stop silence", "media_control", "media", "Stopped silence on"),
    ("ring", "Ring", "media_control", "media", "Ringing indicated to"),
    ("ring_stop", "Stop ringing", "media_control", "media", "Stopped ringing on"),
    ("answer", "Answer", "media_control", "media", "Answered"),
    ("play", "Play media", "media_control", "media", "Playing to"),
    ("play_with_id", "Play media with id", "media_control", "media", "Playing to"),
    # Call content: supervisors.
    ("snoop_channel", "Snoop", "monitor_calls", "monitor", "Snooping on"),
    ("snoop_channel_with_id", "Snoop with id", "monitor_calls", "monitor", "Snooping on"),
    ("record", "Record", "monitor_calls", "monitor", "Recording"),
    # Technical control: NOC.
    ("redirect", "Redirect", "technical_control", "everyday", "Redirected"),
    ("continue_in_dialplan", "Continue in dialplan", "technical_control", "technical", "Sent back to the dialplan:"),
    ("move", "Move to app", "technical_control", "technical", "Moved"),
    ("dial", "Dial", "technical_control", "technical", "Dialled"),
    ("get_channel_var", "Get variable", "technical_control", "technical", "Read a variable of"),
    ("set_channel_var", "Set variable", "technical_control", "technical", "Set a variable on"),
    ("rtp_statistics", "RTP statistics", "technical_control", "technical", "Read RTP statistics of"),
    # Creating channels.
    ("originate", "Originate", "technical_control", "create", "Originated"),
    ("originate_with_id", "Originate with id", "technical_control", "create", "Originated"),
    ("create", "Create channel", "technical_control", "create", "Created"),
    ("external_media", "External media", "technical_control", "create", "Started external media"),
]
# Operations that create a channel; originate_with_id's path id is the new channel's id.
_CREATES = {"originate", "originate_with_id", "create", "external_media"}

ACTIONS: dict[str, Action] = {
    name: Action(name, label, permission, _params(name, name not in _CREATES), on_channel=name not in _CREATES,
                 group=group, method=OPERATIONS[name].method if OPERATIONS[name].method == "GET" else "POST",
                 past=past)
    for name, label, permission, group, past in _TABLE
}

# Reading channels is not an action in this table: visibility decides (see access.py).
CLICK_TO_CALL = "click_to_call"


def catalogue() -> list[dict]:
    return [a.as_dict() for a in ACTIONS.values()]
