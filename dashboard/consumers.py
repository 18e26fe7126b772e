"""The live WebSocket: a snapshot on connect, then coalesced diffs; only what the user may see."""
from __future__ import annotations

import asyncio
import logging
import time

import orjson
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from django.conf import settings

from . import runtime, services
from .access import Actor
from .sessions import visible_sessions

log = logging.getLogger(__name__)

# A page that falls this many batches behind gets a fresh snapshot instead of the backlog.
MAX_BACKLOG = 50
# Large snapshots go in parts so that the browser never parses one huge frame.
SNAPSHOT_PART = 1000


def _dumps(message: dict) -> str:
    return orjson.dumps(message).decode()


class LiveConsumer(AsyncWebsocketConsumer):
    # No channel-layer inbox per browser: the process's replica hands batches to its sockets directly.
    channel_layer_alias = "no-layer-per-socket"
    actor: Actor
    rt: runtime.Runtime

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.actor = Actor(user)
        await database_sync_to_async(self._load_actor)()
        self.rt = await runtime.startup()
        self.watch: str | None = None
        self.blocked_sent = 0  # how many of the fanout's blocked maps this page has
        # Agents are not told they are being listened to unless the site says so.
        self.hide = not self.actor.sees_all and not settings.MONITOR_VISIBLE_TO_AGENTS
        self.pending: list = []
        self.wake = asyncio.Event()
        await self.accept()
        # `now` lets the page tick durations against the server's clock, not a skewed PC's.
        await self.send(_dumps({"type": "hello", "servers": self.rt.replica.servers, "now": time.time()}))
        # Listening before the snapshot is taken: every batch after it is delivered, none is missed.
        self.rt.replica.listeners.add(self)
        await self._send_snapshot()
        await self._send_sessions()
        self.sender = asyncio.create_task(self._sender())

    def _load_actor(self) -> None:
        # Read role, permissions and endpoint once, off the event loop.
        _ = self.actor.perms, self.actor.roles, self.actor.endpoint

    async def disconnect(self, code):
        if hasattr(self, "rt"):
            self.rt.replica.listeners.discard(self)
        task = getattr(self, "sender", None)
        if task:
            task.cancel()

    # -- from the replica (same event loop) ---------------------------------------------------

    def push(self, batch) -> None:
        self.pending.append(batch)
        self.wake.set()

    async def _send_channels(self, message: str) -> None:
        """Send a message that carries channels, after any `blocked` map the page does not have yet."""
        maps = self.rt.fanout.blocked_maps.maps
        if len(maps) > self.blocked_sent:
            await self.send(_dumps({"type": "blocked", "from": self.blocked_sent, "maps": maps[self.blocked_sent:]}))
            self.blocked_sent = len(maps)
        await self.send(message)

    async def _send_snapshot(self) -> None:
        # Built whole before the first await, so that it is the state the batches that follow start from.
        view = self.rt.fanout.view(self.hide)
        if self.actor.sees_all:
            keys = list(view.current)
        else:
            self.sent = {key for key in self.rt.replica.own_keys(self.actor.endpoint) if key in view.current}
            keys = list(self.sent)
        parts = [keys[i:i + SNAPSHOT_PART] for i in range(0, len(keys), SNAPSHOT_PART)] or [[]]
        messages = ['{"type":"snapshot","channels":[' + ",".join(view.whole(key) for key in part)
                    + f'],"part":{n},"last":{"true" if n == len(parts) - 1 else "false"}}}'
                    for n, part in enumerate(parts)]
        for message in messages:
            await self._send_channels(message)

    async def _send_sessions(self) -> None:
        await self.send(_dumps({"type": "sessions",
                                "sessions": visible_sessions(self.actor, self.rt.replica.sessions.values())}))

    async def _sender(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            batches, self.pending = self.pending, []
            try:
                await self._deliver(batches)
            except Exception:  # noqa: BLE001 - a closed socket ends here; the disconnect cleans up
                log.debug("live socket send failed", exc_info=True)
                return

    async def _deliver(self, batches) -> None:
        servers = next((b.servers for b in reversed(batches) if b.servers is not None), None)
        if servers is not None:
            await self.send(_dumps({"type": "connection", "servers": servers}))
        if len(batches) > MAX_BACKLOG or any(b.resync for b in batches):
            await self._send_snapshot()
            await self._send_sessions()
        else:
            view = self.rt.fanout.views[self.hide]
            if self.actor.sees_all:
                for message in view.diffs_for_all(batches):
                    await self._send_channels(message)
            else:
                message = view.diff_for_own(batches, self.sent, self.rt.replica.own_keys(self.actor.endpoint))
                if message is not None:
                    await self._send_channels(message)
        changed = [s for b in batches for s in b.sessions]
        ended = [i for b in batches for i in b.ended_sessions]
        if changed or ended:
            mine = visible_sessions(self.actor, changed)
            if mine or ended:
                await self.send(_dumps({"type": "sessions", "upsert": mine, "remove": ended}))
        if self.watch:
            items = [item for b in batches for item in b.events if item["uid"] == self.watch]
            if items:
                await self.send(_dumps({"type": "events", "items": items}))

    # -- from the page ------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = orjson.loads(text_data or "{}")
        except orjson.JSONDecodeError:
            await self.send(_dumps({"type": "error", "message": "messages must be JSON"}))
            return
        kind = message.get("type")
        if kind == "watch":
            uid = str(message.get("uid", ""))
            server, _, channel_id = uid.partition(":")
            entry = self.rt.replica.last_known((server, channel_id))
            own = None if self.actor.sees_all else self.rt.replica.own_keys(self.actor.endpoint)
            self.watch = uid if entry is None or self.actor.can_see(entry, own) else None
            history = self.rt.replica.timeline.get(uid) if self.watch and entry is not None else None
            if history:
                await self.send(_dumps({"type": "events", "items": list(history)}))
        elif kind == "unwatch":
            self.watch = None
        elif kind == "action":
            await self._action(message)
        else:
            await self.send(_dumps({"type": "error", "message": f"unknown message type {kind!r}"}))

    async def _action(self, message: dict) -> None:
        uid = str(message.get("uid") or "")
        server, _, channel_id = uid.partition(":")
        reply = {"type": "result", "id": message.get("id")}
        try:
            result = await database_sync_to_async(services.perform)(
                self.actor, str(message.get("action", "")), server=server or None, channel_id=channel_id or None,
                params=message.get("params") or {}, source="ws")
            reply.update(ok=True, status=200 if result is not None else 204, result=result)
        except services.ActionError as err:
            reply.update(ok=False, status=err.status, **err.as_dict())
        await self.send(_dumps(reply))
