"""LoopThread: sync callers (Django views) and callers on other loops share one loop and pool."""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from ari_bridge import AriClient, AriServerConfig, ChannelNotFound, ChannelRegistry, ChannelService, LoopThread


def _connections_to(port: int) -> set[int]:
    """Local ports of the ESTABLISHED TCP connections whose far end is ``port`` (Linux /proc)."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.fixture
def loop_thread() -> Any:
    thread = LoopThread(name="test-ari-loop")
    yield thread
    thread.stop()


def test_sync_callers_share_one_connection(loop_thread: LoopThread, config: AriServerConfig, sim: Any) -> None:
    async def make() -> AriClient:
        return AriClient(config)

    client = loop_thread.run(make(), timeout=5)
    service = ChannelService({"default": client}, ChannelRegistry())
    try:
        others = _connections_to(sim.port)  # e.g. the control API's own client
        loop_thread.run(client.ping(), timeout=5)
        baseline = _connections_to(sim.port)
        assert len(baseline - others) == 1  # the client's pool keeps its connection open
        seen = set(baseline)
        for _ in range(20):
            assert loop_thread.run(client.ping(), timeout=5).ping == "pong"
            seen |= _connections_to(sim.port)
        with pytest.raises(ChannelNotFound):
            loop_thread.run(service.hold("default", "nobody"), timeout=5)
        seen |= _connections_to(sim.port)
        assert seen == baseline  # the same keep-alive connection every time
    finally:
        loop_thread.run(client.aclose(), timeout=5)


def test_run_returns_raises_and_times_out(loop_thread: LoopThread) -> None:
    async def answer() -> int:
        return 42

    async def fail() -> None:
        raise ValueError("boom")

    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    assert loop_thread.run(answer()) == 42
    with pytest.raises(ValueError, match="boom"):
        loop_thread.run(fail())
    with pytest.raises(TimeoutError):
        loop_thread.run(slow(), timeout=0.05)
    assert cancelled.wait(2)


def test_run_from_its_own_loop_refuses_to_deadlock(loop_thread: LoopThread) -> None:
    async def inner() -> int:
        return 1

    async def outer() -> str:
        try:
            loop_thread.run(inner())
        except RuntimeError as exc:
            return str(exc)
        return "no error"

    assert "deadlock" in loop_thread.run(outer(), timeout=5)


async def test_call_from_another_loop(loop_thread: LoopThread) -> None:
    async def where() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    assert await loop_thread.call(where()) is loop_thread.loop
    assert asyncio.get_running_loop() is not loop_thread.loop


def test_stop_is_clean_and_idempotent() -> None:
    thread = LoopThread()
    started = threading.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    thread.submit(forever())
    assert started.wait(2)
    thread.stop(timeout=2)
    assert not thread.running
    thread.stop()
