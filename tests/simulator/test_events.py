"""The events WebSocket: handshake errors, which app sees what, several apps and sockets."""
import asyncio
import json

import httpx
import pytest
import websockets

from .helpers import PASSWORD, USER, EventStream, aclient, stasis_channel


async def test_handshake_errors(sim):
    with pytest.raises(websockets.InvalidStatus) as failure:
        await websockets.connect(sim.ws_url + "?app=x")
    assert failure.value.response.status_code == 401
    with pytest.raises(websockets.InvalidStatus) as failure:
        await websockets.connect(sim.ws_url + f"?app=x&api_key={USER}:nope")
    assert failure.value.response.status_code == 401
    assert json.loads(failure.value.response.body) == {"message": "Authentication required"}
    with pytest.raises(websockets.InvalidStatus) as failure:
        await websockets.connect(sim.ws_url + f"?api_key={USER}:{PASSWORD}")
    assert failure.value.response.status_code == 400
    assert b"HTTP request is missing param: [app]" in failure.value.response.body
    plain = httpx.get(sim.ari_url + "/events", params={"app": "x"}, auth=(USER, PASSWORD))
    assert plain.status_code == 426


async def test_basic_auth_header_and_any_origin_are_accepted(sim):
    token = httpx.BasicAuth(USER, PASSWORD)._auth_header
    async with websockets.connect(sim.ws_url + "?app=probe", additional_headers={"Authorization": token},
                                  origin="http://evil.invalid:9999") as ws:
        assert ws.response.status_code == 101


async def test_event_json_shape(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="shape")
        for event in events.events:
            assert event["asterisk_id"] == "02:fc:00:00:00:01"
            assert event["timestamp"].endswith("+0000") and len(event["timestamp"]) == 28
            assert event["application"] == "dashboard"
            keys = list(event)
            if event["type"] == "ChannelVarset":
                assert keys[:3] == ["variable", "value", "type"]
            elif event["type"] == "DeviceStateChanged":
                assert keys[:3] == ["type", "application", "timestamp"]
            else:
                assert keys[:2] == ["type", "timestamp"] and keys[-2:] == ["asterisk_id", "application"]


async def test_without_subscribe_all_an_app_sees_only_its_channels(sim):
    async with EventStream(sim) as everything, EventStream(sim, apps="dashboard2", subscribe_all=False) as own, \
            aclient(sim) as ari:
        await stasis_channel(ari, everything, channel_id="not-mine")
        await stasis_channel(ari, own, channel_id="mine", app="dashboard2")
        await asyncio.sleep(0.1)
        assert not any(e.get("channel", {}).get("id") == "not-mine" for e in own.events)
        assert not any(e["type"] == "DeviceStateChanged" for e in own.events)
        assert {e["type"] for e in own.events} >= {"StasisStart", "ChannelVarset", "Dial"}
        # The subscribeAll app sees both, but not the other app's StasisStart.
        assert any(e.get("channel", {}).get("id") == "mine" for e in everything.events)
        assert not any(e["type"] == "StasisStart" and e["channel"]["id"] == "mine" for e in everything.events)
        apps = {a["name"]: a for a in (await ari.get("/applications")).json()}
        assert apps["dashboard"]["channel_ids"] == ["__AST_CHANNEL_ALL_TOPIC"]
        assert "mine" in apps["dashboard2"]["channel_ids"]
        assert (await ari.get("/applications/dashboard2")).json()["name"] == "dashboard2"
        assert (await ari.get("/applications/nonexistent-app")).json() == {"message": "Application not found"}


async def test_several_apps_on_one_socket(sim):
    async with EventStream(sim, apps="app-a,app-b", subscribe_all=False) as both, aclient(sim) as ari:
        await stasis_channel(ari, both, channel_id="ca", app="app-a")
        await stasis_channel(ari, both, channel_id="cb", app="app-b")
        starts = {e["channel"]["id"]: e["application"] for e in both.events if e["type"] == "StasisStart"}
        assert starts == {"ca": "app-a", "cb": "app-b"}
        names = sorted(a["name"] for a in (await ari.get("/applications")).json())
        assert names == ["app-a", "app-b"]


async def test_several_sockets_each_get_every_event(sim):
    async with EventStream(sim, apps="one") as one, EventStream(sim, apps="two") as two, aclient(sim) as ari:
        await ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "103", "channelId": "s"})
        await one.next("ChannelDialplan", channel="s", dialplan_app="Wait", timeout=2)
        await two.next("ChannelDialplan", channel="s", dialplan_app="Wait", timeout=2)
        await asyncio.sleep(0.05)
        assert len(one.events) > 10
        assert [e["type"] for e in one.events] == [e["type"] for e in two.events]
        assert {e["application"] for e in one.events} == {"one"}
        assert {e["application"] for e in two.events} == {"two"}


async def test_a_second_socket_for_the_same_app_replaces_the_first(sim):
    async with EventStream(sim, apps="same") as first:
        async with EventStream(sim, apps="same") as second, aclient(sim) as ari:
            replaced = await first.next("ApplicationReplaced")
            assert replaced["application"] == "same"
            await ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "103", "channelId": "r"})
            await second.next("ChannelCreated", channel="r")
            await asyncio.sleep(0.05)
            assert not any(e.get("channel", {}).get("id") == "r" for e in first.events)


async def test_closing_the_socket_unregisters_the_app(sim):
    async with EventStream(sim, apps="short-lived"):
        async with aclient(sim) as ari:
            assert "short-lived" in [a["name"] for a in (await ari.get("/applications")).json()]
    await asyncio.sleep(0.05)
    async with aclient(sim) as ari:
        assert "short-lived" not in [a["name"] for a in (await ari.get("/applications")).json()]


async def test_application_subscriptions(sim):
    async with EventStream(sim, apps="watcher", subscribe_all=False) as watcher, EventStream(sim) as events, \
            aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="watched")
        subscribed = await ari.post("/applications/watcher/subscription", params={"eventSource": "channel:watched"})
        assert subscribed.json()["channel_ids"] == ["watched"]
        await ari.post("/channels/watched/variable", params={"variable": "SEEN", "value": "1"})
        assert (await watcher.next("ChannelVarset", channel="watched"))["variable"] == "SEEN"
        assert (await ari.delete("/applications/watcher/subscription",
                                 params={"eventSource": "channel:watched"})).json()["channel_ids"] == []
        assert (await ari.delete("/applications/watcher/subscription",
                                 params={"eventSource": "channel:watched"})).status_code == 409
        assert (await ari.post("/applications/watcher/subscription",
                               params={"eventSource": "channel:ghost"})).status_code == 422
        assert (await ari.post("/applications/watcher/subscription")).status_code == 400
        assert (await ari.post("/applications/ghost/subscription",
                               params={"eventSource": "channel:watched"})).status_code == 404


async def test_user_events(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="ue")
        response = await ari.post("/events/user/Ping", params={"application": "dashboard", "source": "channel:ue"},
                                  json={"variables": {"k": "v"}})
        assert response.status_code == 204
        event = await events.next("ChannelUserevent")
        assert (event["eventname"], event["userevent"], event["channel"]["id"]) == ("Ping", {"k": "v"}, "ue")
        assert (await ari.post("/events/user/Ping", params={"application": "ghost"})).status_code == 404
