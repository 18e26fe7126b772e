"""Each web process's copy of the wallboard (tiles by id, the history, the servers' states).

One group subscription per process; consumers register as listeners and get each change as a
``Batch``. A lost diff (a gap in ``seq``) or a (re)started feed brings a fresh snapshot.
Request threads (the REST API) read ``tiles``/``history``: both are replaced on change, never
changed in place.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field

from ..live import broadcast as live_broadcast
from . import broadcast
from .history import BUCKET_SECONDS, BUCKETS

log = logging.getLogger(__name__)

LIVE_REPLICA_PREFIX = "switchboard.replica."  # dashboard/live/replica.py's


@dataclass
class Batch:
    upsert: list[dict] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    point: list[float] | None = None
    servers: dict | None = None
    resync: bool = False  # everything was replaced: send the page a full board


class WallboardReplica:
    def __init__(self, layer) -> None:
        self.layer = layer
        self.tiles: dict[str, dict] = {}
        self.history: list[list[float]] = []
        self.bucket_seconds = BUCKET_SECONDS
        self.servers: dict[str, dict] = {}
        self.listeners: set = set()
        self.ready = asyncio.Event()
        self._seq = 0
        self._request_id: str | None = None  # the snapshot asked for and not received yet
        self._buffer: list[dict] = []  # diffs that arrive before it
        self._channel: str | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        # The live replica's prefix, on purpose: channels_redis reads a process's channels of one prefix
        # from one Redis list, one receiver at a time; under a prefix of its own this replica would wait
        # for the live replica's reads to time out (seconds) before it got a diff.
        self._channel = await self.layer.new_channel(LIVE_REPLICA_PREFIX)
        await self.layer.group_add(broadcast.GROUP, self._channel)
        self._task = asyncio.create_task(live_broadcast.listen(
            self.layer, self._channel, self._handle, what="wallboard replica", repair=self._request_snapshot),
            name="wallboard-replica")
        await self._request_snapshot()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._channel:
            await self.layer.group_discard(broadcast.GROUP, self._channel)

    async def wait_ready(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def _request_snapshot(self) -> None:
        self._request_id = uuid.uuid4().hex
        self._buffer = []
        await broadcast.request_snapshot(self.layer, reply_to=self._channel, request_id=self._request_id)

    async def _handle(self, message: dict) -> None:
        kind = message.get("type")
        if kind == broadcast.DIFF:
            if self._request_id is not None:
                self._buffer.append(message)
            elif message["seq"] != self._seq + 1:
                log.warning("wallboard diff %s after %s: a message was lost; resyncing", message["seq"], self._seq)
                await self._request_snapshot()
            else:
                self._apply(message)
        elif kind == broadcast.SNAPSHOT:
            if message["request_id"] != self._request_id:
                return  # the answer to an older request
            self._request_id = None
            self.tiles = {tile["id"]: tile for tile in message["tiles"]}
            self.history = message["history"]
            self.bucket_seconds = message["bucket_seconds"]
            self.servers = message["servers"]
            self._seq = message["seq"]
            buffered, self._buffer = self._buffer, []
            self.ready.set()
            self._notify(Batch(servers=self.servers, resync=True))
            for diff in buffered:
                if diff["seq"] > self._seq:
                    await self._handle(diff)
        elif kind == broadcast.HELLO:
            await self._request_snapshot()

    def _apply(self, message: dict) -> None:
        self._seq = message["seq"]
        batch = Batch(upsert=message["upsert"], remove=message["remove"], point=message.get("point"),
                      servers=message.get("servers"))
        if batch.upsert or batch.remove:
            tiles = dict(self.tiles)
            for tile in batch.upsert:
                tiles[tile["id"]] = tile
            for tile_id in batch.remove:
                tiles.pop(tile_id, None)
            self.tiles = tiles
        if batch.point is not None:
            self.history = ([p for p in self.history if p[0] != batch.point[0]] + [batch.point])[-BUCKETS:]
        if batch.servers is not None:
            self.servers = batch.servers
        self._notify(batch)

    def _notify(self, batch: Batch) -> None:
        for listener in list(self.listeners):
            listener.push(batch)
