"""The ARI operations this package calls: HTTP method, path, parameters, answer.

One table, read by the client (to build requests), by validation (to check them first) and
by the docs. Parameter names: ``name`` is the Python keyword, ``ari`` the name on the wire.
Parameter kinds (checked in ``validation``): str, int, bool, choice, id, endpoint, media,
dtmf, variables, recording, channels, word, words, host_port, app, technology, segment. Every text has a length cap
(``max_length``, else its kind's) and every integer a range (``minimum``..``maximum``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Where = Literal["path", "query", "body"]
Returns = Literal["none", "channel", "channels", "playback", "recording", "variable", "rtpstat",
                  "bridge", "bridges", "asterisk_info", "ping", "endpoint", "endpoints"]

HANGUP_REASONS = (
    "normal", "busy", "congestion", "no_answer", "timeout", "rejected", "unallocated",
    "normal_unspecified", "number_incomplete", "codec_mismatch", "interworking", "failure",
    "answered_elsewhere",
)
MUTE_DIRECTIONS = ("both", "in", "out")
SNOOP_DIRECTIONS = ("none", "both", "out", "in")
RECORD_IF_EXISTS = ("fail", "overwrite", "append")
RECORD_TERMINATE_ON = ("none", "any", "*", "#")
EXTERNAL_MEDIA_ENCAPSULATIONS = ("rtp", "audiosocket")
EXTERNAL_MEDIA_TRANSPORTS = ("udp", "tcp")
EXTERNAL_MEDIA_CONNECTION_TYPES = ("client",)
EXTERNAL_MEDIA_DIRECTIONS = ("both",)
BRIDGE_TYPES = ("mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single")
MEDIA_SCHEMES = ("sound", "recording", "number", "digits", "characters", "tone")

# Lengths: Asterisk's own limits where it has them, otherwise far above any real value.
MAX_ID_LENGTH = 149  # AST_MAX_PUBLIC_UNIQUEID: "Uniqueid length exceeds maximum of 149"
MAX_DIALPLAN_NAME = 80  # AST_MAX_EXTENSION, AST_MAX_CONTEXT (and a priority label)
MAX_MOH_CLASS = 80  # MAX_MUSICCLASS
MAX_VALUE = 4096  # VAR_BUF_SIZE: what a channel variable or function holds
MAX_NAME = 255  # endpoints, applications, variable names, caller ids, recording and media names
MAX_WORD = 32  # a format or language name (ulaw, slin16, en_GB)
MAX_TEXT = 1024  # application arguments and other free text
MAX_DTMF = 256
MAX_ITEMS = 50  # media URIs in one playback, channels in one request, variables on one channel
INT_MAX = 2**31 - 1  # ARI's int (and Asterisk's priorities) are 32-bit


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    ari: str
    kind: str = "str"
    required: bool = False
    where: Where = "query"
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None  # None: the kind's (INT_MAX for an int)
    max_length: int | None = None  # None: the kind's (see validation)
    default: object = None  # sent when the caller gives nothing (Asterisk needs it)


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    method: str
    path: str  # with {ari names} of path parameters
    params: tuple[Param, ...] = ()
    returns: Returns = "none"
    summary: str = ""
    spec: str = ""  # the operation's name in the ARI documentation ("" for non-Channels calls)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def _path_id(name: str, ari: str) -> Param:
    return Param(name, ari, "id", required=True, where="path")


CHANNEL = _path_id("channel_id", "channelId")
_VARIABLES = Param("variables", "variables", "variables", where="body")
_APP_ARGS = Param("app_args", "appArgs", max_length=MAX_TEXT)
_DIALPLAN = (
    Param("extension", "extension", max_length=MAX_DIALPLAN_NAME),
    Param("context", "context", max_length=MAX_DIALPLAN_NAME),
    Param("priority", "priority", "int", minimum=1),
    Param("label", "label", max_length=MAX_DIALPLAN_NAME),
)
_ORIGINATE = (
    Param("endpoint", "endpoint", "endpoint", required=True),
    *_DIALPLAN,
    Param("app", "app", "app"),
    _APP_ARGS,
    Param("caller_id", "callerId"),
    Param("timeout", "timeout", "int", minimum=-1),
)
_ORIGINATE_TAIL = (
    Param("other_channel_id", "otherChannelId", "id"),
    Param("originator", "originator", "id"),
    Param("formats", "formats", "words"),
    _VARIABLES,
)
_MEDIA = (
    Param("media", "media", "media", required=True),
    Param("lang", "lang", "word"),
    Param("offsetms", "offsetms", "int", minimum=0),
    Param("skipms", "skipms", "int", minimum=0),
)
_SNOOP = (
    Param("spy", "spy", "choice", choices=SNOOP_DIRECTIONS),
    Param("whisper", "whisper", "choice", choices=SNOOP_DIRECTIONS),
    Param("app", "app", "app", required=True),
    _APP_ARGS,
)
_DIRECTION = Param("direction", "direction", "choice", choices=MUTE_DIRECTIONS, default="both")
_BRIDGE = _path_id("bridge_id", "bridgeId")
_TECH = Param("technology", "tech", "technology", required=True, where="path")


def _on_channel(name: str, method: str, suffix: str, *params: Param, spec: str, summary: str,
                returns: Returns = "none") -> Operation:
    return Operation(name, method, "/channels/{channelId}" + suffix, (CHANNEL, *params), returns,
                     summary, spec)


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("list", "GET", "/channels", (), "channels", "List all active channels.", "list"),
        Operation("originate", "POST", "/channels",
                  (*_ORIGINATE, Param("channel_id", "channelId", "id"), *_ORIGINATE_TAIL),
                  "channel", "Create a new channel (originate).", "originate"),
        Operation("create", "POST", "/channels/create", (
            Param("endpoint", "endpoint", "endpoint", required=True),
            Param("app", "app", "app", required=True),
            _APP_ARGS,
            Param("channel_id", "channelId", "id"),
            *_ORIGINATE_TAIL,
        ), "channel", "Create a channel, to dial later.", "create"),
        _on_channel("get", "GET", "", returns="channel", spec="get", summary="Channel details."),
        _on_channel("originate_with_id", "POST", "", *_ORIGINATE, *_ORIGINATE_TAIL, returns="channel",
                    spec="originateWithId", summary="Originate with a given channel id."),
        _on_channel("hangup", "DELETE", "",
                    Param("reason_code", "reason_code", max_length=3),
                    Param("reason", "reason", "choice", choices=HANGUP_REASONS),
                    spec="hangup", summary="Hang up a channel."),
        _on_channel("continue_in_dialplan", "POST", "/continue", *_DIALPLAN,
                    spec="continueInDialplan", summary="Leave the app, continue in the dialplan."),
        _on_channel("move", "POST", "/move", Param("app", "app", "app", required=True), _APP_ARGS,
                    spec="move", summary="Move to another Stasis application."),
        _on_channel("redirect", "POST", "/redirect",
                    Param("endpoint", "endpoint", "endpoint", required=True),
                    spec="redirect", summary="Redirect the channel to another endpoint."),
        _on_channel("answer", "POST", "/answer", spec="answer", summary="Answer a channel."),
        _on_channel("ring", "POST", "/ring", spec="ring", summary="Indicate ringing."),
        _on_channel("ring_stop", "DELETE", "/ring", spec="ringStop", summary="Stop ringing indication."),
        _on_channel("send_dtmf", "POST", "/dtmf",
                    Param("dtmf", "dtmf", "dtmf", required=True),
                    Param("before", "before", "int", minimum=0),
                    Param("between", "between", "int", minimum=0),
                    Param("duration", "duration", "int", minimum=0),
                    Param("after", "after", "int", minimum=0),
                    spec="sendDTMF", summary="Send DTMF digits."),
        _on_channel("mute", "POST", "/mute", _DIRECTION, spec="mute", summary="Mute a channel."),
        _on_channel("unmute", "DELETE", "/mute", _DIRECTION, spec="unmute", summary="Unmute a channel."),
        _on_channel("hold", "POST", "/hold", spec="hold", summary="Hold a channel."),
        _on_channel("unhold", "DELETE", "/hold", spec="unhold", summary="Take a channel off hold."),
        _on_channel("start_moh", "POST", "/moh", Param("moh_class", "mohClass", max_length=MAX_MOH_CLASS),
                    spec="startMoh", summary="Play music on hold."),
        _on_channel("stop_moh", "DELETE", "/moh", spec="stopMoh", summary="Stop music on hold."),
        _on_channel("start_silence", "POST", "/silence", spec="startSilence", summary="Play silence."),
        _on_channel("stop_silence", "DELETE", "/silence", spec="stopSilence", summary="Stop silence."),
        _on_channel("play", "POST", "/play", *_MEDIA, Param("playback_id", "playbackId", "id"),
                    returns="playback", spec="play", summary="Play media."),
        _on_channel("play_with_id", "POST", "/play/{playbackId}",
                    _path_id("playback_id", "playbackId"), *_MEDIA,
                    returns="playback", spec="playWithId", summary="Play media with a given playback id."),
        _on_channel("record", "POST", "/record",
                    Param("name", "name", "recording", required=True),
                    Param("format", "format", "word", required=True),
                    Param("max_duration_seconds", "maxDurationSeconds", "int", minimum=0),
                    Param("max_silence_seconds", "maxSilenceSeconds", "int", minimum=0),
                    Param("if_exists", "ifExists", "choice", choices=RECORD_IF_EXISTS),
                    Param("beep", "beep", "bool"),
                    Param("terminate_on", "terminateOn", "choice", choices=RECORD_TERMINATE_ON),
                    returns="recording", spec="record", summary="Record the channel."),
        _on_channel("get_channel_var", "GET", "/variable", Param("variable", "variable", required=True),
                    returns="variable", spec="getChannelVar", summary="Read a variable or function."),
        _on_channel("set_channel_var", "POST", "/variable",
                    Param("variable", "variable", required=True), Param("value", "value", max_length=MAX_VALUE),
                    spec="setChannelVar", summary="Set a variable or function."),
        _on_channel("snoop_channel", "POST", "/snoop", *_SNOOP, Param("snoop_id", "snoopId", "id"),
                    returns="channel", spec="snoopChannel", summary="Start snooping (spy/whisper)."),
        _on_channel("snoop_channel_with_id", "POST", "/snoop/{snoopId}",
                    _path_id("snoop_id", "snoopId"), *_SNOOP,
                    returns="channel", spec="snoopChannelWithId", summary="Snoop with a given id."),
        _on_channel("dial", "POST", "/dial",
                    Param("caller", "caller", "id"), Param("timeout", "timeout", "int", minimum=0),
                    spec="dial", summary="Dial a created channel."),
        _on_channel("rtp_statistics", "GET", "/rtp_statistics", returns="rtpstat",
                    spec="rtpstatistics", summary="RTP statistics."),
        Operation("external_media", "POST", "/channels/externalMedia", (
            Param("channel_id", "channelId", "id"),
            Param("app", "app", "app", required=True),
            Param("external_host", "external_host", "host_port", required=True),
            Param("encapsulation", "encapsulation", "choice", choices=EXTERNAL_MEDIA_ENCAPSULATIONS),
            Param("transport", "transport", "choice", choices=EXTERNAL_MEDIA_TRANSPORTS),
            Param("connection_type", "connection_type", "choice",
                  choices=EXTERNAL_MEDIA_CONNECTION_TYPES),
            Param("format", "format", "word", required=True),
            Param("direction", "direction", "choice", choices=EXTERNAL_MEDIA_DIRECTIONS),
            Param("data", "data", max_length=MAX_TEXT),
            _VARIABLES,
        ), "channel", "Start an External Media session.", "externalMedia"),
        # Beyond the Channels API: what supervisor listen/whisper/barge and playback control need.
        Operation("list_bridges", "GET", "/bridges", (), "bridges", "List bridges."),
        Operation("create_bridge", "POST", "/bridges", (
            Param("type", "type", "bridge_type"),
            Param("bridge_id", "bridgeId", "id"),
            Param("name", "name"),
        ), "bridge", "Create a bridge."),
        Operation("get_bridge", "GET", "/bridges/{bridgeId}", (_BRIDGE,), "bridge", "Bridge details."),
        Operation("add_channel", "POST", "/bridges/{bridgeId}/addChannel", (
            _BRIDGE,
            Param("channel", "channel", "channels", required=True),
            Param("role", "role"),
            Param("absorb_dtmf", "absorbDTMF", "bool"),
            Param("mute", "mute", "bool"),
            Param("inhibit_connected_line_updates", "inhibitConnectedLineUpdates", "bool"),
        ), "none", "Add channels to a bridge."),
        Operation("remove_channel", "POST", "/bridges/{bridgeId}/removeChannel", (
            _BRIDGE,
            Param("channel", "channel", "channels", required=True),
        ), "none", "Remove channels from a bridge."),
        Operation("destroy_bridge", "DELETE", "/bridges/{bridgeId}", (_BRIDGE,), "none",
                  "Destroy a bridge."),
        Operation("get_playback", "GET", "/playbacks/{playbackId}",
                  (_path_id("playback_id", "playbackId"),), "playback", "Playback details."),
        Operation("stop_playback", "DELETE", "/playbacks/{playbackId}",
                  (_path_id("playback_id", "playbackId"),), "none", "Stop a playback."),
        Operation("get_live_recording", "GET", "/recordings/live/{recordingName}",
                  (_path_id("name", "recordingName"),), "recording", "Live recording details."),
        # The wallboard's phones: endpoints and their state.
        Operation("list_endpoints", "GET", "/endpoints", (), "endpoints", "List all endpoints."),
        Operation("list_endpoints_by_tech", "GET", "/endpoints/{tech}", (_TECH,), "endpoints",
                  "List the endpoints of one technology."),
        Operation("get_endpoint", "GET", "/endpoints/{tech}/{resource}",
                  (_TECH, Param("resource", "resource", "segment", required=True, where="path")),
                  "endpoint", "Details of one endpoint."),
        Operation("asterisk_info", "GET", "/asterisk/info", (), "asterisk_info", "Asterisk's info."),
        Operation("ping", "GET", "/asterisk/ping", (), "ping", "Ping Asterisk."),
    )
}

