"""Field-level live diffs: after the snapshot a page gets a channel's changed fields only, an agent's page
gets a call whole when it becomes theirs and loses it when it stops being theirs, the clock-based stuck
rules reach the pages without an event, and the runner sends replicas the changed fields only."""
from __future__ import annotations

import asyncio

import httpx
import pytest
from channels.layers import InMemoryChannelLayer

from ari_bridge import AriServerConfig
from dashboard.live import broadcast
from dashboard.live.runner import Runner
from tests.dashboard.test_live_socket import APP, ari, call, open_page  # noqa: F401 - ari is a fixture
from tests.live_server import LiveDashboard


def _diffs_after(page, start: int) -> list[dict]:
    return [m for m in page.messages[start:] if m["type"] == "diff"]


async def test_after_the_snapshot_a_change_sends_only_its_fields(live_dashboard, ari):
    channel_id = call(ari, "PJSIP/alice")
    uid = f"default:{channel_id}"
    page = await open_page(live_dashboard, "supervisor")
    await page.until(lambda p: p.by_id(channel_id) and p.by_id(channel_id)["state"] == "Up", what="the call, Up")
    start = len(page.messages)
    ari.post(f"/channels/{channel_id}/variable", params={"variable": "CALLERID(name)", "value": "Renamed"})
    await page.until(lambda p: p.by_id(channel_id)["caller"]["name"] == "Renamed", what="the new caller name")
    diffs = _diffs_after(page, start)
    assert not [c for d in diffs for c in d["upsert"] if c["uid"] == uid], "sent whole again"
    patches = [c for d in diffs for c in d["patch"] if c["uid"] == uid]
    assert patches and {"uid", "caller"} <= set(patches[-1]) <= {"uid", "caller", "last_event", "stuck"}
    # The page's copy, patched, is the channel the REST API shows.
    assert page.by_id(channel_id) == live_dashboard.login("supervisor").get(f"/api/v1/channels/{channel_id}").json()
    await page.ws.close()


async def test_an_agents_page_gets_a_call_when_it_becomes_theirs_and_loses_it_after(live_dashboard, ari):
    bobs = call(ari, "PJSIP/bob")
    page = await open_page(live_dashboard, "agent")  # PJSIP/alice
    alices = call(ari, "PJSIP/alice")
    await page.until(lambda p: p.by_id(alices) and p.by_id(alices)["app"] == APP, what="the agent's own call")
    assert page.by_id(bobs) is None
    bridge = ari.post("/bridges", params={"type": "mixing"}).json()["id"]
    assert ari.post(f"/bridges/{bridge}/addChannel", params={"channel": f"{bobs},{alices}"}).status_code == 204
    await page.until(lambda p: p.by_id(bobs) is not None, what="the bridged peer's call")
    # Alice leaves: Bob's channel hears of nothing (no event of its own), and still leaves her page.
    assert ari.post(f"/bridges/{bridge}/removeChannel", params={"channel": alices}).status_code == 204
    await page.until(lambda p: p.by_id(bobs) is None and p.by_id(alices)["flags"]["bridges"] == [],
                     what="the peer's call to leave the page")
    rest = live_dashboard.login("agent").get("/api/v1/channels").json()["results"]
    assert sorted(page.channels) == sorted(c["uid"] for c in rest)
    ari.delete(f"/bridges/{bridge}")
    await page.ws.close()


@pytest.fixture(scope="module")
def clocked(simulator, tmp_path_factory):
    server = LiveDashboard(simulator, tmp_path_factory.mktemp("clocked"), app="switchboard-clocked",
                           extra_env={"STUCK_RINGING_SECONDS": "2"})
    yield server
    server.stop()


async def test_a_call_that_rings_too_long_turns_stuck_on_the_page_without_an_event(clocked, sim):
    sim.control("POST", "/_sim/phones/PJSIP/carol", json={"never_answer": True})
    ari = httpx.Client(base_url=sim.ari_url, auth=(sim.username, sim.password), timeout=10)
    page = await open_page(clocked, "supervisor")
    channel_id = ari.post("/channels", params={"endpoint": "PJSIP/carol", "app": "switchboard-clocked"}).json()["id"]
    await page.until(lambda p: p.by_id(channel_id) is not None, what="the ringing call")
    assert page.by_id(channel_id)["stuck"] == []
    await page.until(lambda p: p.by_id(channel_id)["stuck"] == ["ringing_too_long"], timeout=12,
                     what="the stuck rule, from the clock alone")
    ari.delete(f"/channels/{channel_id}")
    await page.ws.close()


async def test_the_runner_sends_replicas_the_changed_fields_only(simulator, sim):
    config = AriServerConfig(name="default", url=sim.url, username=sim.username, password=sim.password,
                             app="switchboard-wire")
    layer = InMemoryChannelLayer()
    inbox = await layer.new_channel("test.replica.")
    await layer.group_add(broadcast.LIVE_GROUP, inbox)
    runner = Runner([config], layer, flush_ms=20, reconcile_s=0)
    await runner.start()
    ari = httpx.AsyncClient(base_url=sim.ari_url, auth=(sim.username, sim.password), timeout=10)
    sim.control("POST", "/_sim/phones/PJSIP/alice", json={"answer_after": 0.05})
    try:
        channel_id = (await ari.post("/channels", params={"endpoint": "PJSIP/alice",
                                                          "app": "switchboard-wire"})).json()["id"]

        async def diff_with(predicate) -> dict:
            while True:
                message = await asyncio.wait_for(layer.receive(inbox), 5)
                if message["type"] == broadcast.DIFF and predicate(message):
                    return message

        first = await diff_with(lambda m: any(e["channel"]["id"] == channel_id for e in m["upsert"]))
        assert first["runner"] == runner.id
        await asyncio.sleep(0.5)  # answered, in the app: quiet
        while True:
            try:
                await asyncio.wait_for(layer.receive(inbox), 0.2)
            except TimeoutError:
                break
        await ari.post(f"/channels/{channel_id}/variable", params={"variable": "CALLERID(name)", "value": "Wire"})
        renamed = await diff_with(lambda m: any(p[1] == channel_id for p in m["patch"]))
        assert not [e for e in renamed["upsert"] if e["channel"]["id"] == channel_id]
        (server, _, changes), = [p for p in renamed["patch"] if p[1] == channel_id]
        assert server == "default" and set(changes) <= {"channel", "last_event_at"}
        assert changes["channel"] == {"caller": {"name": "Wire", "number": "1001"}}
    finally:
        await ari.aclose()
        await runner.stop()


def test_a_patch_rebuilds_the_entry_exactly_both_ways():
    from ari_bridge import ChannelRegistry
    from ari_bridge.events import parse_event
    from dashboard.live.wire import apply_patch, entry_patch

    def caller_id(name: str, variables: dict | None) -> dict:
        channel = {"id": "c1", "name": "PJSIP/alice-1", "state": "Up", "protocol_id": "",
                   "caller": {"name": name, "number": "1001"}, "connected": {"name": "", "number": ""},
                   "accountcode": "", "dialplan": {"context": "default", "exten": "100", "priority": 1,
                                                   "app_name": "Stasis", "app_data": "switchboard"},
                   "creationtime": "2026-01-01T00:00:00.000+0000", "language": "en"}
        if variables is not None:
            channel["channelvars"] = variables
        return {"type": "ChannelCallerId", "timestamp": "2026-01-01T00:00:00.000+0000", "application": "x",
                "channel": channel}

    registry = ChannelRegistry()
    registry.apply(parse_event(caller_id("Alice", None)), "default")
    before = registry.get(("default", "c1"))
    registry.apply(parse_event(caller_id("Renamed", {"X": "1"})), "default")
    registry.record_action("default", "c1", "hold")
    after = registry.get(("default", "c1"))
    forward, backward = entry_patch(before, after), entry_patch(after, before)
    assert set(forward["channel"]) == {"caller", "channelvars"} and forward["held"] is True
    assert apply_patch(before, forward) == after and apply_patch(after, backward) == before
    assert entry_patch(after, after) == {}
