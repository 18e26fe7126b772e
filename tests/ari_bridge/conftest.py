"""Fixtures for ari_bridge: a client, a registry and a live event stream on the simulator."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

import orjson
import pytest

from ari_bridge import AriClient, AriServerConfig, ChannelRegistry, EventStream, LiveChannel

# The app the simulator's dialplan names (Stasis(dashboard,...) at extensions 200 and 201),
# as on the PBX the captures were recorded on.
APP = "dashboard"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def recorded_events(ws: str | None = "dashboard") -> list[dict[str, Any]]:
    """The real Asterisk event stream (tests/fixtures/ari_events.jsonl), as one socket saw it."""
    rows = [orjson.loads(line) for line in (FIXTURES / "ari_events.jsonl").read_bytes().splitlines()]
    return [row for row in rows if ws is None or row["ws"] == ws]


def sim_requests(sim: Any) -> list[dict[str, Any]]:
    """The simulator's log of /ari requests (raw path and query)."""
    return sim.control("GET", "/_sim/requests")  # type: ignore[no-any-return]


async def eventually(check: Callable[[], Any], timeout: float = 3.0, interval: float = 0.01) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {check}")
        await asyncio.sleep(interval)


@pytest.fixture(scope="package")
def simulator() -> Any:
    """A simulator of this package's own: other packages' tests may leave clients running
    against the shared one (e.g. a dashboard runtime's event stream reconnecting), and these
    tests read the request log to prove that nothing was sent."""
    from ari_sim.testing import running_simulator

    with running_simulator() as instance:
        yield instance


@pytest.fixture
def config(sim: Any) -> AriServerConfig:
    return AriServerConfig(name="default", url=sim.url, username=sim.username, password=sim.password, app=APP)


@pytest.fixture
async def client(config: AriServerConfig) -> Any:
    async with AriClient(config, timeout=5.0) as c:
        yield c


@pytest.fixture
def registry() -> ChannelRegistry:
    return ChannelRegistry()


@pytest.fixture
async def stream(config: AriServerConfig, registry: ChannelRegistry) -> Any:
    """A live event stream into ``registry`` (the app is registered: originate into it works)."""
    s = EventStream(config, registry, min_backoff=0.05, max_backoff=0.5)
    await s.start()
    await s.wait_for("live", timeout=5)
    yield s
    await s.stop()


StasisFactory = Callable[..., Awaitable[LiveChannel]]


@pytest.fixture
def in_stasis(client: AriClient, registry: ChannelRegistry, stream: EventStream) -> StasisFactory:
    """Originate a channel into the app and wait until the registry has it there (answered)."""

    async def make(endpoint: str = "Local/100@default", **params: Any) -> LiveChannel:
        channel = await client.originate(endpoint=endpoint, app=APP, **params)
        key = ("default", channel.id)
        return await eventually(  # type: ignore[no-any-return]
            lambda: (e := registry.get(key)) is not None and e.stasis_app == APP and e.state == "Up" and e,
            timeout=5,
        )

    return make
