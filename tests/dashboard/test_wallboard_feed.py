"""The wallboard's tiles as the runner builds them from a live simulator (GET /endpoints, DeviceStateChanged,
PeerStatusChange, the channel registry) and as every web process's replica receives them."""
from __future__ import annotations

import time

import pytest

from tests.dashboard.conftest import APP, wait_until

pytestmark = pytest.mark.usefixtures("pbx")


def tile(rt, endpoint: str) -> dict | None:
    return rt.wallboard.tiles.get(f"default:{endpoint}")


def wait_tile(rt, endpoint: str, predicate, what: str, timeout: float = 5.0) -> dict:
    return wait_until(lambda: (t := tile(rt, endpoint)) is not None and predicate(t) and t, timeout,
                      message=f"{endpoint}: {what}; last {tile(rt, endpoint)}")


def test_one_tile_per_endpoint_asterisk_lists(dashboard_runtime, simulator):
    listed = {f"{e['technology']}/{e['resource']}" for e in simulator.control("GET", "/_sim/phones")}
    wait_until(lambda: {t["endpoint"] for t in dashboard_runtime.wallboard.tiles.values()} == listed,
               message="a tile for every endpoint")
    assert tile(dashboard_runtime, "PJSIP/carol")["status"] == "idle"
    assert tile(dashboard_runtime, "PJSIP/carol")["state"] == "online"
    # The capture PBX's unqualified chan_sip peers: state unknown, shown offline.
    assert (tile(dashboard_runtime, "SIP/alice")["status"], tile(dashboard_runtime, "SIP/alice")["state"]) == (
        "offline", "unknown")


def test_a_call_rings_is_answered_held_and_ends(dashboard_runtime, simulator, pbx):
    rt = dashboard_runtime
    simulator.control("POST", "/_sim/phones/PJSIP/carol", {"ring_after": 0.02, "answer_after": 1.5})
    started = time.time()
    call = pbx.ari.post("/channels", params={"endpoint": "PJSIP/carol", "app": APP,
                                             "callerId": '"Harbour Logistics" <+442079460321>'}).json()["id"]
    ringing = wait_tile(rt, "PJSIP/carol", lambda t: t["status"] == "ringing", "ringing")
    assert ringing["since"] >= started - 1 and ringing["answered"] is None and ringing["calls"] == 1
    assert ringing["outgoing"] is False
    busy = wait_tile(rt, "PJSIP/carol", lambda t: t["status"] == "busy", "on a call")
    assert busy["peer"] == {"name": "Harbour Logistics", "number": "+442079460321"}
    assert busy["answered"] >= ringing["since"] and busy["since"] == busy["answered"]
    assert busy["call_ids"] == [f"default:c:{call}"] and busy["device"] == "INUSE"

    simulator.control("POST", "/_sim/phones/PJSIP/carol/hold")
    held = wait_tile(rt, "PJSIP/carol", lambda t: t["status"] == "held", "on hold")
    assert held["since"] >= busy["answered"] and held["answered"] == busy["answered"]
    simulator.control("POST", "/_sim/phones/PJSIP/carol/unhold")
    assert wait_tile(rt, "PJSIP/carol", lambda t: t["status"] == "busy", "off hold")["answered"] == busy["answered"]

    pbx.ari.delete(f"/channels/{call}")
    idle = wait_tile(rt, "PJSIP/carol", lambda t: t["status"] == "idle", "idle again")
    assert idle["since"] >= busy["answered"] and idle["calls"] == 0 and idle["peer"] == {"name": "", "number": ""}


def test_a_phone_calling_out_shows_the_number_it_dials(dashboard_runtime, simulator):
    simulator.control("POST", "/_sim/calls", json={"from": "PJSIP/dave", "context": "default", "exten": "104",
                                                    "channel_id": "dave-out"})
    dialling = wait_tile(dashboard_runtime, "PJSIP/dave", lambda t: t["status"] == "ringing", "calling out")
    assert dialling["outgoing"] is True and dialling["peer"] == {"name": "", "number": "104"}


def test_two_phones_in_one_bridge_are_one_call(dashboard_runtime, pbx):
    rt = dashboard_runtime
    alice = pbx.call_in_app("PJSIP/alice")
    bob = pbx.call_in_app("PJSIP/bob")
    assert pbx.ari.post("/bridges", params={"bridgeId": "wb-bridge"}).status_code == 200
    assert pbx.ari.post("/bridges/wb-bridge/addChannel", params={"channel": f"{alice},{bob}"}).status_code == 204
    on_alice = wait_tile(rt, "PJSIP/alice", lambda t: t["call_ids"] == ["default:b:wb-bridge"], "in the bridge")
    on_bob = wait_tile(rt, "PJSIP/bob", lambda t: t["call_ids"] == ["default:b:wb-bridge"], "in the bridge")
    # No connected line was set: each sees who shares its bridge.
    assert on_alice["peer"] == {"name": "Bob", "number": "1002"}
    assert on_bob["peer"] == {"name": "Alice", "number": "1001"}
    wait_until(lambda: rt.wallboard.history and rt.wallboard.history[-1][1] >= 1, message="a call in the history")


def test_offline_and_back_from_peer_and_device_state(dashboard_runtime, simulator):
    rt = dashboard_runtime
    simulator.control("POST", "/_sim/phones/PJSIP/erin", {"offline": True})
    # subscribeAll brings PeerStatusChange (the endpoint's new state) and DeviceStateChanged UNAVAILABLE.
    offline = wait_tile(rt, "PJSIP/erin", lambda t: t["status"] == "offline", "offline")
    assert (offline["state"], offline["device"]) == ("offline", "UNAVAILABLE")
    simulator.control("POST", "/_sim/phones/PJSIP/erin", {"offline": False})
    back = wait_tile(rt, "PJSIP/erin", lambda t: t["status"] == "idle", "back")
    assert (back["state"], back["device"]) == ("online", "NOT_INUSE") and back["since"] >= offline["since"]


def test_an_asterisk_restart_reads_the_endpoints_again(dashboard_runtime, simulator, pbx):
    rt = dashboard_runtime
    pbx.call_in_app("PJSIP/alice")
    wait_tile(rt, "PJSIP/alice", lambda t: t["status"] == "busy", "on a call")
    simulator.control("POST", "/_sim/phones/PJSIP/erin", {"offline": True})
    wait_tile(rt, "PJSIP/erin", lambda t: t["status"] == "offline", "offline")
    before = len([r for r in simulator.control("GET", "/_sim/requests") if r["path"] == "/ari/endpoints"])
    simulator.control("POST", "/_sim/restart", json={"down_seconds": 0.3})  # calls lost; erin stays offline
    wait_tile(rt, "PJSIP/alice", lambda t: t["status"] == "idle", "idle after the restart", timeout=15)
    wait_until(lambda: len([r for r in simulator.control("GET", "/_sim/requests")
                            if r["path"] == "/ari/endpoints"]) > before, message="GET /endpoints again")
    assert wait_tile(rt, "PJSIP/erin", lambda t: t["state"] == "offline", "still offline")["status"] == "offline"
