"""Load for the dashboard's benchmarks (bench/): caller-id changes at a steady rate, each one
carrying the moment it was emitted, so that a client can tell how late it saw it.

    POST   /_sim/bench/events {"rate": 1000, "seconds": 5, "channels": 500, "prefix": "run1"}
    GET    /_sim/bench/events     -> progress
    DELETE /_sim/bench/events     -> stop early

Every event sets CALLERID(name) of the next live channel (round robin over the `channels`
oldest, all of them by default) to ``<prefix>:<seq>:<epoch microseconds>``, which raises the
usual ChannelCallerId event. Events are emitted in ticks of TICK seconds, as many as are due,
so the rate holds even when one tick runs late; `late_ms` says by how much the worst tick did.
"""
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from aiohttp import web

from .control import _body, _guard, _seconds
from .responses import error, no_content, ok

if TYPE_CHECKING:  # pragma: no cover
    from .server import Simulator

TICK = 0.005


class EventLoad:
    def __init__(self, sim: "Simulator"):
        self.sim = sim
        self.task: asyncio.Task | None = None
        self.status: dict = {"running": False, "sent": 0, "planned": 0}

    def start(self, rate: float, seconds: float, channels: int | None, prefix: str) -> dict:
        self.stop()
        live = [c for c in self.sim.pbx.channels.values() if c.alive]
        if channels:
            live = live[:channels]
        if not live:
            raise ValueError("no live channel to change")
        planned = int(rate * seconds)
        self.status = {"running": True, "prefix": prefix, "rate": rate, "seconds": seconds, "channels": len(live),
                       "planned": planned, "sent": 0, "late_ms": 0.0, "last": {}}
        self.task = asyncio.get_running_loop().create_task(self._run(live, rate, planned, prefix))
        return self.status

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self.status["running"] = False

    async def _run(self, channels: list, rate: float, planned: int, prefix: str) -> None:
        pbx = self.sim.pbx
        status = self.status
        last = status["last"]
        count = len(channels)
        start = time.monotonic()
        sent = 0
        try:
            while sent < planned:
                now = time.monotonic()
                due = min(planned, int((now - start) * rate) + 1)
                late = (now - start - (due - 1) / rate) * 1000
                if late > status["late_ms"] and sent:
                    status["late_ms"] = round(late, 1)
                while sent < due:
                    channel = channels[sent % count]
                    if channel.alive:
                        token = f"{prefix}:{sent}:{time.time_ns() // 1000}"
                        pbx.set_caller(channel, name=token)
                        last[channel.id] = token
                    sent += 1
                status["sent"] = sent
                await asyncio.sleep(TICK)
        finally:
            status["running"] = False
            status["elapsed"] = round(time.monotonic() - start, 3)


class BenchApi:
    """The one /_sim/bench/{what} route (same credentials as the rest of /_sim)."""

    def __init__(self, sim: "Simulator"):
        self.sim = sim
        self.events = EventLoad(sim)

    @_guard
    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["what"] != "events":
            return error(404, "Resource not found")
        if request.method == "GET":
            return ok(self.events.status)
        if request.method == "DELETE":
            self.events.stop()
            return no_content()
        if request.method != "POST":
            return error(405, "Invalid method")
        data = await _body(request)
        rate = _seconds(data, "rate")
        seconds = _seconds(data, "seconds")
        if not rate or seconds is None:
            raise ValueError("rate (> 0) and seconds are required")
        channels = data.get("channels")
        if channels is not None and (isinstance(channels, bool) or not isinstance(channels, int) or channels < 1):
            raise ValueError("channels must be an integer >= 1")
        prefix = data.get("prefix", "bench")
        if not isinstance(prefix, str) or not prefix or ":" in prefix:
            raise ValueError("prefix must be a non-empty string without ':'")
        status = self.events.start(rate, seconds, channels, prefix)
        return ok({k: v for k, v in status.items() if k != "last"})
