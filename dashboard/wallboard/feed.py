"""The wallboard's source, beside the live runner (dashboard/live/runner.py) that holds the ARI streams.

The runner hands it each stream's state and each event; it follows the channel registry itself. After
every (re)connect it reads ``GET /endpoints`` (endpoint events arriving meanwhile are held, then applied
on top). Changed tiles are coalesced and published every ``flush_s``; the calls-in-progress history is
kept here, in memory, and published with them.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ari_bridge import AriClient, AriError, ChannelRegistry

from ..live import broadcast as live_broadcast
from . import broadcast
from .board import ENDPOINT_EVENTS, EndpointBoard
from .history import CallHistory

log = logging.getLogger(__name__)

# GET /endpoints after a reconnect is tried again this often while it fails (the stream itself is live).
ENDPOINTS_RETRY_S = (0.5, 1, 2, 5, 10, 30)


class WallboardFeed:
    def __init__(self, registry: ChannelRegistry, clients: dict[str, AriClient], layer, *,
                 servers: Callable[[], dict], flush_s: float = 0.1, clock: Callable[[], float] = time.time,
                 history: CallHistory | None = None) -> None:
        self.layer = layer
        self.clients = clients
        self.flush_s = flush_s
        self._servers = servers
        self._clock = clock
        self.board = EndpointBoard(clock=clock)
        self.history = history or CallHistory()
        self.seq = 0
        self._loading: dict[str, list] = {}  # server -> endpoint events held while GET /endpoints runs
        self._loaders: dict[str, asyncio.Task] = {}
        self._servers_changed = False
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        registry.subscribe(self._on_channels)

    # -- inputs (from the runner, on its loop) -------------------------------------------------

    def on_state(self, server: str, state: str) -> None:
        self._servers_changed = True
        self._wake.set()
        if state == "live":
            previous = self._loaders.get(server)
            if previous is not None:
                previous.cancel()
            self._loading[server] = []
            self._loaders[server] = asyncio.get_running_loop().create_task(
                self._load_endpoints(server), name=f"wallboard-endpoints-{server}")

    def on_event(self, server: str, event) -> None:
        if not isinstance(event, ENDPOINT_EVENTS):
            return
        held = self._loading.get(server)
        if held is not None:
            held.append(event)
            return
        self.board.apply(server, event)
        self._wake.set()

    def _on_channels(self, changes) -> None:
        self.board.channels_changed(changes)
        self._wake.set()

    async def _load_endpoints(self, server: str) -> None:
        for attempt, pause in enumerate((0, *ENDPOINTS_RETRY_S)):
            await asyncio.sleep(pause)
            try:
                endpoints = await self.clients[server].list_endpoints()
                break
            except AriError as exc:
                log.warning("GET /endpoints on %s failed (try %d): %s", server, attempt + 1, exc)
        else:
            endpoints = None
        held = self._loading.pop(server, [])
        if endpoints is not None:
            self.board.set_endpoints(server, endpoints)
        for event in held:
            self.board.apply(server, event)
        self._wake.set()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await broadcast.announce(self.layer, seq=self.seq)
        self._tasks = [asyncio.create_task(self._flush_loop(), name="wallboard-flush"),
                       asyncio.create_task(self._tick_loop(), name="wallboard-history"),
                       asyncio.create_task(live_broadcast.listen(self.layer, broadcast.RUNNER_CHANNEL, self._answer,
                                                                 what="wallboard feed"), name="wallboard-requests")]

    async def stop(self) -> None:
        tasks = self._tasks + list(self._loaders.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks = []

    # -- outputs ------------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.flush_s)  # coalesce: what changes in this window goes out as one diff
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - a failed publish must not stop the wallboard
                log.exception("publishing a wallboard diff failed")

    async def _tick_loop(self) -> None:
        """Open each new history bucket even when nothing changes."""
        step = self.history.bucket_seconds
        while True:
            await asyncio.sleep(step - self._clock() % step + 0.01)
            self._wake.set()

    async def flush(self) -> None:
        changed, removed = self.board.flush()
        point = self.history.record(self._clock(), self.board.calls_now())
        servers = self._servers() if self._servers_changed else None
        self._servers_changed = False
        if not (changed or removed or point or servers):
            return
        self.seq += 1
        await broadcast.publish_diff(self.layer, seq=self.seq, upsert=[t.to_dict() for t in changed],
                                     remove=[f"{s}:{e}" for s, e in removed], point=point, servers=servers)

    async def _answer(self, message: dict) -> None:
        if message.get("type") != broadcast.SNAPSHOT_REQUEST:
            return
        await self.flush()  # so that the snapshot's seq covers everything in it
        await broadcast.send_snapshot(
            self.layer, message["reply_to"], request_id=message["request_id"], seq=self.seq,
            tiles=[t.to_dict() for t in self.board.tiles()], history=self.history.points(),
            bucket_seconds=self.history.bucket_seconds, servers=self._servers())
