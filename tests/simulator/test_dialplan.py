"""The default dialplan of the capture PBX, driven by calls from the simulated phones."""
import pytest

from .helpers import EventStream, aclient, stasis_channel


def apps_of(events: EventStream, channel: str) -> list[str]:
    return [e["dialplan_app"] for e in events.of(channel) if e["type"] == "ChannelDialplan"]


@pytest.mark.parametrize("exten, settles_on, apps, state", [
    ("100", "MusicOnHold", ["NoOp", "Answer", "MusicOnHold"], "Up"),
    ("101", "Echo", ["NoOp", "Answer", "Echo"], "Up"),
    ("102", "Goto", ["NoOp", "Answer", "Playback", "Wait", "Goto", "Playback"], "Up"),
    ("103", "Wait", ["NoOp", "Answer", "Wait"], "Up"),
    ("104", "Wait", ["NoOp", "Ringing", "Wait"], "Ring"),
    ("300", "Wait", ["NoOp", "Answer", "Playback", "Wait"], "Up"),
])
async def test_extensions_that_stay_up(fast, exten, settles_on, apps, state):
    # A watcher subscribed to everything: app "dashboard" itself need not be connected.
    async with EventStream(fast, apps="watcher") as events, aclient(fast) as ari:
        fast.control("POST", "/_sim/calls", {"from": "PJSIP/alice", "exten": exten, "channel_id": "x"})
        await events.next("ChannelDialplan", channel="x", dialplan_app=settles_on, timeout=3)
        if exten == "102":
            await events.next("ChannelDialplan", channel="x", dialplan_app="Playback")  # the loop goes round
        assert apps_of(events, "x")[:len(apps)] == apps
        assert (await ari.get("/channels/x")).json()["state"] == state
        if exten in ("102", "300"):
            statuses = [e["value"] for e in events.of("x") if e["type"] == "ChannelVarset"]
            assert statuses[0] == "SUCCESS"


@pytest.mark.parametrize("exten, cause, state", [("105", 17, "Busy"), ("106", 34, "Ring"), ("107", 16, "Up")])
async def test_extensions_that_end_the_call(fast, exten, cause, state):
    async with EventStream(fast, apps="watcher") as events:
        fast.control("POST", "/_sim/calls", {"from": "PJSIP/bob", "exten": exten, "channel_id": "e"})
        destroyed = await events.next("ChannelDestroyed", channel="e", timeout=3)
        assert destroyed["cause"] == cause
        assert destroyed["channel"]["state"] == state
        noop = [e for e in events.of("e") if e.get("dialplan_app") == "NoOp" and
                e["channel"]["dialplan"]["exten"] == "h"]
        assert noop[0]["dialplan_app_data"] == f"hangup {destroyed['channel']['name']} cause {cause}"
        assert destroyed["channel"]["dialplan"]["exten"] == "h"


async def test_extension_108_sends_dtmf_to_the_caller(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, endpoint="Local/108@default", channel_id="d108")
        digits = [(await events.next("ChannelDtmfReceived", channel="d108"))["digit"] for _ in range(4)]
        assert digits == ["1", "2", "3", "#"]


async def test_echo_ends_on_hash_from_the_phone(fast):
    async with EventStream(fast, apps="watcher") as events:
        fast.control("POST", "/_sim/calls", {"from": "PJSIP/erin", "exten": "101", "channel_id": "ec"})
        await events.next("ChannelDialplan", channel="ec", dialplan_app="Echo")
        fast.control("POST", "/_sim/phones/PJSIP/erin/dtmf", {"digits": "1#"})
        assert (await events.next("ChannelDtmfReceived", channel="ec"))["digit"] == "1"
        assert (await events.next("ChannelDestroyed", channel="ec"))["cause"] == 16


@pytest.mark.parametrize("exten, app, args, state", [
    ("200", "dashboard", ["from-dialplan"], "Up"), ("201", "dashboard", ["ringing"], "Ring"),
    ("202", "dashboard2", [], "Up"),
])
async def test_stasis_extensions(sim, exten, app, args, state):
    async with EventStream(sim, apps="dashboard,dashboard2") as events:
        sim.control("POST", "/_sim/calls", {"from": "PJSIP/noc1", "exten": exten, "channel_id": "st"})
        start = await events.next("StasisStart", channel="st")
        assert (start["application"], start["args"], start["channel"]["state"]) == (app, args, state)


async def test_stasis_without_a_websocket_fails_and_the_dialplan_goes_on(sim):
    async with EventStream(sim, apps="watcher") as events:
        sim.control("POST", "/_sim/calls", {"from": "PJSIP/admin1", "exten": "200", "channel_id": "nows"})
        await events.next("ChannelDestroyed", channel="nows")
        statuses = [e["value"] for e in events.of("nows") if e["type"] == "ChannelVarset"]
        assert statuses == ["", "FAILED"]
        left = next(e for e in events.of("nows") if e.get("dialplan_app_data", "").startswith("left Stasis"))
        assert left["dialplan_app_data"] == "left Stasis: STASISSTATUS=FAILED"
        assert "StasisStart" not in events.types("nows")


async def test_originate_into_an_app_without_a_websocket_ends_the_call(sim):
    async with EventStream(sim, apps="watcher") as events, aclient(sim) as ari:
        await ari.post("/channels", params={"endpoint": "Local/100@default", "app": "dashboard", "channelId": "nw"})
        await events.next("ChannelDestroyed", channel="nw")
        assert (await ari.get("/channels/nw")).status_code == 404
        await ari.post("/channels/create", params={"endpoint": "Local/100@default", "app": "dashboard",
                                                   "channelId": "nw2"})
        await events.next("ChannelDestroyed", channel="nw2")
        assert (await ari.get("/channels")).json() == []
