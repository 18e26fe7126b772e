"""One line of plain words per ARI event, for a channel's live timeline."""
from __future__ import annotations

from ari_bridge.models import Channel, epoch

_TEXT = {
    "ChannelCreated": "channel created",
    "ChannelDestroyed": "channel destroyed",
    "ChannelHangupRequest": "hangup requested",
    "StasisStart": "entered Stasis application",
    "StasisEnd": "left Stasis application",
    "ChannelHold": "put on hold by the phone",
    "ChannelUnhold": "taken off hold by the phone",
    "ChannelEnteredBridge": "entered a bridge",
    "ChannelLeftBridge": "left a bridge",
    "PlaybackStarted": "playback started",
    "PlaybackFinished": "playback finished",
    "RecordingStarted": "recording started",
    "RecordingFinished": "recording finished",
    "RecordingFailed": "recording failed",
    "ChannelTalkingStarted": "started talking",
    "ChannelTalkingFinished": "stopped talking",
}


def _channel_id_of(event) -> str | None:
    # Dial names the dialled channel `peer`; PeerStatusChange's `peer` is a SIP peer, no channel.
    for attr in ("channel", "peer"):
        channel = getattr(event, attr, None)
        if isinstance(channel, Channel):
            return channel.id
    # Playback/recording events name their channel in target_uri ("channel:<id>").
    for attr in ("playback", "recording"):
        obj = getattr(event, attr, None)
        target = getattr(obj, "target_uri", "") or ""
        if target.startswith("channel:"):
            return target[len("channel:"):]
    return None


def _text(event) -> str:
    kind = event.type
    if kind == "ChannelStateChange":
        return f"state is now {event.channel.state}"
    if kind == "ChannelDialplan":
        app = getattr(event, "dialplan_app", "") or ""
        data = getattr(event, "dialplan_app_data", "") or ""
        dp = event.channel.dialplan
        where = f"{dp.context},{dp.exten},{dp.priority}" if dp else ""
        return f"dialplan {where} {app}({data})".strip()
    if kind == "ChannelCallerId":
        caller = event.channel.caller
        return f"caller id is now {caller.name} <{caller.number}>"
    if kind == "ChannelConnectedLine":
        connected = event.channel.connected
        return f"connected line is now {connected.name} <{connected.number}>"
    if kind == "ChannelVarset":
        return f"variable {getattr(event, 'variable', '')} = {getattr(event, 'value', '')}"
    if kind == "ChannelDtmfReceived":
        return f"DTMF {getattr(event, 'digit', '')} ({getattr(event, 'duration_ms', 0)} ms)"
    if kind == "ChannelDestroyed":
        return f"channel destroyed: {getattr(event, 'cause_txt', '') or 'no cause'} ({getattr(event, 'cause', '')})"
    if kind == "PlaybackFinished" and event.playback.state == "failed":
        return f"playback of {event.playback.media_uri} failed"
    if kind == "RecordingFailed":
        return f"recording failed: {event.recording.cause or 'no cause given'}"
    if kind == "ApplicationMoveFailed":
        return f"could not move to application {event.destination}: it is not connected"
    if kind == "Dial":
        status = getattr(event, "dialstatus", "") or "dialling"
        peer = getattr(event, "peer", None)
        return f"dial {status} {peer.name if peer else ''}".strip()
    return _TEXT.get(kind, kind)


def _outcome(event) -> dict | None:
    """What says whether an operation worked (dashboard/confirm.py): whose playback or recording,
    in which state and why; a dial's status; a failed move's destination."""
    if event.type.startswith("Playback"):
        return {"ref": event.playback.id, "state": event.playback.state, "media": event.playback.media_uri}
    if event.type.startswith("Recording"):
        return {"ref": event.recording.name, "state": event.recording.state, "cause": event.recording.cause}
    if event.type == "Dial":
        return {"status": event.dialstatus}
    if event.type == "ChannelDestroyed":
        return {"cause": event.cause}
    if event.type == "ApplicationMoveFailed":
        return {"destination": event.destination}
    return None


def describe(server: str, event) -> dict | None:
    """The timeline item for an event that concerns a channel, or None."""
    channel_id = _channel_id_of(event)
    if channel_id is None:
        return None
    item = {
        "uid": f"{server}:{channel_id}",
        "type": event.type,
        "ts": epoch(event.timestamp),
        "text": _text(event),
    }
    outcome = _outcome(event)
    if outcome is not None:
        item["outcome"] = outcome
    return item
