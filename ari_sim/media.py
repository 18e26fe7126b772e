"""Media on channels: playbacks, live and stored recordings, DTMF, snooping, external media and
RTP statistics. Nothing here moves audio; it keeps the timing and the events of Asterisk."""
from __future__ import annotations

import asyncio
import itertools
import random
import struct
import time
import uuid
from typing import TYPE_CHECKING, Optional

from .dialplan import SOUNDS
from .errors import AriError
from .state import Bridge, Channel, LiveRecording, Playback, StoredRecording

if TYPE_CHECKING:  # pragma: no cover
    from .pbx import DialLeg, Pbx

# Seconds per spoken item for the generated media schemes.
_DIGIT_SECONDS = 0.83
_NUMBER_WORD_SECONDS = 0.85
_CHARACTER_SECONDS = 0.6
# Asterisk gives up on a media scheme it does not know a little later, without a
# PlaybackFinished (captured for `bogus:thing`).
_UNSUPPORTED_SECONDS = 0.5
# A recording with a time limit ends a little after the limit (the captures: 0.9 to 1.0 s;
# the early side, so that a client that waits the usual margin finds it stored).
_RECORDING_GRACE = 0.8
DTMF_DIGITS = frozenset("0123456789ABCDabcd*#")
_DTMF_TRANSIT = 0.1
_DTMF_PAUSE = {",": 0.5, "w": 0.5, "W": 1.0}
_timer_ids = itertools.count()

RECORDING_FORMATS = frozenset((
    "wav", "WAV", "wav49", "gsm", "ulaw", "ul", "pcm", "alaw", "al", "sln", "slin", "raw", "g722",
    "g729", "g726", "g723", "ilbc", "ogg", "sln16", "wav16", "siren7", "siren14", "h263", "h264",
))
CODECS = frozenset((
    "ulaw", "alaw", "gsm", "g722", "g729", "g726", "g723", "ilbc", "lpc10", "speex", "speex16",
    "opus", "slin", "slin12", "slin16", "slin24", "slin32", "slin44", "slin48", "slin96", "slin192",
    "adpcm", "testlaw", "siren7", "siren14", "h263", "h264", "vp8", "vp9", "t140", "g719",
))


def _number_words(number: str) -> int:
    digits = number.lstrip("-")
    if not digits.isdigit():
        return 1
    value = int(digits)
    if value < 20:
        return 1
    if value < 100:
        return 1 if value % 10 == 0 else 2
    return max(2, len(digits))


class Media:
    def __init__(self, pbx: "Pbx"):
        self.pbx = pbx
        self._sockets: set[asyncio.StreamWriter] = set()

    # --- playbacks ------------------------------------------------------------------------

    def plan(self, uri: str) -> tuple[str, float]:
        """('play', seconds) | ('tone', 0) | ('fail', 0) | ('unsupported', seconds)."""
        scheme, _, rest = uri.partition(":")
        if scheme == "sound":
            seconds = SOUNDS.get(rest)
            return ("play", seconds) if seconds else ("fail", 0.0)
        if scheme == "recording":
            stored = self.pbx.stored_recordings.get(rest)
            return ("play", stored.seconds) if stored and stored.seconds > 0 else ("fail", 0.0)
        if scheme == "tone":
            return ("tone", 0.0)
        if scheme == "digits":
            count = sum(1 for c in rest if c in DTMF_DIGITS or c.isalnum())
            return ("play", max(0.2, count * _DIGIT_SECONDS))
        if scheme == "number":
            return ("play", _number_words(rest) * _NUMBER_WORD_SECONDS)
        if scheme == "characters":
            return ("play", max(0.2, len(rest) * _CHARACTER_SECONDS))
        return ("unsupported", _UNSUPPORTED_SECONDS)

    def play(self, *, channel: Optional[Channel], bridge: Optional[Bridge], media: list[str], language: str,
             playback_id: Optional[str], skipms: int, offsetms: int) -> tuple[Playback, dict]:
        """Queue a playback; returns it with its JSON as created (Asterisk answers `queued`
        even when the playback starts within the same millisecond)."""
        pid = playback_id or str(uuid.uuid4())
        target = f"channel:{channel.id}" if channel is not None else f"bridge:{bridge.id}"
        playback = Playback(id=pid, media=media, target_uri=target, language=language, channel=channel,
                            bridge=bridge, skipms=skipms, offsetms=offsetms)
        playback.done = self.pbx.loop.create_future()
        self.pbx.playbacks[pid] = playback
        initial = playback.to_json()
        if channel is not None:
            channel.media.append(playback)
            channel.control.submit(lambda: self._start(playback))
        else:
            self.pbx.soon(self._start, playback)
        return playback, initial

    def _start(self, playback: Playback):
        channel = playback.channel
        if playback.state != "queued" or (channel is not None and not channel.alive):
            self._forget(playback)
            return None
        if channel is not None and channel.state == "Ring":
            # Media on an unanswered inbound channel is early media (a 183 Progress).
            self.pbx.indicate_progress(channel)
        playback.state = "playing"
        self.pbx.bus.playback_event("PlaybackStarted", playback)
        self._play_item(playback, first=True)
        return playback.done

    def _play_item(self, playback: Playback, first: bool = False) -> None:
        kind, seconds = self.plan(playback.media_uri)
        if kind == "fail":
            self.finish(playback, "failed")
        elif kind == "unsupported":
            playback.timer = self.pbx.later(seconds, self._vanish, playback)
        elif kind == "play":
            if first and playback.offsetms:
                seconds = max(0.0, seconds - playback.offsetms / 1000)
            self._schedule(playback, seconds)
        # tone: plays until stopped

    def _schedule(self, playback: Playback, seconds: float) -> None:
        playback.ends_at = time.monotonic() + seconds * self.pbx.scale
        playback.timer = self.pbx.later(seconds, self._item_done, playback)

    def _item_done(self, playback: Playback) -> None:
        playback.timer = None
        if playback.index + 1 < len(playback.media):
            playback.state = "continuing"
            self.pbx.bus.playback_event("PlaybackContinuing", playback)
            playback.index += 1
            playback.state = "playing"
            self.pbx.bus.playback_event("PlaybackStarted", playback)
            self._play_item(playback)
        else:
            self.finish(playback, "done")

    def _vanish(self, playback: Playback) -> None:
        playback.timer = None
        playback.state = "failed"
        self._forget(playback)

    def _forget(self, playback: Playback) -> None:
        if self.pbx.playbacks.get(playback.id) is playback:
            del self.pbx.playbacks[playback.id]
        if playback.channel is not None and playback in playback.channel.media:
            playback.channel.media.remove(playback)
        if playback.done is not None and not playback.done.done():
            playback.done.set_result(None)

    def finish(self, playback: Playback, state: str) -> None:
        if playback.timer is not None:
            playback.timer.cancel()
            playback.timer = None
        playback.state = state
        self.pbx.bus.playback_event("PlaybackFinished", playback)
        self._forget(playback)

    def stop_playback(self, playback: Playback) -> None:
        if playback.state == "queued":
            playback.state = "canceled"
            self._forget(playback)
        else:
            self.finish(playback, "done")

    def control_playback(self, playback: Playback, operation: str) -> None:
        if playback.state not in ("playing", "paused", "continuing"):
            raise AriError(409, "Playback not in a state that can be controlled")
        now = time.monotonic()
        scale = self.pbx.scale or 1.0
        if operation == "pause":
            if playback.state == "playing":
                if playback.timer is not None:
                    playback.timer.cancel()
                    playback.timer = None
                    playback.remaining = max(0.0, (playback.ends_at - now) / scale)
                else:
                    playback.remaining = None
                playback.state = "paused"
        elif operation == "unpause":
            if playback.state == "paused":
                playback.state = "playing"
                if playback.remaining is not None:
                    self._schedule(playback, playback.remaining)
        elif operation in ("restart", "reverse", "forward"):
            kind, seconds = self.plan(playback.media_uri)
            if kind != "play" or playback.state == "paused":
                return
            remaining = max(0.0, (playback.ends_at - now) / scale)
            if operation == "restart":
                remaining = seconds
            elif operation == "reverse":
                remaining = min(seconds, remaining + playback.skipms / 1000)
            else:
                remaining = max(0.0, remaining - playback.skipms / 1000)
            if playback.timer is not None:
                playback.timer.cancel()
            self._schedule(playback, remaining)

    # --- recordings ---------------------------------------------------------------------------

    def record(self, channel: Channel, *, name: str, fmt: str, max_duration: int, max_silence: int,
               if_exists: str, terminate_on: str) -> tuple[LiveRecording, dict]:
        if not name or name.startswith("/") or "../" in name or name.endswith("/.."):
            raise AriError(500, "Error parsing request")
        live = self.pbx.live_recordings.get(name)
        stored = self.pbx.stored_recordings.get(name)
        if live is not None or (stored is not None and if_exists == "fail"):
            raise AriError(409, f"Recording '{name}' already exists and can not be overwritten")
        recording = LiveRecording(name=name, format=fmt, target_uri=f"channel:{channel.id}", channel=channel,
                                  max_duration=max_duration, max_silence=max_silence, terminate_on=terminate_on)
        recording.done = self.pbx.loop.create_future()
        self.pbx.live_recordings[name] = recording
        channel.media.append(recording)
        initial = recording.to_json()
        channel.control.submit(lambda: self._start_recording(recording, if_exists))
        return recording, initial

    def _start_recording(self, recording: LiveRecording, if_exists: str):
        channel = recording.channel
        if recording.state != "queued" or not channel.alive:
            self._forget_recording(recording)
            return None
        if channel.bridge is not None:
            # res_stasis_recording's record_file: the request was accepted (201), the recording fails.
            recording.cause = "Cannot record channel while in bridge"
            self.finish_recording(recording, "failed")
            return None
        recording.state = "recording"
        recording.started_at = time.monotonic()
        if if_exists == "append" and recording.name in self.pbx.stored_recordings:
            recording.paused_total -= self.pbx.stored_recordings[recording.name].seconds * self.pbx.scale
        channel.recording = recording
        self.pbx.bus.recording_event("RecordingStarted", recording)
        limit = recording.max_duration
        if recording.max_silence and not self.has_audio(channel):
            limit = min(limit, recording.max_silence) if limit else recording.max_silence
        if limit:
            recording.timer = self.pbx.later(limit + _RECORDING_GRACE, self.finish_recording, recording, "done")
        return recording.done

    def has_audio(self, channel: Channel) -> bool:
        """Whether anything audible reaches the channel (a phone, or music/prompts on the far end)."""
        if channel.endpoint is not None:
            return True
        peer = channel.peer
        return bool(peer is not None and peer.extra.get("audio")) or bool(channel.extra.get("audio"))

    def _recorded_seconds(self, recording: LiveRecording) -> float:
        if recording.started_at is None:
            return 0.0
        end = recording.paused_at if recording.paused_at is not None else time.monotonic()
        return max(0.0, (end - recording.started_at - recording.paused_total) / (self.pbx.scale or 1.0))

    def finish_recording(self, recording: LiveRecording, state: str) -> None:
        if recording.state in ("done", "failed", "canceled"):
            return
        if recording.timer is not None:
            recording.timer.cancel()
            recording.timer = None
        if state != "failed":
            seconds = self._recorded_seconds(recording)
            recording.duration = max(0, int(seconds) - 1) if self.has_audio(recording.channel) else 0
        recording.state = state
        channel = recording.channel
        if channel is not None and channel.recording is recording:
            channel.recording = None
        if state == "failed":
            self.pbx.bus.recording_event("RecordingFailed", recording)
        else:
            self.pbx.bus.recording_event("RecordingFinished", recording)
        if state == "done":
            self.pbx.stored_recordings[recording.name] = StoredRecording(
                recording.name, recording.format, float(recording.duration) + (0.4 if recording.duration else 0.0))
        elif state == "canceled":
            self.pbx.stored_recordings.pop(recording.name, None)
        self._forget_recording(recording)

    def _forget_recording(self, recording: LiveRecording) -> None:
        if self.pbx.live_recordings.get(recording.name) is recording:
            del self.pbx.live_recordings[recording.name]
        if recording.channel is not None and recording in recording.channel.media:
            recording.channel.media.remove(recording)
        if recording.done is not None and not recording.done.done():
            recording.done.set_result(None)

    def pause_recording(self, recording: LiveRecording, pause: bool) -> None:
        if recording.state not in ("recording", "paused"):
            raise AriError(409, "Recording not in session")
        if pause and recording.state == "recording":
            recording.state = "paused"
            recording.paused_at = time.monotonic()
        elif not pause and recording.state == "paused":
            recording.paused_total += time.monotonic() - recording.paused_at
            recording.paused_at = None
            recording.state = "recording"

    def mute_recording(self, recording: LiveRecording, mute: bool) -> None:
        if recording.state not in ("recording", "paused"):
            raise AriError(409, "Recording not in session")
        recording.muted = mute

    def stored_file(self, stored: StoredRecording) -> tuple[bytes, str]:
        """The recording's file: silence of its length (8 kHz, 16-bit mono WAV for wav)."""
        samples = int(stored.seconds * 8000)
        pcm = b"\x00\x00" * samples
        if stored.format.lower() not in ("wav", "wav16"):
            return pcm, "application/octet-stream"
        header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " + struct.pack(
            "<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(pcm))
        return header + pcm, "audio/wav"

    # --- DTMF -------------------------------------------------------------------------------

    def send_dtmf(self, channel: Channel, digits: str, before: int, between: int, duration: int,
                  after: int) -> float:
        """Send `digits` out of `channel` (towards its far end); returns the seconds it takes."""
        at = max(0, before) / 1000
        between_s = max(0, between) / 1000
        duration_ms = max(0, duration)
        for char in digits:
            if char in _DTMF_PAUSE:
                at += _DTMF_PAUSE[char]
                continue
            if char not in DTMF_DIGITS:
                continue
            channel.timers[f"dtmf{next(_timer_ids)}"] = self.pbx.later(
                at + duration_ms / 1000 + _DTMF_TRANSIT, self.transmit, channel, char.upper(), duration_ms)
            at += duration_ms / 1000 + between_s
        return at + max(0, after) / 1000

    def dtmf_command(self, channel: Channel, digits: str, before: int, between: int, duration: int,
                     after: int) -> asyncio.Future:
        """ARI's sendDTMF: the channel is busy until the last digit (and `after`) is through."""
        done = self.pbx.loop.create_future()
        seconds = self.send_dtmf(channel, digits, before, between, duration, after)
        channel.timers[f"dtmf{next(_timer_ids)}"] = self.pbx.later(seconds, _resolve, done)
        return done

    def transmit(self, channel: Channel, digit: str, duration_ms: int) -> None:
        """A digit leaves `channel`: a Local half hands it to its partner; a phone just hears it."""
        if not channel.alive or channel.hanging:
            return
        peer = channel.peer
        if peer is not None and peer.alive:
            self.receive_dtmf(peer, digit, duration_ms)

    def receive_dtmf(self, channel: Channel, digit: str, duration_ms: int) -> None:
        """A digit arrives on `channel`: ChannelDtmfReceived, then whatever listens to it."""
        if not channel.alive or channel.hanging:
            return
        self.pbx.bus.dtmf(channel, digit, duration_ms)
        recording = channel.recording
        if recording is not None and recording.state == "recording" and (
                recording.terminate_on == "any" or recording.terminate_on == digit):
            self.finish_recording(recording, "done")
        if channel.pbx and channel.app_name == "Echo" and channel.stasis_app is None:
            # Echo() sends every digit straight back; '#' ends it.
            self.transmit(channel, digit, duration_ms)
            if digit == "#":
                timer = channel.timers.pop("pbx", None)
                if timer is not None:
                    timer.cancel()
                self.pbx.dialplan.run(channel, channel.context, channel.exten, channel.priority + 1)

    # --- snooping -------------------------------------------------------------------------

    def snoop(self, target: Channel, *, app: str, app_args: Optional[str], snoop_id: Optional[str]) -> dict:
        pbx = self.pbx
        if snoop_id and snoop_id in pbx.channels:
            raise AriError(500, "Snoop channel could not be created")
        uniqueid = snoop_id or pbx.next_uniqueid()
        seq = pbx._snoop_seq
        pbx._snoop_seq += 1
        snoop = pbx.new_channel("Snoop", target.id, f"Snoop/{target.id}-{seq:08x}", uniqueid, state="Up",
                                device=f"Snoop/{target.id}")
        snoop.answered_at = time.time()
        snoop.snoop_target = target
        target.snoops.append(snoop)
        snapshot = snoop.snapshot()
        args = app_args.split(",") if app_args else []
        app_data = f"{app},{app_args}" if app_args else app
        pbx.soon(self._snoop_enters_stasis, snoop, app, args, app_data)
        return snapshot

    def _snoop_enters_stasis(self, snoop: Channel, app: str, args: list, app_data: str) -> None:
        if not snoop.alive:
            return
        snoop.stasis_exec = True
        if not self.pbx.stasis.enter(snoop, app, args, app_data=app_data, from_pbx=False):
            self.pbx.hangup(snoop, 0, "failed")

    # --- external media ----------------------------------------------------------------------

    def new_external_channel(self, tech: str, resource: str, uniqueid: str) -> Channel:
        pbx = self.pbx
        host = resource.split("/", 1)[0]
        if tech == "UnicastRTP":
            name = f"UnicastRTP/{host}-0x{random.getrandbits(48):012x}"
            channel = pbx.new_channel(tech, resource, name, uniqueid, device=f"UnicastRTP/{host}")
            port = str(random.randrange(10000, 20000, 2))
            pbx.set_variable_raw(channel, "UNICASTRTP_LOCAL_ADDRESS", "127.0.0.1")
            pbx.set_variable_raw(channel, "UNICASTRTP_LOCAL_PORT", port)
        else:
            data = resource.split("/", 1)[1] if "/" in resource else ""
            name = f"AudioSocket/{host}-{data}"
            channel = pbx.new_channel(tech, resource, name, uniqueid, device=name)
            pbx.set_variable_raw(channel, "AUDIOSOCKET_UUID", data)
            pbx.set_variable_raw(channel, "AUDIOSOCKET_SERVICE", host)
        return channel

    def external_call(self, leg: "DialLeg") -> None:
        """External media channels answer as soon as they are dialled."""
        channel = leg.channel
        self.pbx.answer(channel)
        if channel.alive and not channel.hanging:
            self.pbx.bus.device_state(channel.device, "INUSE")
            if channel.tech == "AudioSocket":
                channel.extra["audiosocket"] = self.pbx.loop.create_task(self._audiosocket(channel))

    async def _audiosocket(self, channel: Channel) -> None:
        """Connect to the AudioSocket server and send the UUID frame; the channel lives as long
        as the connection does (the capture's listener closed at once: the channel ended)."""
        host, _, port = channel.resource.split("/", 1)[0].rpartition(":")
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 2.0)
            self._sockets.add(writer)
            uid = uuid.UUID(channel.vars.get("AUDIOSOCKET_UUID", "")).bytes
            writer.write(b"\x01\x00\x10" + uid)
            await writer.drain()
            while await reader.read(4096):
                pass
        except (OSError, ValueError, asyncio.TimeoutError):
            pass
        except asyncio.CancelledError:
            return
        finally:
            if writer is not None:
                self._sockets.discard(writer)
                writer.close()
        if channel.alive and not channel.hanging:
            self.pbx.hangup(channel, 0, "pbx")

    def close_sockets(self) -> None:
        for writer in list(self._sockets):
            writer.close()
        self._sockets.clear()

    # --- RTP statistics ---------------------------------------------------------------------

    def rtp_statistics(self, channel: Channel) -> dict:
        if channel.tech == "UnicastRTP":
            raise AriError(404, "RTP info not found")
        if channel.tech not in ("PJSIP", "SIP"):
            raise AriError(403, "Unsupported channel type")
        stats = channel.extra.get("rtp")
        if stats is None:
            stats = channel.extra["rtp"] = {
                "local_ssrc": random.getrandbits(31), "remote_ssrc": random.getrandbits(31),
                "jitter": random.uniform(0.0001, 0.002), "rtt": random.uniform(0.001, 0.02),
            }
        elapsed = (time.time() - channel.answered_at) / (self.pbx.scale or 1.0) if channel.answered_at else 0.0
        packets = int(elapsed * 50)
        lost = packets // 500
        received = packets - lost - stats.get("rx_gap", 0)
        if channel.endpoint is not None and channel.endpoint.behaviour.rtp_silent:
            received = stats.setdefault("rx_frozen", received)
        elif "rx_frozen" in stats:  # sending again: what it did not send stays missing
            stats["rx_gap"] = stats.get("rx_gap", 0) + received - stats.pop("rx_frozen")
            received = packets - lost - stats["rx_gap"]
        jitter = round(stats["jitter"], 6)
        rtt = round(stats["rtt"], 6)
        return {
            "txcount": packets, "rxcount": received,
            "txjitter": jitter, "rxjitter": jitter,
            "remote_maxjitter": round(jitter * 2, 6), "remote_minjitter": 0.0,
            "remote_normdevjitter": jitter, "remote_stdevjitter": round(jitter / 2, 6),
            "local_maxjitter": round(jitter * 2, 6), "local_minjitter": 0.0,
            "local_normdevjitter": jitter, "local_stdevjitter": round(jitter / 2, 6),
            "txploss": 0, "rxploss": lost,
            "remote_maxrxploss": 0.0, "remote_minrxploss": 0.0, "remote_normdevrxploss": 0.0,
            "remote_stdevrxploss": 0.0,
            "local_maxrxploss": float(lost), "local_minrxploss": 0.0, "local_normdevrxploss": 0.0,
            "local_stdevrxploss": 0.0,
            "rtt": rtt, "maxrtt": round(rtt * 1.5, 6), "minrtt": round(rtt / 2, 6),
            "normdevrtt": rtt, "stdevrtt": round(rtt / 4, 6),
            "local_ssrc": stats["local_ssrc"], "remote_ssrc": stats["remote_ssrc"],
            "txoctetcount": packets * 160, "rxoctetcount": received * 160,
            "channel_uniqueid": channel.id,
        }

    # --- a channel going away -----------------------------------------------------------------

    def channel_gone(self, channel: Channel) -> None:
        for item in list(channel.media):
            if isinstance(item, Playback):
                if item.state == "queued":
                    item.state = "canceled"
                    self._forget(item)
                else:
                    self.finish(item, "done")
            elif item.state in ("recording", "paused"):
                self.finish_recording(item, "done")
            else:
                item.state = "canceled"
                self._forget_recording(item)
        channel.media.clear()
        task = channel.extra.pop("audiosocket", None)
        if task is not None:
            task.cancel()


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
