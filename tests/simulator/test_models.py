"""Every model the simulator returns, and every event it emits, checked against the ARI spec's
required fields, declared fields, types and allowed values (tables in ari_models.py)."""
import asyncio

import pytest

from . import ari_models
from .helpers import EventStream, aclient, stasis_channel

EMITTED_EVENTS = {
    "ChannelCreated", "ChannelDestroyed", "ChannelDialplan", "ChannelCallerId", "ChannelConnectedLine",
    "ChannelStateChange", "ChannelVarset", "ChannelHangupRequest", "ChannelDtmfReceived", "ChannelHold",
    "ChannelUnhold", "ChannelEnteredBridge", "ChannelLeftBridge", "ChannelUserevent", "StasisStart", "StasisEnd",
    "Dial", "ApplicationMoveFailed", "ApplicationReplaced", "BridgeCreated", "BridgeDestroyed", "PlaybackStarted",
    "PlaybackContinuing", "PlaybackFinished", "RecordingStarted", "RecordingFinished", "DeviceStateChanged",
    "EndpointStateChange", "PeerStatusChange",
}


def test_the_checker_finds_problems():
    channel = {"id": "1", "name": "x", "state": "Up", "protocol_id": "", "caller": {"name": "", "number": ""},
               "connected": {"name": "", "number": ""}, "accountcode": "",
               "dialplan": {"context": "default", "exten": "s", "priority": 1, "app_name": "", "app_data": ""},
               "creationtime": "2026-11-26T14:26:39.393+0000", "language": "en"}
    assert ari_models.check("Channel", channel) == []
    assert ari_models.check("Channel", {**channel, "state": "Sleeping"})
    assert ari_models.check("Channel", {**channel, "creationtime": "2026-11-26 14:26:39"})
    assert ari_models.check("Channel", {**channel, "surprise": 1})
    assert ari_models.check("Channel", {k: v for k, v in channel.items() if k != "id"})
    assert ari_models.check("Channel", {**channel, "dialplan": {**channel["dialplan"], "priority": "1"}})
    assert ari_models.check_event({"type": "StasisStart", "timestamp": channel["creationtime"],
                                   "application": "a", "channel": channel}) == ["StasisStart: missing required args"]
    assert ari_models.check_event({"type": "NotAnEvent"})


async def test_every_model_and_event_conforms(fast):
    returned: list[tuple[str, object]] = []
    async with EventStream(fast) as events, EventStream(fast, apps="dashboard2", subscribe_all=False) as second, \
            aclient(fast) as ari:

        async def get(model, method, path, **kwargs):
            response = await ari.request(method, path, **kwargs)
            assert response.status_code in (200, 201), (path, response.text)
            returned.append((model, response.json()))
            return response.json()

        await get("AsteriskInfo", "GET", "/asterisk/info")
        await get("AsteriskPing", "GET", "/asterisk/ping")
        await get("List[Module]", "GET", "/asterisk/modules")
        await get("Variable", "GET", "/asterisk/variable", params={"variable": "ASTVERSION()"})
        await get("List[Application]", "GET", "/applications")
        await get("List[Endpoint]", "GET", "/endpoints")
        returned.append(("Channel", await stasis_channel(ari, events, channel_id="a", otherChannelId="a2",
                                                             callerId="Model <100>")))
        await stasis_channel(ari, events, endpoint="PJSIP/alice", channel_id="p")
        await get("RTPstat", "GET", "/channels/p/rtp_statistics")
        await ari.post("/channels/a/variable", params={"variable": "CALLERID(num)", "value": "1", "report_events": "1"})
        await get("Channel", "GET", "/channels/a")
        await get("List[Channel]", "GET", "/channels")
        await get("Variable", "GET", "/channels/a/variable", params={"variable": "CALLERID(num)"})
        await get("Playback", "POST", "/channels/a/play", params={"media": "sound:beep,digits:1"})
        await get("LiveRecording", "POST", "/channels/p/record",
                  params={"name": "m", "format": "wav", "maxDurationSeconds": "1"})
        await events.next("RecordingFinished", timeout=3)
        await get("List[StoredRecording]", "GET", "/recordings/stored")
        await get("StoredRecording", "GET", "/recordings/stored/m")
        await get("Bridge", "POST", "/bridges", params={"bridgeId": "mb", "name": "models"})
        await ari.post("/bridges/mb/addChannel", params={"channel": "a,p"})
        await get("Bridge", "GET", "/bridges/mb")
        await get("List[Bridge]", "GET", "/bridges")
        await ari.post("/bridges/mb/removeChannel", params={"channel": "p"})
        await ari.delete("/bridges/mb")
        await get("Channel", "POST", "/channels/a/snoop", params={"spy": "both", "app": "dashboard"})
        await events.wait("ChannelDialplan", channel="a2", dialplan_app="Echo")
        await ari.post("/channels/a/dtmf", params={"dtmf": "1"})
        await events.next("ChannelDtmfReceived", channel="a")
        await ari.post("/channels/a/move", params={"app": "dashboard2"})
        await second.next("StasisStart", channel="a")
        await ari.post("/channels/a/move", params={"app": "dashboard"})
        await ari.post("/channels/a/move", params={"app": "no-such-app"})
        await events.next("ApplicationMoveFailed", channel="a")
        # EndpointStateChange comes only to an app subscribed to the endpoint (not with subscribeAll).
        await ari.post("/applications/dashboard2/subscription", params={"eventSource": "endpoint:PJSIP/erin"})
        fast.control("POST", "/_sim/phones/PJSIP/erin", {"offline": True})
        fast.control("POST", "/_sim/phones/PJSIP/alice/hold")
        fast.control("POST", "/_sim/phones/PJSIP/alice/unhold")
        await ari.post("/events/user/Ping", params={"application": "dashboard", "source": "channel:a"})
        returned.append(("Channel", await get("Channel", "POST", "/channels/externalMedia",
                                              params={"app": "dashboard", "external_host": "127.0.0.1:40000",
                                                      "format": "ulaw"})))
        await get("Application", "GET", "/applications/dashboard")
        await get("Endpoint", "GET", "/endpoints/PJSIP/alice")
        async with EventStream(fast, apps="dashboard2", subscribe_all=False):
            await second.next("ApplicationReplaced")
        await ari.delete("/channels/a")
        await ari.delete("/channels/p")
        await events.next("ChannelDestroyed", channel="p")
        await asyncio.sleep(0.05)
    problems = []
    for model, value in returned:
        problems += ari_models.check_type(model, value, model)
    all_events = events.events + second.events
    for event in all_events:
        problems += ari_models.check_event(event)
    assert problems == []
    assert EMITTED_EVENTS - {e["type"] for e in all_events} == set()


@pytest.mark.parametrize("model", ["Channel", "Bridge", "Playback", "LiveRecording", "RTPstat", "AsteriskInfo",
                                   "Application", "Endpoint", "StoredRecording", "Variable", "CallerID",
                                   "DialplanCEP", "AsteriskPing", "Module"])
def test_model_tables_are_complete(model):
    # The tables are the contract the conformance test relies on: each must declare fields.
    assert ari_models.MODELS[model]
    assert all(spec[0] for spec in ari_models.MODELS[model].values())
