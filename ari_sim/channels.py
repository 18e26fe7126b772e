"""The /channels resource: parameter checks in the order Asterisk makes them, then the PBX.

Each handler mirrors res/ari/resource_channels.c: which lookup comes first decides whether a
bad request on an unknown channel is a 400 or a 404, and the captures pin those orders down.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from aiohttp import web

from .errors import AriError, bad_request, not_found
from .media import CODECS, RECORDING_FORMATS
from .responses import Ctx, created, no_content, ok
from .state import Channel

HANGUP_REASONS = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 18,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}
DIRECTIONS = ("both", "in", "out")
SNOOP_DIRECTIONS = ("none", "both", "out", "in")
TERMINATE_ON = ("none", "any", "*", "#")
IF_EXISTS = ("fail", "overwrite", "append")
TRANSFER_STATES = ("channel_progress", "channel_answered", "channel_unavailable", "channel_declined")
EXTERNAL_ENCAPSULATIONS = ("rtp", "audiosocket")
EXTERNAL_TRANSPORTS = ("udp", "tcp")
EXTERNAL_CONNECTION_TYPES = ("client",)
EXTERNAL_DIRECTIONS = ("both",)
INVALID_STATES = ("Down", "Rsrved", "Ringing")
_LEADING_INT = re.compile(r"^\s*[+-]?\d+")


# --- helpers ----------------------------------------------------------------------------------


def parse_callerid(text: str) -> tuple[str, str]:
    """ast_callerid_parse: `"Name" <number>`, `Name <number>`, or a bare number or name."""
    text = text.strip()
    match = re.match(r'^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>', text)
    if match:
        name = match.group(1) if match.group(1) is not None else match.group(2)
        number = match.group(3).strip()
    elif re.fullmatch(r"[0-9+*#()\-. ]+", text):
        name, number = "", text
    else:
        name, number = text.strip('"'), ""
    # ast_shrink_phone_number: drop the usual separators when the number is only made of them.
    if number and re.fullmatch(r"[0-9+*#()\-. ]+", number):
        number = re.sub(r"[()\-. ]", "", number)
    return name.strip(), number


def _scan_int(text: str | None) -> int | None:
    """sscanf("%d"): the leading integer, or None."""
    if not text:
        return None
    match = _LEADING_INT.match(text)
    return int(match.group(0)) if match else None


def find_channel(ctx: Ctx, message: str = "Channel not found") -> Channel:
    channel = ctx.pbx.channels.get(ctx.path["channelId"])
    if channel is None:
        raise not_found(message)
    return channel


def find_control(ctx: Ctx) -> Channel:
    channel = find_channel(ctx)
    if channel.stasis_app is None or channel.control is None:
        raise AriError(409, "Channel not in Stasis application")
    return channel


def check_state(channel: Channel) -> None:
    if channel.state in INVALID_STATES:
        raise AriError(412, "Channel in invalid state")


def stasis_channel(ctx: Ctx) -> Channel:
    channel = find_control(ctx)
    check_state(channel)
    return channel


# --- list, get, originate, create ---------------------------------------------------------------


async def list_channels(ctx: Ctx) -> web.Response:
    return ok([channel.snapshot() for channel in ctx.pbx.channels.values()])


async def get_channel(ctx: Ctx) -> web.Response:
    return ok(find_channel(ctx).snapshot())


async def originate(ctx: Ctx) -> web.Response:
    p = ctx.params
    variables = p.channel_variables()
    channel_id = ctx.path.get("channelId") or p.str("channelId")
    other_id = p.str("otherChannelId")
    ctx.pbx.check_ids(channel_id, other_id)
    endpoint = p.str("endpoint")
    if not endpoint:
        raise bad_request("Endpoint must be specified")
    originator, formats = p.str("originator"), p.str("formats")
    if originator and formats:
        raise bad_request("Originator and formats can't both be specified")
    tech, _, resource = endpoint.partition("/")
    if not tech or not resource:
        raise bad_request("Invalid endpoint specified")
    app = p.str("app")
    target = None
    # With both, `app` wins (captured); the dialplan target is only read without one.
    if not app and p.str("extension"):
        context = p.str("context") or "default"
        exten = p.str("extension")
        label = p.str("label")
        if label:
            priority = _scan_int(label)
            if priority is None:
                priority = ctx.pbx.dialplan.find_label(context, exten, label)
                if priority is None:
                    raise AriError(404, "Requested label can not be found")
            if priority == 0:
                raise bad_request("Requested priority is illegal")
        else:
            priority = p.int("priority") or 1
        target = (context, exten, priority if priority > 0 else 1)
    elif not app:
        raise bad_request("Application or extension must be specified")
    timeout_arg = p.int("timeout", 30)
    timeout = float(timeout_arg) if timeout_arg > 0 else (None if timeout_arg == -1 else 30.0)
    caller = parse_callerid(p.str("callerId")) if p.str("callerId") else None
    if originator and originator not in ctx.pbx.channels:
        raise bad_request("Provided originator channel was not found")
    _check_formats(formats)
    snapshot = ctx.pbx.originate(endpoint=endpoint, app=app, app_args=p.str("appArgs") or "", target=target,
                                 caller=caller, variables=variables, timeout=timeout,
                                 channel_id=channel_id, other_id=other_id)
    return ok(snapshot)


def _check_formats(formats: str | None) -> None:
    if not formats:
        return
    for name in formats.split(","):
        name = name.strip()
        if name not in CODECS:
            raise bad_request(f"Provided format ({name}) was not found")


async def create(ctx: Ctx) -> web.Response:
    p = ctx.params
    variables = p.channel_variables()
    originator, formats = p.str("originator"), p.str("formats")
    if originator and formats:
        raise bad_request("Originator and formats can't both be specified")
    endpoint = p.str("endpoint")
    if not endpoint:
        raise bad_request("Endpoint must be specified")
    tech, _, resource = endpoint.partition("/")
    if not tech or not resource:
        raise bad_request("Invalid endpoint specified")
    if not (originator and originator in ctx.pbx.channels):
        _check_formats(formats)
    snapshot = ctx.pbx.create(endpoint=endpoint, app=p.str("app"), app_args=p.str("appArgs") or "",
                              variables=variables, channel_id=p.str("channelId"),
                              other_id=p.str("otherChannelId"))
    return ok(snapshot)


# --- hangup and dialplan control ---------------------------------------------------------------


async def hangup(ctx: Ctx) -> web.Response:
    channel = find_channel(ctx)
    p = ctx.params
    reason, reason_code = p.str("reason"), p.str("reason_code")
    if reason and reason_code:
        raise bad_request("The reason and reason_code can't both be specified")
    if reason_code:
        cause = _scan_int(reason_code)
        if cause is None:
            raise bad_request("Invalid reason for hangup reason code provided")
    elif reason:
        if reason not in HANGUP_REASONS:
            raise bad_request("Invalid reason for hangup reason provided")
        cause = HANGUP_REASONS[reason]
    else:
        cause = 16
    ctx.pbx.hangup(channel, cause, "api")
    return no_content()


async def continue_in_dialplan(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    p = ctx.params
    pbx = ctx.pbx
    if not p.str("context"):
        context = channel.context
        exten = p.str("extension") or channel.exten
    else:
        context = p.str("context")
        exten = p.str("extension") or "s"
    label = p.str("label")
    if label:
        priority = _scan_int(label)
        if priority is None:
            priority = pbx.dialplan.find_label(context, exten, label)
            if priority is None:
                raise AriError(404, "Requested label can not be found")
        if priority == 0:
            raise bad_request("Requested priority is illegal")
    elif p.int("priority"):
        priority = p.int("priority")
    elif not p.str("context") and not p.str("extension"):
        priority = channel.priority + 1
    else:
        priority = 1
    priority = max(1, priority)
    channel.control.submit(lambda: pbx.stasis.continue_in_dialplan(channel, context, exten, priority))
    return no_content()


async def move(ctx: Ctx) -> web.Response:
    channel = find_control(ctx)
    app = ctx.params.str("app")
    if not app:
        # Asterisk does not check this (and crashes on it); a 400 is the useful answer.
        raise bad_request("Required parameter 'app' not provided.")
    args = ctx.params.list("appArgs")
    pbx = ctx.pbx
    channel.control.submit(lambda: pbx.stasis.move(channel, app, args))
    return no_content()


async def redirect(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    endpoint = ctx.params.str("endpoint")
    if not endpoint:
        raise bad_request("Required parameter 'endpoint' not provided.")
    tech, slash, resource = endpoint.partition("/")
    if not slash or not tech:
        raise AriError(422, f"Endpoint parameter '{endpoint}' does not contain tech/resource")
    if not resource:
        raise AriError(422, f"No resource provided in endpoint parameter '{endpoint}'")
    if channel.tech[:len(tech)].lower() != tech.lower():
        raise AriError(422, f"Endpoint technology '{tech}' does not match channel technology '{channel.tech}'")
    pbx = ctx.pbx
    channel.control.submit(lambda: pbx.stasis.redirect(channel, resource))
    return no_content()


# --- state, indications, flags ----------------------------------------------------------------


async def answer(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    pbx = ctx.pbx
    # Synchronous in Asterisk: waits for whatever occupies the channel (a playback...).
    await channel.control.submit(lambda: pbx.answer(channel))
    return no_content()


async def ring(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    channel.control.submit(lambda: ctx.pbx.indicate_ringing(channel))
    return no_content()


async def ring_stop(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    channel.control.submit(lambda: setattr(channel, "ringing", False))
    return no_content()


async def progress(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    channel.control.submit(lambda: ctx.pbx.indicate_progress(channel))
    return no_content()


def _direction(ctx: Ctx) -> set:
    direction = ctx.params.raw("direction")
    if not direction:
        raise bad_request("Direction is required")
    if direction not in DIRECTIONS:
        raise bad_request("Invalid direction specified")
    return {"in", "out"} if direction == "both" else {direction}


async def mute(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    directions = _direction(ctx)
    channel.control.submit(lambda: channel.muted.update(directions))
    return no_content()


async def unmute(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    directions = _direction(ctx)
    channel.control.submit(lambda: channel.muted.difference_update(directions))
    return no_content()


async def hold(ctx: Ctx) -> web.Response:
    # ARI's own hold raises no event (captured): only the flag changes.
    channel = stasis_channel(ctx)
    channel.control.submit(lambda: setattr(channel, "held", True))
    return no_content()


async def unhold(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    channel.control.submit(lambda: setattr(channel, "held", False))
    return no_content()


async def start_moh(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    moh_class = ctx.params.str("mohClass") or "default"
    channel.control.submit(lambda: setattr(channel, "moh_class", moh_class))
    return no_content()


async def stop_moh(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    channel.control.submit(lambda: setattr(channel, "moh_class", None))
    return no_content()


async def start_silence(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    channel.control.submit(lambda: setattr(channel, "silence", True))
    return no_content()


async def stop_silence(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    channel.control.submit(lambda: setattr(channel, "silence", False))
    return no_content()


async def send_dtmf(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    p = ctx.params
    dtmf = p.str("dtmf")
    if not dtmf:
        raise bad_request("DTMF is required")
    before, between = p.int("before", 0), p.int("between", 100)
    duration, after = p.int("duration", 100), p.int("after", 0)
    media = ctx.pbx.media
    channel.control.submit(lambda: media.dtmf_command(channel, dtmf, before, between, duration, after))
    return no_content()


# --- media ------------------------------------------------------------------------------------


async def play(ctx: Ctx) -> web.Response:
    channel = stasis_channel(ctx)
    p = ctx.params
    skipms, offsetms = p.int("skipms", 3000), p.int("offsetms", 0)
    if skipms < 0:
        raise bad_request("skipms cannot be negative")
    if offsetms < 0:
        raise bad_request("offsetms cannot be negative")
    media = p.list("media")
    if not media:
        raise AriError(500, "Failed to queue media for playback")
    playback, initial = ctx.pbx.media.play(
        channel=channel, bridge=None, media=media, language=p.str("lang") or channel.language,
        playback_id=ctx.path.get("playbackId") or p.str("playbackId"), skipms=skipms, offsetms=offsetms)
    return created(f"/ari/playbacks/{playback.id}", initial)


async def record(ctx: Ctx) -> web.Response:
    p = ctx.params
    max_duration, max_silence = p.int("maxDurationSeconds"), p.int("maxSilenceSeconds")
    if max_duration < 0:
        raise bad_request("max_duration_seconds cannot be negative")
    if max_silence < 0:
        raise bad_request("max_silence_seconds cannot be negative")
    channel = find_control(ctx)
    terminate_on = p.raw("terminateOn") or "none"
    if terminate_on not in TERMINATE_ON:
        raise bad_request("terminateOn invalid")
    if_exists = p.raw("ifExists") or "fail"
    if if_exists not in IF_EXISTS:
        raise bad_request("ifExists invalid")
    fmt = p.str("format")
    if not fmt or fmt not in RECORDING_FORMATS:
        raise AriError(422, "specified format is unknown on this system")
    name = p.str("name") or ""
    recording, initial = ctx.pbx.media.record(channel, name=name, fmt=fmt, max_duration=max_duration,
                                              max_silence=max_silence, if_exists=if_exists,
                                              terminate_on=terminate_on)
    return created(f"/ari/recordings/live/{quote(name, safe='')}", initial)


async def snoop(ctx: Ctx) -> web.Response:
    p = ctx.params
    spy, whisper = p.str("spy") or "none", p.str("whisper") or "none"
    if spy not in SNOOP_DIRECTIONS:
        raise bad_request("Invalid direction specified for spy")
    if whisper not in SNOOP_DIRECTIONS:
        raise bad_request("Invalid direction specified for whisper")
    if spy == "none" and whisper == "none":
        raise bad_request("Direction must be specified for at least spy or whisper")
    app = p.str("app")
    if not app:
        raise bad_request("Application name is required")
    target = find_channel(ctx, "Provided channel was not found")
    snapshot = ctx.pbx.media.snoop(target, app=app, app_args=p.str("appArgs"),
                                   snoop_id=ctx.path.get("snoopId") or p.str("snoopId"))
    return ok(snapshot)


async def rtp_statistics(ctx: Ctx) -> web.Response:
    return ok(ctx.pbx.media.rtp_statistics(find_channel(ctx)))


async def external_media(ctx: Ctx) -> web.Response:
    p = ctx.params
    variables = p.channel_variables()
    app = p.str("app")
    if not app:
        raise bad_request("app cannot be empty")
    host = p.str("external_host")
    if not host:
        raise bad_request("external_host is required for all but websocket server connections")
    hostname, colon, port = host.rpartition(":")
    if not colon or not hostname or not port.isdigit():
        raise bad_request("external_host must be <host>:<port>")
    fmt = p.str("format")
    if not fmt:
        raise bad_request("format cannot be empty")
    encapsulation = (p.str("encapsulation") or "rtp").lower()
    transport = (p.str("transport") or ("tcp" if encapsulation == "audiosocket" else "udp")).lower()
    direction = p.str("direction") or "both"
    if direction not in EXTERNAL_DIRECTIONS:
        raise bad_request("Invalid direction specified")
    connection_type = p.str("connection_type") or "client"
    if connection_type not in EXTERNAL_CONNECTION_TYPES:
        raise bad_request("Invalid connection_type specified")
    if encapsulation not in EXTERNAL_ENCAPSULATIONS or transport not in EXTERNAL_TRANSPORTS:
        raise AriError(501, "The encapsulation and/or transport is not supported")
    if encapsulation == "rtp" and transport != "udp":
        raise bad_request("transport must be 'udp' for rtp encapsulation")
    if encapsulation == "audiosocket" and transport != "tcp":
        raise bad_request("transport must be 'tcp' for audiosocket encapsulation")
    data = p.str("data")
    if encapsulation == "audiosocket" and not data:
        raise bad_request("data can not be empty")
    channel_id = p.str("channelId")
    if fmt not in CODECS or (channel_id and channel_id in ctx.pbx.channels):
        raise AriError(500, "An internal error prevented this request from being handled")
    if encapsulation == "rtp":
        endpoint = f"UnicastRTP/{host}/c({fmt})"
    else:
        endpoint = f"AudioSocket/{host}/{data}"
    snapshot = ctx.pbx.originate(endpoint=endpoint, app=app, app_args=data or "", target=None, caller=None,
                                 variables=variables, timeout=None, channel_id=channel_id, other_id=None)
    channel = ctx.pbx.channels.get(snapshot["id"])
    if channel is not None and channel.vars:
        # The externalMedia answer lists the channel's variables, newest first.
        snapshot["channelvars"] = dict(reversed(list(channel.vars.items())))
    return ok(snapshot)


# --- variables --------------------------------------------------------------------------------


async def get_variable(ctx: Ctx) -> web.Response:
    name = ctx.params.str("variable")
    if not name:
        raise bad_request("Variable name is required")
    channel = find_channel(ctx, "Provided channel was not found")
    return ok({"value": ctx.pbx.get_variable(channel, name)})


async def set_variable(ctx: Ctx) -> web.Response:
    p = ctx.params
    name = p.str("variable")
    if not name:
        raise bad_request("Variable name is required")
    channel = find_control(ctx)
    value = p.raw("value")
    report = p.bool("report_events")
    pbx = ctx.pbx
    await channel.control.submit(lambda: pbx.set_variable(channel, name, value, report))
    return no_content()


async def get_variables(ctx: Ctx) -> web.Response:
    channel = find_channel(ctx, "Provided channel was not found")
    names = ctx.params.list("variables")
    if not names:
        raise bad_request("Variable names are required")
    return ok({"variables": {name: ctx.pbx.get_variable(channel, name) for name in names}})


async def set_variables(ctx: Ctx) -> web.Response:
    p = ctx.params
    variables = p.channel_variables()
    channel = ctx.pbx.channels.get(ctx.path["channelId"])
    if channel is None:
        raise not_found("Provided channel was not found")
    if channel.stasis_app is None:
        raise AriError(409, "Channel not in Stasis application")
    if not variables:
        raise bad_request("Variables are required")
    pbx = ctx.pbx

    def set_all():
        for name, value, report in variables:
            pbx.set_variable(channel, name, value, report)

    await channel.control.submit(set_all)
    return no_content()


# --- dial, transfer progress ------------------------------------------------------------------


async def dial(ctx: Ctx) -> web.Response:
    channel = find_control(ctx)
    p = ctx.params
    caller = ctx.pbx.channels.get(p.str("caller") or "")
    if channel.state not in ("Down", "Rsrved"):
        raise AriError(409, "Channel is not in the 'Down' state")
    if channel.dialstring is None:
        raise AriError(409, "Dialing a channel not created by ARI")
    timeout = p.int("timeout")
    pbx = ctx.pbx
    channel.control.submit(lambda: pbx.dial(channel, caller, timeout))
    return no_content()


async def transfer_progress(ctx: Ctx) -> web.Response:
    channel = find_control(ctx)
    states = ctx.params.str("states")
    if not states or states not in TRANSFER_STATES:
        raise bad_request("Invalid states value")
    channel.extra["transfer_progress"] = states
    return no_content()

