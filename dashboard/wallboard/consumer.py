"""The wallboard's WebSocket (/ws/wallboard/): the whole board on connect, then the tiles that changed.

Server -> page: ``hello`` (servers' states, the server's clock), ``board`` (every tile, the history,
the history's bucket length), ``tiles`` (``upsert``, ``remove``, ``points``: coalesced changes),
``connection`` (servers' states). The page sends nothing. Login and the view_wallboard permission are
checked on connect; a refusal closes with 4403 and is audited.
"""
from __future__ import annotations

import asyncio
import logging
import time

import orjson
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from .. import authstate, backlog, runtime
from ..signedsocket import SignedInSocket
from ..access import Actor
from . import people as people_mod
from .access import may_view, refusal
from .tiles import board, present_many

log = logging.getLogger(__name__)

READY_TIMEOUT = 5.0
# How often a page's people (names, groups) are read again: a profile edited shows without a reload.
PEOPLE_REFRESH_S = people_mod.TTL


def _dumps(message: dict) -> str:
    return orjson.dumps(message).decode()


def _admit(actor: Actor) -> bool:
    if may_view(actor):
        return True
    refusal(actor, "ws")
    return False


class WallboardConsumer(SignedInSocket, AsyncWebsocketConsumer):
    # No channel-layer inbox per browser: the process's wallboard replica hands changes to its sockets.
    channel_layer_alias = "no-layer-per-socket"

    async def connect(self):
        actor = await self.sign_in()
        if actor is None:
            return
        if not await database_sync_to_async(_admit)(actor):
            await authstate.refuse(self, authstate.FORBIDDEN)
            return
        rt = await runtime.startup()
        self.replica = rt.wallboard
        self.pending: list = []
        self.wake = asyncio.Event()
        await self.follow_sign_in()
        await self.accept()
        await self.replica.wait_ready(READY_TIMEOUT)
        self.people = await database_sync_to_async(people_mod.people)()
        await self.send(_dumps({"type": "hello", "servers": self.replica.servers, "now": time.time()}))
        # Listen before the board is read: a change that lands while it is sent follows it.
        self.replica.listeners.add(self)
        await self._send_board()
        self.sender = asyncio.create_task(self._sender())
        await self.first_messages_sent()

    async def disconnect(self, code):
        authstate.sockets.discard(self)
        replica = getattr(self, "replica", None)
        if replica is not None:
            replica.listeners.discard(self)
        task = getattr(self, "sender", None)
        if task:
            task.cancel()

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(_dumps({"type": "error", "message": "the wallboard socket takes no messages"}))

    # -- from the replica (same event loop) ---------------------------------------------------

    def push(self, batch) -> None:
        self.pending = backlog.add(self.pending, batch)
        self.wake.set()

    async def _send_board(self) -> None:
        await self.send(_dumps({"type": "board", "tiles": board(self.replica.tiles.values(), self.people),
                                "history": self.replica.history, "bucket_seconds": self.replica.bucket_seconds}))

    async def _sender(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.wake.wait(), PEOPLE_REFRESH_S)
            except TimeoutError:
                pass
            self.wake.clear()
            batches, self.pending = self.pending, []
            try:
                await self._deliver(batches)
            except Exception:  # noqa: BLE001 - a closed socket ends here; the disconnect cleans up
                log.debug("wallboard socket send failed", exc_info=True)
                return

    async def _deliver(self, batches) -> None:
        people = await database_sync_to_async(people_mod.people)()
        servers = next((b.servers for b in reversed(batches) if b.servers is not None), None)
        if servers is not None:
            await self.send(_dumps({"type": "connection", "servers": servers}))
        if people != self.people or any(b.resync for b in batches):
            self.people = people
            await self._send_board()
            return
        upserts: dict[str, dict] = {}
        removed: set[str] = set()
        points: dict[float, list[float]] = {}  # bucket start -> its latest count
        for batch in batches:
            for tile in batch.upsert:
                upserts[tile["id"]] = tile
                removed.discard(tile["id"])
            for tile_id in batch.remove:
                upserts.pop(tile_id, None)
                removed.add(tile_id)
            if batch.point is not None:
                points[batch.point[0]] = batch.point
        if upserts or removed or points:
            await self.send(_dumps({"type": "tiles", "upsert": present_many(upserts.values(), people),
                                    "remove": sorted(removed), "points": list(points.values())}))
