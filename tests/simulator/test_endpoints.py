"""Endpoints and their events as Asterisk sends them (res/stasis/app.c, main/endpoints.c):

- an endpoint's snapshot (EndpointStateChange) changes when a channel is added or removed and when it goes
  online or offline, and goes only to applications subscribed to that endpoint: ``subscribeAll`` forwards
  the endpoints' state and contact messages (PeerStatusChange, ContactStatusChange), not their snapshots,
  and a subscribeAll application's own endpoint subscription is a no-op;
- an application subscribed to an endpoint also hears that endpoint's channels;
- a PJSIP endpoint going offline: EndpointStateChange, PeerStatusChange "Unreachable", then the device
  state, recomputed, UNAVAILABLE (DeviceStateChanged goes to subscribeAll applications only).
"""
import asyncio

from ari_sim.testing import running_simulator

from . import ari_models
from .helpers import EventStream, aclient, client, error_of

ENDPOINT_EVENTS = ("EndpointStateChange", "PeerStatusChange", "DeviceStateChanged")


def test_lists_and_single_endpoints_with_asterisks_status_codes(sim):
    with client(sim) as ari:
        assert error_of(ari.get("/endpoints/PJSIP/nobody")) == (404, "Endpoint not found")
        assert error_of(ari.get("/endpoints/Bogus")) == (404, "No Endpoints found - invalid tech Bogus")
        # The technology of one endpoint is upper-cased before the lookup (ast_tech_to_upper); a technology
        # list is found by its exact name.
        assert ari.get("/endpoints/pjsip/alice").json()["resource"] == "alice"
        assert error_of(ari.get("/endpoints/pjsip")) == (404, "No Endpoints found - invalid tech pjsip")
        every = ari.get("/endpoints").json()
        assert ari_models.check_type("List[Endpoint]", every, "endpoints") == []
        assert [e for e in every if e["technology"] == "PJSIP"] == ari.get("/endpoints/PJSIP").json()


def test_more_phones_for_big_offices():
    with running_simulator(phones=25) as big, client(big) as ari:
        names = {e["resource"] for e in ari.get("/endpoints/PJSIP").json()}
        assert {f"phone{n:04d}" for n in range(1, 26)} <= names
        assert ari.get("/endpoints/PJSIP/phone0025").json()["state"] == "online"
        big.control("POST", "/_sim/reset")
        assert len(ari.get("/endpoints/PJSIP").json()) == len(names)


async def test_an_endpoint_subscription_brings_its_snapshots_and_its_channels(sim):
    async with EventStream(sim) as everything, EventStream(sim, apps="watcher", subscribe_all=False) as watcher, \
            aclient(sim) as ari:
        subscribed = await ari.post("/applications/watcher/subscription", params={"eventSource": "endpoint:PJSIP/carol"})
        assert subscribed.json()["endpoint_ids"] == ["PJSIP/carol"]
        call = (await ari.post("/channels", params={"endpoint": "PJSIP/carol", "extension": "103",
                                                    "context": "default", "channelId": "to-carol"})).json()
        added = await watcher.next("EndpointStateChange")
        assert added["endpoint"] == {"technology": "PJSIP", "resource": "carol", "state": "online",
                                     "channel_ids": ["to-carol"]}
        # Asterisk adds the channel to its endpoint before it announces the channel.
        assert (await watcher.next())["type"] == "ChannelCreated"  # the very next one, whenever it arrives
        await watcher.next("ChannelStateChange", channel="to-carol", timeout=5)
        await ari.delete(f"/channels/{call['id']}")
        await watcher.next("ChannelDestroyed", channel="to-carol")
        removed = await watcher.next("EndpointStateChange")
        assert removed["endpoint"]["channel_ids"] == []
        await asyncio.sleep(0.1)
        assert not [e for e in everything.events if e["type"] == "EndpointStateChange"]
        assert not [e for e in watcher.events if e["type"] == "DeviceStateChanged"]
        assert {e["type"] for e in everything.events if e["type"] == "DeviceStateChanged"} == {"DeviceStateChanged"}
        # Another phone's channels stay out of the watcher's stream.
        other = (await ari.post("/channels", params={"endpoint": "PJSIP/dave", "extension": "103",
                                                     "context": "default"})).json()
        await everything.next("ChannelStateChange", channel=other["id"], timeout=5)
        await ari.delete(f"/channels/{other['id']}")
        await everything.next("ChannelDestroyed", channel=other["id"])
        assert watcher.of(other["id"]) == []
        for event in watcher.events + everything.events:
            assert ari_models.check_event(event) == []


async def test_going_offline_and_back(sim):
    async with EventStream(sim) as everything, EventStream(sim, apps="watcher", subscribe_all=False) as watcher, \
            aclient(sim) as ari:
        await ari.post("/applications/watcher/subscription", params={"eventSource": "endpoint:PJSIP/noc1"})
        sim.control("POST", "/_sim/phones/PJSIP/noc1", {"offline": True})
        offline = await watcher.next("EndpointStateChange")
        assert offline["endpoint"]["state"] == "offline"
        peer = await watcher.next("PeerStatusChange")
        assert peer["peer"] == {"peer_status": "Unreachable"} and peer["endpoint"]["state"] == "offline"
        assert (await everything.next("PeerStatusChange"))["peer"] == {"peer_status": "Unreachable"}
        device = await everything.next("DeviceStateChanged")
        assert device["device_state"] == {"name": "PJSIP/noc1", "state": "UNAVAILABLE"}
        assert (await ari.get("/endpoints/PJSIP/noc1")).json()["state"] == "offline"

        sim.control("POST", "/_sim/phones/PJSIP/noc1", {"offline": False})
        assert (await watcher.next("EndpointStateChange"))["endpoint"]["state"] == "online"
        assert (await watcher.next("PeerStatusChange"))["peer"] == {"peer_status": "Reachable"}
        assert (await everything.next("PeerStatusChange"))["peer"] == {"peer_status": "Reachable"}
        assert (await everything.next("DeviceStateChanged"))["device_state"]["state"] == "NOT_INUSE"
        # A change that is not online/offline is no endpoint event.
        sim.control("POST", "/_sim/phones/PJSIP/noc1", {"answer_after": 1})
        await asyncio.sleep(0.1)
        assert [e["type"] for e in await watcher.quiet(0.05)] == []
        assert [e for e in await everything.quiet(0.05) if e["type"] in ENDPOINT_EVENTS] == []
        for event in watcher.events + everything.events:
            assert ari_models.check_event(event) == []


async def test_subscribe_all_makes_an_endpoint_subscription_a_no_op(sim):
    async with EventStream(sim, apps="all-of-it") as everything, aclient(sim) as ari:
        answer = await ari.post("/applications/all-of-it/subscription", params={"eventSource": "endpoint:PJSIP/erin"})
        assert answer.status_code == 200
        assert answer.json()["endpoint_ids"] == ["__AST_ENDPOINT_ALL_TOPIC"]
        sim.control("POST", "/_sim/phones/PJSIP/erin", {"offline": True})
        await everything.next("DeviceStateChanged")
        assert [e["type"] for e in everything.events if e["type"] in ENDPOINT_EVENTS] == [
            "PeerStatusChange", "DeviceStateChanged"]


async def test_unsubscribing_stops_them(sim):
    async with EventStream(sim, apps="watcher", subscribe_all=False) as watcher, aclient(sim) as ari:
        await ari.post("/applications/watcher/subscription", params={"eventSource": "endpoint:PJSIP/erin"})
        removed = await ari.delete("/applications/watcher/subscription", params={"eventSource": "endpoint:PJSIP/erin"})
        assert removed.json()["endpoint_ids"] == []
        sim.control("POST", "/_sim/phones/PJSIP/erin", {"offline": True})
        assert await watcher.quiet(0.2) == []
        missing = await ari.post("/applications/watcher/subscription", params={"eventSource": "endpoint:PJSIP/nobody"})
        assert error_of(missing) == (422, "Event source does not exist")
