"""The event stream against the simulator: live feed, drops, restarts and state reporting."""
from __future__ import annotations

import asyncio
from typing import Any

from ari_bridge import (
    AriClient,
    AriServerConfig,
    Change,
    ChannelRegistry,
    Event,
    EventStream,
    StasisStart,
)
from ari_bridge.stream import events_url

from .conftest import APP, eventually


def test_events_url() -> None:
    config = AriServerConfig(name="n", url="https://pbx.example:8089/", username="u", password="p", app="a b")
    assert events_url(config) == "wss://pbx.example:8089/ari/events?app=a%20b&subscribeAll=true"


async def test_goes_live_and_feeds_the_registry(config: AriServerConfig, client: AriClient) -> None:
    registry = ChannelRegistry()
    states: list[tuple[str, str]] = []
    seen: list[tuple[str, Event]] = []
    stream = EventStream(config, registry, on_state=lambda s, d: states.append((s, d)),
                         on_event=lambda server, event: seen.append((server, event)))
    await stream.start()
    try:
        assert await stream.wait_for("live", timeout=5) == "live"
        assert states == [("connecting", ""), ("live", "")]
        channel = await client.originate(endpoint="Local/100@default", app=APP)
        entry = await eventually(lambda: (e := registry.get(("default", channel.id))) and e.stasis_app and e)
        assert entry.state == "Up"
        assert len(registry) == 2  # both Local halves
        assert any(isinstance(event, StasisStart) and event.channel.id == channel.id for _, event in seen)
        assert {server for server, _ in seen} == {"default"}
    finally:
        await stream.stop()
    assert stream.state == "stopped"


async def _registry_matches_asterisk(client: AriClient, registry: ChannelRegistry) -> bool:
    channels = await client.list()
    return {(c.id, c.state) for c in channels} == {(e.id, e.state) for e in registry.values()}


async def test_drop_and_restart_resyncs_exactly(config: AriServerConfig, client: AriClient, sim: Any) -> None:
    registry = ChannelRegistry()
    states: list[str] = []
    stream = EventStream(config, registry, on_state=lambda s, d: states.append(s), min_backoff=0.05,
                         max_backoff=0.3)
    await stream.start()
    try:
        await stream.wait_for("live", timeout=5)
        inbound = sim.control("POST", "/_sim/calls", {"from": "PJSIP/alice", "exten": "100"})
        originated = await client.originate(endpoint="Local/100@default", app=APP)
        key = ("default", originated.id)
        await eventually(lambda: len(registry) == 3 and (e := registry.get(key)) and e.stasis_app)
        before = set(registry.keys())
        assert ("default", inbound["id"]) in before

        heard: list[list[Change]] = []
        registry.subscribe(heard.append)
        # Asterisk restarts: every channel is lost and for a second nothing answers; calls
        # come in meanwhile, while the stream is away.
        sim.control("POST", "/_sim/restart", {"down_seconds": 1.0})
        fresh = [sim.control("POST", "/_sim/calls", {"from": f"PJSIP/{who}", "exten": "100"})["id"]
                 for who in ("bob", "carol")]
        await stream.wait_for("reconnecting", "unreachable", timeout=5)
        assert heard == []  # the registry keeps the last known state while it cannot know better
        await stream.wait_for("live", timeout=10)
        assert stream.connects == 2

        after = {("default", i) for i in fresh}
        assert set(registry.keys()) == after
        resync = heard[0]
        assert {(c.kind, c.key) for c in resync} == {("remove", k) for k in before} | {("upsert", k) for k in after}
        assert all(c.entry is None for c in resync if c.kind == "remove")
        assert await eventually_async(lambda: _registry_matches_asterisk(client, registry))
        # No key announced twice, no ghost announced at all.
        announced = [c.key for changes in heard for c in changes if c.kind == "upsert"]
        assert set(announced) == after
    finally:
        await stream.stop()
    assert states[:2] == ["connecting", "live"] and states[-1] == "live"
    assert "reconnecting" in states and states.index("reconnecting") < len(states) - 1


async def eventually_async(check: Any, timeout: float = 3.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_reports_reconnecting_unreachable_then_live(config: AriServerConfig, sim: Any) -> None:
    registry = ChannelRegistry()
    states: list[tuple[str, str]] = []
    stream = EventStream(config, registry, on_state=lambda s, d: states.append((s, d)), min_backoff=0.02,
                         max_backoff=0.1, unreachable_after=3)
    await stream.start()
    try:
        await stream.wait_for("live", timeout=5)
        sim.control("POST", "/_sim/restart", {"down_seconds": 0.6})
        await stream.wait_for("unreachable", timeout=5)
        assert "503" in stream.detail
        await stream.wait_for("live", timeout=5)
    finally:
        await stream.stop()
    names = [s for s, _ in states]
    first_drop = names.index("reconnecting")
    assert names[:2] == ["connecting", "live"]
    assert names.index("unreachable") > first_drop and names[-1] == "live"
    assert all(detail for state, detail in states if state in ("reconnecting", "unreachable"))


async def test_a_dropped_socket_changes_nothing_that_did_not_change(
        config: AriServerConfig, client: AriClient, sim: Any) -> None:
    registry = ChannelRegistry()
    stream = EventStream(config, registry, min_backoff=0.02, max_backoff=0.1)
    await stream.start()
    try:
        await stream.wait_for("live", timeout=5)
        channel = await client.originate(endpoint="Local/100@default", app=APP)
        await eventually(lambda: (e := registry.get(("default", channel.id))) and e.stasis_app)
        await asyncio.sleep(0.1)  # let the call settle
        snapshot = {e.key: e for e in registry.values()}
        heard: list[list[Change]] = []
        registry.subscribe(heard.append)
        sim.control("POST", "/_sim/faults", {"drop_websockets": True})
        await eventually(lambda: stream.connects == 2, timeout=5)
        assert heard == [] and {e.key: e for e in registry.values()} == snapshot
    finally:
        await stream.stop()


async def test_wrong_password_is_reported(config: AriServerConfig) -> None:
    wrong = AriServerConfig(name="default", url=config.url, username=config.username, password="nope", app=APP)
    stream = EventStream(wrong, ChannelRegistry(), min_backoff=0.01, max_backoff=0.05)
    await stream.start()
    try:
        await stream.wait_for("unreachable", timeout=5)
        assert "user name or password" in stream.detail
    finally:
        await stream.stop()


async def test_a_takeover_of_the_application_is_reported_not_ignored():
    """Asterisk gives an app to the newest socket (ApplicationReplaced): the stream must say so."""
    import base64

    import websockets as _ws

    from ari_bridge import AriServerConfig, ChannelRegistry, EventStream
    from ari_sim.testing import running_simulator

    with running_simulator() as sim:
        config = AriServerConfig(name="default", url=sim.url, username=sim.username, password=sim.password,
                                 app="taken")
        states = []
        stream = EventStream(config, ChannelRegistry(), on_state=lambda s, d: states.append((s, d)))
        await stream.start()
        try:
            await stream.wait_for("live", timeout=5)
            token = base64.b64encode(f"{sim.username}:{sim.password}".encode()).decode()
            async with _ws.connect(sim.ws_url + "?app=taken", additional_headers={"Authorization": f"Basic {token}"}):
                await stream.wait_for("unreachable", timeout=5)
            assert "took over the Stasis application 'taken'" in stream.detail
        finally:
            await stream.stop()
