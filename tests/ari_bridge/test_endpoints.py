"""Endpoints over real HTTP (typed, validated, percent-encoded) and their events parsed as typed events."""
from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import websockets

from ari_bridge import (
    AriClient,
    DeviceState,
    DeviceStateChanged,
    Endpoint,
    EndpointNotFound,
    EndpointStateChange,
    Peer,
    PeerStatusChange,
    UnknownEvent,
    ValidationError,
    loads_event,
    parse_event,
)

from .conftest import recorded_events, sim_requests


async def test_list_endpoints(client: AriClient) -> None:
    endpoints = await client.list_endpoints()
    assert all(isinstance(e, Endpoint) for e in endpoints)
    by_name = {e.name: e for e in endpoints}
    assert by_name["PJSIP/alice"] == Endpoint("PJSIP", "alice", "online", ())
    # The capture PBX's unqualified chan_sip peers, as recorded.
    assert by_name["SIP/alice"].state == "unknown"


async def test_list_by_technology_and_get_one(client: AriClient, sim: Any) -> None:
    sip = await client.list_endpoints_by_tech("SIP")
    assert {e.name for e in sip} == {"SIP/alice", "SIP/bob"}
    assert await client.get_endpoint("PJSIP", "carol") == Endpoint("PJSIP", "carol", "online", ())
    with pytest.raises(EndpointNotFound) as missing:
        await client.list_endpoints_by_tech("Bogus")
    assert missing.value.status == 404 and str(missing.value) == "Asterisk does not know that endpoint"
    with pytest.raises(EndpointNotFound):
        await client.get_endpoint("PJSIP", "nobody")
    assert [r["path"] for r in sim_requests(sim)] == [
        "/ari/endpoints/SIP", "/ari/endpoints/PJSIP/carol", "/ari/endpoints/Bogus", "/ari/endpoints/PJSIP/nobody"]


async def test_a_resource_never_escapes_its_path_segment(client: AriClient, sim: Any) -> None:
    for resource in ("../../channels", "a b?c#d/e", "%2E%2E"):
        with pytest.raises(EndpointNotFound):
            await client.get_endpoint("PJSIP", resource)
    paths = [r["path"] for r in sim_requests(sim)]
    assert paths == [f"/ari/endpoints/PJSIP/{quote(r, safe='')}" for r in ("../../channels", "a b?c#d/e", "%2E%2E")]


@pytest.mark.parametrize("technology, resource, parameter", [
    ("", "alice", "technology"), ("PJ/SIP", "alice", "technology"), (" PJSIP", "alice", "technology"),
    ("PJSIP", "", "resource"), ("PJSIP", "..", "resource"), ("PJSIP", 7, "resource"),
])
async def test_invalid_names_are_refused_before_sending(client: AriClient, sim: Any, technology: Any, resource: Any,
                                                        parameter: str) -> None:
    with pytest.raises(ValidationError) as refused:
        await client.get_endpoint(technology, resource)
    assert refused.value.parameter == parameter
    assert sim_requests(sim) == []


async def test_an_endpoint_lists_its_channels_while_they_last(client: AriClient) -> None:
    channel = await client.originate(endpoint="PJSIP/dave", extension="103", context="default")
    assert (await client.get_endpoint("PJSIP", "dave")).channel_ids == (channel.id,)
    await client.hangup(channel.id)
    assert (await client.get_endpoint("PJSIP", "dave")).channel_ids == ()


def test_recorded_device_states_parse_to_their_class() -> None:
    recorded = [row["event"] for row in recorded_events() if row["event"]["type"] == "DeviceStateChanged"]
    assert recorded
    for data in recorded:
        event = parse_event(data)
        assert isinstance(event, DeviceStateChanged)
        assert event.device_state == DeviceState(data["device_state"]["name"], data["device_state"]["state"])


def test_endpoint_and_peer_events_parse_to_their_class() -> None:
    endpoint = {"technology": "PJSIP", "resource": "noc1", "state": "offline", "channel_ids": ["17.4"]}
    change = parse_event({"type": "EndpointStateChange", "application": "a", "timestamp": "t", "endpoint": endpoint,
                          "asterisk_id": "x"})
    assert change == EndpointStateChange("EndpointStateChange", "a", "t", "x",
                                         Endpoint("PJSIP", "noc1", "offline", ("17.4",)))
    peer = parse_event({"type": "PeerStatusChange", "application": "a", "timestamp": "t", "endpoint": endpoint,
                        "peer": {"peer_status": "Unreachable", "new": 1}})
    assert isinstance(peer, PeerStatusChange) and peer.peer == Peer("Unreachable")
    # The spec's state is optional; a missing required part makes the event an UnknownEvent, never an error.
    assert parse_event({"type": "EndpointStateChange", "application": "a", "timestamp": "t",
                        "endpoint": {"technology": "SIP", "resource": "x"}}).endpoint.state is None
    for broken in ({"endpoint": {"technology": "SIP"}}, {}, {"device_state": {"name": "x"}}):
        for kind in ("EndpointStateChange", "DeviceStateChanged", "PeerStatusChange"):
            assert isinstance(parse_event({"type": kind, "application": "a", "timestamp": "t", **broken}),
                              UnknownEvent)


async def test_the_simulator_sends_them_as_asterisk_does(sim: Any) -> None:
    """subscribeAll brings DeviceStateChanged and PeerStatusChange; EndpointStateChange comes only to an app
    subscribed to the endpoint."""
    auth = f"api_key={sim.username}:{sim.password}"
    async with websockets.connect(f"{sim.ws_url}?app=wb-all&subscribeAll=true&{auth}") as every, \
            websockets.connect(f"{sim.ws_url}?app=wb-one&{auth}") as one:
        subscribed = httpx.post(f"{sim.ari_url}/applications/wb-one/subscription",
                                params={"eventSource": "endpoint:PJSIP/noc1"}, auth=(sim.username, sim.password))
        assert subscribed.status_code == 200, subscribed.text
        sim.control("POST", "/_sim/phones/PJSIP/noc1", {"offline": True})
        got_all = [loads_event(m) for m in await _drain(every)]
        got_one = [loads_event(m) for m in await _drain(one)]
    assert {type(e) for e in got_all} == {PeerStatusChange, DeviceStateChanged}
    assert next(e for e in got_all if isinstance(e, DeviceStateChanged)).device_state == DeviceState(
        "PJSIP/noc1", "UNAVAILABLE")
    assert [type(e) for e in got_one] == [EndpointStateChange, PeerStatusChange]
    assert got_one[0].endpoint == Endpoint("PJSIP", "noc1", "offline", ())


async def _drain(ws: Any, quiet: float = 0.3) -> list[str]:
    messages = []
    while True:
        try:
            messages.append(await asyncio.wait_for(ws.recv(), quiet))
        except TimeoutError:
            return messages
