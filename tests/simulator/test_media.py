"""play / playWithId and /playbacks; record and /recordings (live and stored)."""
import asyncio
import struct

import pytest

from .helpers import EventStream, aclient, error_of, stasis_channel


async def test_play_queues_then_plays_then_finishes(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="p")
        # A long sound, so that it is still playing when asked even on a busy machine.
        response = await ari.post("/channels/p/play", params={"media": "sound:demo-congrats"})
        assert response.status_code == 201
        body = response.json()
        assert response.headers["Location"] == f"/ari/playbacks/{body['id']}"
        assert body == {"id": body["id"], "media_uri": "sound:demo-congrats", "target_uri": "channel:p",
                        "language": "en", "state": "queued"}
        started = await events.next("PlaybackStarted")
        assert started["playback"]["state"] == "playing"
        assert (await ari.get(f"/playbacks/{body['id']}")).json()["state"] == "playing"
        finished = await events.next("PlaybackFinished")
        assert finished["playback"]["state"] == "done"
        assert error_of(await ari.get(f"/playbacks/{body['id']}")) == (404, "Playback not found")


async def test_playbacks_queue_one_after_another_and_lists_continue(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="q")
        listed = (await ari.post("/channels/q/play", params={"media": "sound:beep,digits:12,sound:beep"})).json()
        assert (listed["media_uri"], listed["next_media_uri"]) == ("sound:beep", "digits:12")
        second = (await ari.post("/channels/q/play/my-pb", params={"media": "sound:beep", "lang": "fr"}))
        assert second.headers["Location"] == "/ari/playbacks/my-pb"
        assert second.json()["language"] == "fr" and second.json()["state"] == "queued"
        kinds = []
        while len([k for k in kinds if k[0] == "PlaybackFinished"]) < 2:
            event = await events.next()
            if event["type"].startswith("Playback"):
                pb = event["playback"]
                kinds.append((event["type"], pb["id"], pb["media_uri"], pb.get("next_media_uri"), pb["state"]))
        first = listed["id"]
        assert kinds == [
            ("PlaybackStarted", first, "sound:beep", "digits:12", "playing"),
            ("PlaybackContinuing", first, "sound:beep", "digits:12", "continuing"),
            ("PlaybackStarted", first, "digits:12", "sound:beep", "playing"),
            ("PlaybackContinuing", first, "digits:12", "sound:beep", "continuing"),
            ("PlaybackStarted", first, "sound:beep", None, "playing"),
            ("PlaybackFinished", first, "sound:beep", None, "done"),
            ("PlaybackStarted", "my-pb", "sound:beep", None, "playing"),
            ("PlaybackFinished", "my-pb", "sound:beep", None, "done"),
        ]


async def test_tone_plays_until_stopped_and_can_be_controlled(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="t")
        playback = (await ari.post("/channels/t/play", params={"media": "tone:ring"})).json()
        await events.next("PlaybackStarted")
        await asyncio.sleep(0.3)
        assert (await ari.get(f"/playbacks/{playback['id']}")).json()["state"] == "playing"
        for operation in ("pause", "unpause", "restart", "forward", "reverse"):
            response = await ari.post(f"/playbacks/{playback['id']}/control", params={"operation": operation})
            assert response.status_code == 204, operation
        assert error_of(await ari.post(f"/playbacks/{playback['id']}/control", params={"operation": "bogus"})) == (
            400, "Invalid operation bogus")
        assert (await ari.delete(f"/playbacks/{playback['id']}")).status_code == 204
        finished = await events.next("PlaybackFinished")
        assert finished["playback"]["state"] == "done"
        assert error_of(await ari.delete(f"/playbacks/{playback['id']}")) == (404, "Playback not found")
        assert error_of(await ari.post("/playbacks/nope/control", params={"operation": "pause"})) == (
            404, "Playback not found")


async def test_pause_holds_a_playback_back(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="pp")
        playback = (await ari.post("/channels/pp/play", params={"media": "sound:tt-monkeys"})).json()
        await events.next("PlaybackStarted")
        assert (await ari.post(f"/playbacks/{playback['id']}/control", params={"operation": "pause"})).status_code == 204
        assert (await ari.get(f"/playbacks/{playback['id']}")).json()["state"] == "paused"
        await asyncio.sleep(0.9)  # longer than the whole (scaled) sound
        assert (await ari.get(f"/playbacks/{playback['id']}")).json()["state"] == "paused"
        await ari.post(f"/playbacks/{playback['id']}/control", params={"operation": "forward"})
        await ari.post(f"/playbacks/{playback['id']}/control", params={"operation": "unpause"})
        assert (await events.next("PlaybackFinished"))["playback"]["state"] == "done"


async def test_missing_sound_fails_and_unknown_scheme_vanishes(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="m")
        await ari.post("/channels/m/play", params={"media": "sound:no-such-sound-file"})
        await events.next("PlaybackStarted")
        assert (await events.next("PlaybackFinished"))["playback"]["state"] == "failed"
        bogus = (await ari.post("/channels/m/play", params={"media": "bogus:thing"})).json()
        await events.next("PlaybackStarted")
        await asyncio.sleep(0.15)
        assert error_of(await ari.get(f"/playbacks/{bogus['id']}")) == (404, "Playback not found")
        assert not [e for e in events.events if e["type"] == "PlaybackFinished" and e["playback"]["id"] == bogus["id"]]


async def test_early_media_on_a_ringing_channel_reports_progress(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await ari.post("/channels", params={"endpoint": "Local/201@default", "extension": "103",
                                            "channelId": "d", "otherChannelId": "r"})
        await events.next("StasisStart", channel="r")
        assert (await ari.post("/channels/r/play", params={"media": "tone:ring"})).status_code == 201
        await events.next("Dial", channel="d", dialstatus="PROGRESS")


@pytest.mark.parametrize("params, status, message", [
    ({"media": "sound:beep", "skipms": "-1"}, 400, "skipms cannot be negative"),
    ({"media": "sound:beep", "offsetms": "-1"}, 400, "offsetms cannot be negative"),
    ({}, 500, "Failed to queue media for playback"),
    ({"media": "sound:beep", "skipms": "0", "offsetms": "0"}, 201, None),
])
async def test_play_parameter_checks(sim, params, status, message):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="pc")
        response = await ari.post("/channels/pc/play", params=params)
        assert response.status_code == status
        if message:
            assert response.json() == {"message": message}


async def test_record_then_stored(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, endpoint="Local/102@default", channel_id="rec")
        response = await ari.post("/channels/rec/record", params={"name": "test-audio", "format": "wav",
                                                                  "maxDurationSeconds": "8", "beep": "false"})
        assert response.status_code == 201
        assert response.headers["Location"] == "/ari/recordings/live/test-audio"
        assert response.json() == {"name": "test-audio", "format": "wav", "state": "queued",
                                   "target_uri": "channel:rec"}
        started = await events.next("RecordingStarted")
        assert started["recording"]["state"] == "recording"
        assert (await ari.get("/recordings/live/test-audio")).json()["state"] == "recording"
        assert error_of(await ari.post("/channels/rec/record", params={"name": "test-audio", "format": "wav"})) == (
            409, "Recording 'test-audio' already exists and can not be overwritten")
        finished = await events.next("RecordingFinished", timeout=2)
        assert finished["recording"]["state"] == "done" and finished["recording"]["duration"] >= 1
        assert (await ari.get("/recordings/stored/test-audio")).json() == {"name": "test-audio", "format": "wav"}
        file = await ari.get("/recordings/stored/test-audio/file")
        assert file.headers["Content-Type"] == "audio/wav"
        assert file.content[:4] == b"RIFF" and file.content[8:12] == b"WAVE"
        assert struct.unpack("<I", file.content[40:44])[0] == len(file.content) - 44 > 0
        copied = await ari.post("/recordings/stored/test-audio/copy", params={"destinationRecordingName": "copy"})
        assert copied.json() == {"name": "copy", "format": "wav"}
        assert error_of(await ari.post("/recordings/stored/test-audio/copy",
                                       params={"destinationRecordingName": "copy"})) == (
            409, "A recording with the same name already exists on the system")
        assert [r["name"] for r in (await ari.get("/recordings/stored")).json()] == ["copy", "test-audio"]
        assert (await ari.delete("/recordings/stored/copy")).status_code == 204
        assert error_of(await ari.delete("/recordings/stored/nope")) == (404, "Recording not found")
        # A recording exists now: ifExists=fail refuses, overwrite accepts.
        assert error_of(await ari.post("/channels/rec/record", params={"name": "test-audio", "format": "wav"})) == (
            409, "Recording 'test-audio' already exists and can not be overwritten")
        again = await ari.post("/channels/rec/record", params={"name": "test-audio", "format": "wav",
                                                               "ifExists": "overwrite"})
        assert again.status_code == 201
        played = await ari.post("/channels/rec/play", params={"media": "recording:test-audio"})
        assert played.status_code == 201


async def test_recording_a_bridged_channel_fails_after_the_201(sim):
    """res_stasis_recording refuses a channel in a bridge once the command runs: 201, then
    RecordingFailed with the cause; nothing is stored."""
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, endpoint="Local/102@default", channel_id="bridged")
        await ari.post("/bridges", params={"type": "mixing", "bridgeId": "b-rec"})
        await ari.post("/bridges/b-rec/addChannel", params={"channel": "bridged"})
        await events.next("ChannelEnteredBridge", channel="bridged")
        response = await ari.post("/channels/bridged/record", params={"name": "in-bridge", "format": "wav"})
        assert response.status_code == 201 and response.json()["state"] == "queued"
        failed = await events.next("RecordingFailed")
        assert failed["recording"] == {"name": "in-bridge", "format": "wav", "state": "failed",
                                       "target_uri": "channel:bridged",
                                       "cause": "Cannot record channel while in bridge"}
        assert "RecordingStarted" not in [e["type"] for e in events.events]
        assert error_of(await ari.get("/recordings/live/in-bridge")) == (404, "Recording not found")
        assert error_of(await ari.get("/recordings/stored/in-bridge")) == (404, "Recording not found")


async def test_live_recording_controls(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="lr")
        await ari.post("/channels/lr/record", params={"name": "ctl", "format": "wav", "terminateOn": "#",
                                                      "beep": "true"})
        await events.next("RecordingStarted")
        for method, path in (("post", "pause"), ("delete", "pause"), ("post", "mute"), ("delete", "mute")):
            assert (await getattr(ari, method)(f"/recordings/live/ctl/{path}")).status_code == 204
        assert (await ari.post("/recordings/live/ctl/pause")).status_code == 204
        assert (await ari.get("/recordings/live/ctl")).json()["state"] == "paused"
        assert (await ari.delete("/recordings/live/ctl/pause")).status_code == 204
        assert (await ari.post("/recordings/live/ctl/stop")).status_code == 204
        finished = await events.next("RecordingFinished")
        assert finished["recording"]["state"] == "done" and "duration" in finished["recording"]
        for method, path in (("get", ""), ("post", "/stop"), ("post", "/pause"), ("delete", "/mute"), ("delete", "")):
            assert error_of(await getattr(ari, method)(f"/recordings/live/ctl{path}")) == (404, "Recording not found")
        # Cancelling throws the file away.
        await ari.post("/channels/lr/record", params={"name": "gone", "format": "wav"})
        await events.next("RecordingStarted")
        assert (await ari.delete("/recordings/live/gone")).status_code == 204
        canceled = await events.next("RecordingFinished")
        assert canceled["recording"]["state"] == "canceled"
        assert error_of(await ari.get("/recordings/stored/gone")) == (404, "Recording not found")


async def test_recording_ends_on_its_terminating_digit(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, endpoint="PJSIP/alice", channel_id="td")
        await ari.post("/channels/td/record", params={"name": "dtmf-end", "format": "wav", "terminateOn": "#"})
        await events.next("RecordingStarted")
        # The caller presses keys on the phone (ARI's own dtmf would wait behind the recording).
        fast.control("POST", "/_sim/phones/PJSIP/alice/dtmf", {"digits": "1"})
        await events.next("ChannelDtmfReceived", channel="td", digit="1")
        assert (await ari.get("/recordings/live/dtmf-end")).json()["state"] == "recording"
        fast.control("POST", "/_sim/phones/PJSIP/alice/dtmf", {"digits": "#"})
        finished = await events.next("RecordingFinished")
        assert finished["recording"]["name"] == "dtmf-end"


async def test_commands_wait_behind_a_recording(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="busy", otherChannelId="busy-2")
        await events.next("ChannelDialplan", channel="busy-2", dialplan_app="Echo")
        await ari.post("/channels/busy/record", params={"name": "long", "format": "wav"})
        await events.next("RecordingStarted")
        assert (await ari.post("/channels/busy/dtmf", params={"dtmf": "1"})).status_code == 204
        await asyncio.sleep(0.1)
        assert "ChannelDtmfReceived" not in events.types("busy-2")
        await ari.post("/recordings/live/long/stop")
        await events.next("RecordingFinished")
        await events.next("ChannelDtmfReceived", channel="busy-2", digit="1")


@pytest.mark.parametrize("params, status, message", [
    ({"name": "r", "format": "wav", "maxDurationSeconds": "-5"}, 400, "max_duration_seconds cannot be negative"),
    ({"name": "r", "format": "wav", "maxSilenceSeconds": "-1"}, 400, "max_silence_seconds cannot be negative"),
    ({"name": "r", "format": "wav", "ifExists": "maybe"}, 400, "ifExists invalid"),
    ({"name": "r", "format": "wav", "terminateOn": "x"}, 400, "terminateOn invalid"),
    ({"name": "r", "format": "bogusfmt"}, 422, "specified format is unknown on this system"),
    ({"name": "r"}, 422, "specified format is unknown on this system"),
    ({"format": "wav"}, 500, "Error parsing request"),
    ({"name": "../escape", "format": "wav"}, 500, "Error parsing request"),
    ({"name": "ok-fail", "format": "wav", "ifExists": "fail"}, 201, None),
    ({"name": "ok-over", "format": "wav", "ifExists": "overwrite"}, 201, None),
    ({"name": "ok-app", "format": "wav", "ifExists": "append"}, 201, None),
    ({"name": "ok-none", "format": "wav", "terminateOn": "none"}, 201, None),
    ({"name": "ok-any", "format": "gsm", "terminateOn": "any"}, 201, None),
    ({"name": "ok-star", "format": "ulaw", "terminateOn": "*"}, 201, None),
    ({"name": "ok-hash", "format": "wav", "terminateOn": "#", "maxDurationSeconds": "0"}, 201, None),
])
async def test_record_parameter_checks(sim, params, status, message):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="rp")
        response = await ari.post("/channels/rp/record", params=params)
        assert response.status_code == status
        if message:
            assert response.json() == {"message": message}


async def test_negative_durations_are_refused_before_the_channel_lookup(sim):
    async with aclient(sim) as ari:
        assert error_of(await ari.post("/channels/nope/record", params={"name": "r", "format": "wav",
                                                                         "maxDurationSeconds": "-1"})) == (
            400, "max_duration_seconds cannot be negative")
        assert error_of(await ari.post("/channels/nope/record", params={"name": "r", "format": "wav"})) == (
            404, "Channel not found")
