"""The /bridges resource and the events channels raise entering and leaving them."""
import pytest

from .helpers import EventStream, aclient, dialplan_channel, error_of, stasis_channel


async def test_bridge_lifecycle_matches_the_capture(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        a = await stasis_channel(ari, events, channel_id="bra")
        b = await stasis_channel(ari, events, endpoint="Local/100@default", channel_id="brb")
        created = await ari.post("/bridges", params={"type": "mixing", "bridgeId": "dash-bridge-1", "name": "dash"})
        body = created.json()
        assert body == {"id": "dash-bridge-1", "technology": "simple_bridge", "bridge_type": "mixing",
                        "bridge_class": "stasis", "creator": "Stasis", "name": "dash", "channels": [],
                        "creationtime": body["creationtime"], "video_mode": "talker"}
        assert (await events.next("BridgeCreated"))["bridge"]["id"] == "dash-bridge-1"
        assert (await ari.post("/bridges/dash-bridge-1/addChannel", params={"channel": "bra,brb"})).status_code == 204
        entered = [await events.next("ChannelEnteredBridge") for _ in range(2)]
        assert [e["bridge"]["channels"] for e in entered] == [["bra"], ["bra", "brb"]]
        peers = [await events.next("ChannelVarset", variable="BRIDGEPEER") for _ in range(2)]
        assert [(p["channel"]["id"], p["value"]) for p in peers] == [("bra", b["name"]), ("brb", a["name"])]
        assert (await ari.get("/bridges/dash-bridge-1")).json()["channels"] == ["bra", "brb"]
        assert [x["id"] for x in (await ari.get("/bridges")).json()] == ["dash-bridge-1"]
        # Continuing a bridged channel takes it out of the bridge first.
        await ari.post("/channels/bra/continue")
        cleared = await events.next("ChannelVarset", channel="bra", variable="BRIDGEPEER")
        assert cleared["value"] == ""
        left = await events.next("ChannelLeftBridge", channel="bra")
        assert left["bridge"]["channels"] == ["brb"]
        await events.next("StasisEnd", channel="bra")
        # Hanging up a bridged channel: it leaves the bridge on its way out.
        await ari.delete("/channels/brb", params={"reason": "normal"})
        kinds = []
        while not kinds or kinds[-1] != "StasisEnd":
            kinds.append((await events.next(channel="brb"))["type"])
        assert kinds == ["ChannelHangupRequest", "ChannelVarset", "ChannelLeftBridge", "StasisEnd"]
        assert (await ari.delete("/bridges/dash-bridge-1")).status_code == 204
        destroyed = await events.next("BridgeDestroyed")
        assert destroyed["bridge"]["channels"] == []
        assert error_of(await ari.get("/bridges/dash-bridge-1")) == (404, "Bridge not found")


async def test_destroying_a_bridge_releases_its_channels(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="x1")
        await stasis_channel(ari, events, channel_id="x2")
        bridge = (await ari.post("/bridges", params={"name": "b"})).json()
        # A repeated query parameter: the last one wins (as `media` shows in the captures).
        await ari.post(f"/bridges/{bridge['id']}/addChannel", params=[("channel", "x1"), ("channel", "x2")])
        await events.next("ChannelEnteredBridge", channel="x2")
        assert (await ari.get(f"/bridges/{bridge['id']}")).json()["channels"] == ["x2"]
        await ari.post(f"/bridges/{bridge['id']}/addChannel", params={"channel": "x1"})
        await events.next("ChannelEnteredBridge", channel="x1")
        await ari.delete(f"/bridges/{bridge['id']}")
        await events.next("BridgeDestroyed")
        tail = [(e["type"], e.get("value"), e["channel"]["id"]) for e in events.events
                if e["type"] in ("ChannelVarset", "ChannelLeftBridge") and e.get("variable") in (None, "BRIDGEPEER")]
        assert tail[-4:] == [("ChannelVarset", "", "x2"), ("ChannelVarset", "", "x1"),
                             ("ChannelLeftBridge", None, "x1"), ("ChannelLeftBridge", None, "x2")]
        for cid in ("x1", "x2"):
            assert (await ari.get(f"/channels/{cid}")).json()["dialplan"]["app_name"] == "Stasis"


async def test_three_channels_make_a_softmix_bridge(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        for name in ("s1", "s2", "s3"):
            await stasis_channel(ari, events, channel_id=name)
        await ari.post("/bridges/conf", params={"type": "mixing"})
        await ari.post("/bridges/conf/addChannel", params={"channel": "s1,s2,s3"})
        bridge = (await ari.get("/bridges/conf")).json()
        assert bridge["technology"] == "softmix" and bridge["channels"] == ["s1", "s2", "s3"]
        await ari.post("/bridges/conf/removeChannel", params={"channel": "s2"})
        assert (await ari.get("/bridges/conf")).json()["channels"] == ["s1", "s3"]
        holding = (await ari.post("/bridges", params={"type": "holding"})).json()
        assert (holding["bridge_type"], holding["technology"]) == ("holding", "holding_bridge")


async def test_bridge_errors(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="in")
        await dialplan_channel(ari, events, channel_id="out")
        await ari.post("/bridges/b1")
        assert error_of(await ari.post("/bridges/nope/addChannel", params={"channel": "in"})) == (404, "Bridge not found")
        assert error_of(await ari.post("/bridges/b1/addChannel")) == (400, "Missing parameter channel")
        assert error_of(await ari.post("/bridges/b1/addChannel", params={"channel": "ghost"})) == (400, "Channel not found")
        assert error_of(await ari.post("/bridges/b1/addChannel", params={"channel": "out"})) == (
            422, "Channel not in Stasis application")
        assert error_of(await ari.post("/bridges/b1/removeChannel", params={"channel": "in"})) == (
            422, "Channel not in this bridge")
        assert error_of(await ari.post("/bridges", params={"bridgeId": "b1"})) == (
            409, "Bridge with id 'b1' already exists")
        assert error_of(await ari.post("/bridges/b1", params={"type": "holding"})) == (
            500, "Supplying a bridge type when updating a bridge is not allowed.")
        assert (await ari.post("/bridges/b1")).json()["id"] == "b1"
        assert error_of(await ari.post("/bridges", params={"type": "bogus"})) == (500, "Unable to create bridge")
        assert error_of(await ari.delete("/bridges/nope")) == (404, "Bridge not found")


async def test_bridge_moh_and_playback(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="bp")
        await ari.post("/bridges/bpb")
        await ari.post("/bridges/bpb/addChannel", params={"channel": "bp"})
        assert (await ari.post("/bridges/bpb/moh", params={"mohClass": "default"})).status_code == 204
        assert (await ari.delete("/bridges/bpb/moh")).status_code == 204
        played = await ari.post("/bridges/bpb/play", params={"media": "sound:beep"})
        assert played.status_code == 201 and played.json()["target_uri"] == "bridge:bpb"
        assert (await events.next("PlaybackFinished"))["playback"]["target_uri"] == "bridge:bpb"


@pytest.mark.parametrize("types, bridge_type", [("mixing", "mixing"), ("holding", "holding"),
                                                ("mixing,dtmf_events", "mixing"), ("proxy_media", "mixing")])
async def test_bridge_types(sim, types, bridge_type):
    async with aclient(sim) as ari:
        response = await ari.post("/bridges", params={"type": types})
        assert response.status_code == 200
        assert response.json()["bridge_type"] == bridge_type
