"""The /_sim control API: request log, reset, restart, faults, phones, inbound calls, traffic."""
import asyncio
import time

import httpx
import pytest
import websockets

from ari_sim.testing import ControlError

from .helpers import PASSWORD, USER, EventStream, aclient, client, error_of, stasis_channel


def test_control_api_needs_the_ari_credentials(sim):
    assert httpx.get(sim.url + "/_sim/requests").status_code == 401
    assert httpx.get(sim.url + "/_sim/requests", params={"api_key": f"{USER}:{PASSWORD}"}).status_code == 200
    assert httpx.get(sim.ari_url + "/_sim/requests", auth=(USER, PASSWORD)).status_code == 404


def test_request_log_keeps_raw_paths_queries_and_bodies(sim):
    with client(sim) as ari:
        ari.get("/channels/a%2Fb", params={"x": "1"})
        ari.post("/channels", params=[("endpoint", "Local/103@default"), ("extension", "103")],
                 json={"variables": {"A": "1"}})
        httpx.get(sim.ari_url + "/channels")
    log = sim.control("GET", "/_sim/requests")
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/ari/channels/a%2Fb", 404), ("POST", "/ari/channels", 200), ("GET", "/ari/channels", 401)]
    assert log[0]["query"] == {"x": "1"} and log[0]["json"] is None
    assert log[1]["json"] == {"variables": {"A": "1"}}
    assert log[1]["query"] == {"endpoint": "Local/103@default", "extension": "103"}
    assert sim.control("DELETE", "/_sim/requests") is None
    assert sim.control("GET", "/_sim/requests") == []


async def test_reset_forgets_everything_but_keeps_websockets(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="r1")
        await ari.post("/bridges/rb")
        sim.control("POST", "/_sim/phones/PJSIP/alice", {"busy": True})
        sim.control("POST", "/_sim/faults", {"delay_ms": 5})
        assert sim.control("POST", "/_sim/reset") == {"status": "idle"}
        assert (await ari.get("/channels")).json() == []
        assert (await ari.get("/bridges")).json() == []
        assert sim.control("GET", "/_sim/phones/PJSIP/alice")["behaviour"]["busy"] is False
        assert sim.control("GET", "/_sim/faults")["delay_ms"] == 0
        assert [r["path"] for r in sim.control("GET", "/_sim/requests")] == ["/ari/channels", "/ari/bridges"]
        await ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "103", "channelId": "r2"})
        await events.next("ChannelCreated", channel="r2")


async def test_restart_drops_sockets_loses_state_and_is_down_for_a_while(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="before")
        started = (await ari.get("/asterisk/info")).json()["status"]["startup_time"]
        await asyncio.sleep(0.01)
        assert sim.control("POST", "/_sim/restart", {"down_seconds": 1.0})["down_seconds"] == 1.0
        await asyncio.wait_for(events.closed.wait(), 2)
        assert error_of(await ari.get("/channels")) == (503, "Service Unavailable")
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(sim.ws_url + f"?app=dashboard&api_key={USER}:{PASSWORD}")
        assert refused.value.response.status_code == 503
        await asyncio.sleep(1.05)
        assert (await ari.get("/channels")).json() == []
        assert (await ari.get("/asterisk/info")).json()["status"]["startup_time"] != started
        async with EventStream(sim) as again:
            await ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "103", "channelId": "n"})
            await again.next("ChannelCreated", channel="n")


async def test_fault_drop_websockets(sim):
    async with EventStream(sim) as events:
        sim.control("POST", "/_sim/faults", {"drop_websockets": True})
        await asyncio.wait_for(events.closed.wait(), 2)
    async with aclient(sim) as ari:
        assert (await ari.get("/applications")).json() == []


def test_fault_delay_and_error_status(sim):
    with client(sim) as ari:
        sim.control("POST", "/_sim/faults", {"delay_ms": 150})
        began = time.monotonic()
        assert ari.get("/asterisk/ping").status_code == 200
        assert time.monotonic() - began >= 0.15
        faults = sim.control("POST", "/_sim/faults", {"delay_ms": 0, "error_status": 503, "error_seconds": 0.3})
        assert faults["error_status"] == 503
        assert error_of(ari.get("/channels")) == (503, "Service Unavailable")
        time.sleep(0.35)
        assert ari.get("/channels").status_code == 200
        sim.control("POST", "/_sim/faults", {"error_status": 500})
        assert error_of(ari.get("/channels")) == (500, "Internal Server Error")
        assert sim.control("DELETE", "/_sim/faults") is None
        assert ari.get("/channels").status_code == 200


@pytest.mark.parametrize("body", [{"delay_ms": -1}, {"error_status": 200}, {"error_status": "x"}, {"nope": 1}])
def test_fault_validation(sim, body):
    with pytest.raises(ControlError) as failure:
        sim.control("POST", "/_sim/faults", body)
    assert failure.value.status == 400


@pytest.mark.parametrize("body", [{"answer_after": -1}, {"busy": "yes"}, {"ring_after": "soon"}, {"colour": "red"}])
def test_phone_behaviour_validation(sim, body):
    with pytest.raises(ControlError) as failure:
        sim.control("POST", "/_sim/phones/PJSIP/alice", body)
    assert failure.value.status == 400


def test_phone_listing_and_unknown_phone(sim):
    phones = sim.control("GET", "/_sim/phones")
    alice = next(p for p in phones if (p["technology"], p["resource"]) == ("PJSIP", "alice"))
    assert alice["behaviour"]["answer_after"] == 0.3 and alice["caller"] == {"name": "Alice", "number": "1001"}
    with pytest.raises(ControlError) as failure:
        sim.control("GET", "/_sim/phones/PJSIP/nobody")
    assert failure.value.status == 404
    with pytest.raises(ControlError) as failure:
        sim.control("POST", "/_sim/phones/PJSIP/alice/hold")
    assert (failure.value.status, failure.value.body) == (409, {"message": "PJSIP/alice has no call"})


@pytest.mark.parametrize("behaviour, status, cause", [
    ({"busy": True}, "BUSY", 17), ({"reject": True}, "CONGESTION", 21), ({"offline": True}, "CHANUNAVAIL", 20),
])
async def test_phone_failures(fast, behaviour, status, cause):
    fast.control("POST", "/_sim/phones/PJSIP/erin", behaviour)
    async with EventStream(fast) as events, aclient(fast) as ari:
        await ari.post("/channels", params={"endpoint": "PJSIP/erin", "app": "dashboard", "channelId": "pf"})
        assert (await events.next("Dial", channel="pf", dialstatus=status))
        destroyed = await events.next("ChannelDestroyed", channel="pf")
        assert destroyed["cause"] == cause


async def test_phone_answer_delay_and_hangup_after(fast):
    fast.control("POST", "/_sim/phones/PJSIP/dave", {"answer_after": 2, "hangup_after": 1})
    async with EventStream(fast) as events, aclient(fast) as ari:
        began = asyncio.get_running_loop().time()
        await stasis_channel(ari, events, endpoint="PJSIP/dave", channel_id="pd")
        assert asyncio.get_running_loop().time() - began >= 0.2 * 0.9
        request = await events.next("ChannelHangupRequest", channel="pd", timeout=2)
        assert request["cause"] == 16 and "soft" not in request
        await events.next("StasisEnd", channel="pd")
        assert (await events.next("ChannelDestroyed", channel="pd"))["cause"] == 16


async def test_phone_hold_dtmf_and_hangup(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, endpoint="PJSIP/bob", channel_id="pb")
        held = fast.control("POST", "/_sim/phones/PJSIP/bob/hold")
        assert [c["id"] for c in held] == ["pb"]
        assert (await events.next("ChannelHold", channel="pb"))["channel"]["state"] == "Up"
        state = await events.next("DeviceStateChanged")
        assert state["device_state"] == {"name": "PJSIP/bob", "state": "ONHOLD"}
        fast.control("POST", "/_sim/phones/PJSIP/bob/unhold")
        await events.next("ChannelUnhold", channel="pb")
        fast.control("POST", "/_sim/phones/PJSIP/bob/dtmf", {"digits": "12#"})
        digits = [(await events.next("ChannelDtmfReceived", channel="pb"))["digit"] for _ in range(3)]
        assert digits == ["1", "2", "#"]
        with pytest.raises(ControlError):
            fast.control("POST", "/_sim/phones/PJSIP/bob/dtmf", {"digits": "x"})
        fast.control("POST", "/_sim/phones/PJSIP/bob/hangup")
        assert (await events.next("ChannelDestroyed", channel="pb"))["cause"] == 16


async def test_inbound_calls_run_the_dialplan(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        call = sim.control("POST", "/_sim/calls", {"from": "PJSIP/carol", "exten": "200", "channel_id": "in-1",
                                                   "caller_name": "Carol C", "caller_number": "555"})
        assert call["id"] == "in-1" and call["state"] == "Ring" and call["name"].startswith("PJSIP/carol-")
        assert call["caller"] == {"name": "Carol C", "number": "555"}
        assert call["dialplan"]["exten"] == "200" and call["protocol_id"]
        start = await events.next("StasisStart", channel="in-1")
        assert start["args"] == ["from-dialplan"] and start["channel"]["state"] == "Up"
        assert (await ari.get("/endpoints/PJSIP/carol")).json()["channel_ids"] == ["in-1"]


@pytest.mark.parametrize("body, status", [
    ({"exten": "100"}, 400), ({"from": "PJSIP/alice"}, 400), ({"from": "PJSIP/nobody", "exten": "100"}, 404),
    ({"from": "alice", "exten": "100"}, 400), ({"from": "PJSIP/alice", "exten": "100", "caller_name": 5}, 400),
])
def test_inbound_call_validation(sim, body, status):
    with pytest.raises(ControlError) as failure:
        sim.control("POST", "/_sim/calls", body)
    assert failure.value.status == status


async def test_inbound_call_to_a_missing_extension_fails(sim):
    async with EventStream(sim) as events:
        sim.control("POST", "/_sim/calls", {"from": "PJSIP/alice", "exten": "999", "channel_id": "nx"})
        destroyed = await events.next("ChannelDestroyed", channel="nx")
        assert (destroyed["cause"], destroyed["cause_txt"]) == (1, "Unallocated (unassigned) number")


async def test_demo_traffic_places_calls_and_reset_stops_it(fast):
    async with EventStream(fast) as events:
        traffic = fast.control("POST", "/_sim/traffic", {"calls_per_second": 5, "seed": 7})
        assert traffic["calls_per_second"] == 5
        created = await events.next("ChannelCreated", timeout=3)
        assert created["channel"]["name"].startswith("PJSIP/")
        fast.control("POST", "/_sim/reset")
        assert fast.control("GET", "/_sim/traffic")["calls_per_second"] == 0
        placed = fast.control("GET", "/_sim/traffic")["placed"]
        await asyncio.sleep(0.3)
        assert fast.control("GET", "/_sim/traffic")["placed"] == placed
    with pytest.raises(ControlError):
        fast.control("POST", "/_sim/traffic", {})


def test_state_summary(sim):
    state = sim.control("GET", "/_sim/state")
    assert state["channels"] == 0 and state["faults"]["down"] is False
    assert set(state) >= {"channels", "bridges", "playbacks", "applications", "websockets", "events_sent"}


async def test_restart_keeps_stored_recordings(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="keep")
        await ari.post("/channels/keep/record", params={"name": "kept", "format": "wav", "maxDurationSeconds": "1"})
        await events.next("RecordingFinished", timeout=3)
    fast.control("POST", "/_sim/restart")
    async with aclient(fast) as ari:
        assert (await ari.get("/recordings/stored")).json() == [{"name": "kept", "format": "wav"}]
        assert (await ari.get("/channels")).json() == []
    fast.control("POST", "/_sim/reset")
    async with aclient(fast) as ari:
        assert (await ari.get("/recordings/stored")).json() == []


def test_clock_can_be_sped_up_until_the_next_reset(sim):
    assert sim.control("GET", "/_sim/clock") == {"time_scale": 1.0}
    assert sim.control("POST", "/_sim/clock", {"time_scale": 0.5}) == {"time_scale": 0.5}
    with pytest.raises(ControlError):
        sim.control("POST", "/_sim/clock", {"time_scale": 0})
    sim.control("POST", "/_sim/reset")
    assert sim.control("GET", "/_sim/clock") == {"time_scale": 1.0}


async def test_a_phone_going_offline_changes_its_endpoint_state(sim):
    # EndpointStateChange goes to apps subscribed to the endpoint (tests/simulator/test_endpoints.py).
    async with EventStream(sim, apps="watcher", subscribe_all=False) as events, aclient(sim) as ari:
        await ari.post("/applications/watcher/subscription", params={"eventSource": "endpoint:PJSIP/noc1"})
        sim.control("POST", "/_sim/phones/PJSIP/noc1", {"offline": True})
        change = await events.next("EndpointStateChange")
        assert change["endpoint"] == {"technology": "PJSIP", "resource": "noc1", "state": "offline", "channel_ids": []}
        sim.control("POST", "/_sim/phones/PJSIP/noc1", {"offline": False})
        assert (await events.next("EndpointStateChange"))["endpoint"]["state"] == "online"
        sim.control("POST", "/_sim/phones/PJSIP/noc1", {"answer_after": 1})
        assert [e for e in await events.quiet(0.1) if e["type"] == "EndpointStateChange"] == []
