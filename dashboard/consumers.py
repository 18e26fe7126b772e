"""The live WebSocket: a snapshot on connect, then coalesced diffs; only what the user may see."""
from __future__ import annotations

import asyncio
import logging
import time

import orjson
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from django.conf import settings

from ari_bridge import preview
from ari_bridge.validation import MAX_ID_LENGTH

from . import authstate, backlog, runtime, services
from .access import Actor
from .actions import ACTIONS
from .inputs import MAX_SERVER_NAME
from .sessions import visible_sessions
from .signedsocket import SignedInSocket

log = logging.getLogger(__name__)

# Large snapshots go in parts so that the browser never parses one huge frame.
SNAPSHOT_PART = 1000
# What a page sends is small (an action and its parameters): larger messages are refused unread.
MAX_MESSAGE = 64 * 1024
MAX_UID = MAX_SERVER_NAME + 1 + MAX_ID_LENGTH  # server:channel id
MAX_REQUEST_ID = 64


def _dumps(message: dict) -> str:
    return orjson.dumps(message).decode()


class LiveConsumer(SignedInSocket, AsyncWebsocketConsumer):
    # No channel-layer inbox per browser: the process's replica hands batches to its sockets directly.
    channel_layer_alias = "no-layer-per-socket"
    actor: Actor
    rt: runtime.Runtime

    async def connect(self):
        actor = await self.sign_in()
        if actor is None:
            return
        self.actor = actor
        self.rt = await runtime.startup()
        self.watch: str | None = None
        self.blocked_sent = 0  # how many of the fanout's blocked maps this page has
        # Agents are not told they are being listened to unless the site says so.
        self.hide = not self.actor.sees_all and not settings.MONITOR_VISIBLE_TO_AGENTS
        self.pending: list = []
        self.wake = asyncio.Event()
        await self.follow_sign_in()
        await self.accept()
        # `now` lets the page tick durations against the server's clock, not a skewed PC's.
        await self.send(_dumps({"type": "hello", "servers": self.rt.replica.servers, "now": time.time()}))
        # Listening before the snapshot is taken: every batch after it is delivered, none is missed.
        self.rt.replica.listeners.add(self)
        await self._send_snapshot()
        await self._send_sessions()
        self.sender = asyncio.create_task(self._sender())
        await self.first_messages_sent()

    async def disconnect(self, code):
        authstate.sockets.discard(self)
        if hasattr(self, "rt"):
            self.rt.replica.listeners.discard(self)
        task = getattr(self, "sender", None)
        if task:
            task.cancel()

    async def websocket_receive(self, message):
        if self.credential is not None and not self.ended:
            await super().websocket_receive(message)

    # -- from the replica (same event loop) ---------------------------------------------------

    def push(self, batch) -> None:
        self.pending = backlog.add(self.pending, batch)
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
        if any(b.resync for b in batches):
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
        if self.watch and self._may_follow(self.watch):
            items = [item for b in batches for item in b.events if item["uid"] == self.watch]
            if items:
                await self.send(_dumps({"type": "events", "items": items}))

    # -- from the page ------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        # Whatever a page (or anyone holding its cookie) sends, it gets an answer and keeps its socket.
        try:
            message = self._message(text_data, bytes_data)
            if isinstance(message, str):
                await self._error(message)
                return
            kind = message.get("type")
            if kind == "watch":
                await self._watch(message.get("uid"))
            elif kind == "unwatch":
                self.watch = None
            elif kind == "action":
                await self._action(message)
            else:
                await self._error(f"unknown message type {preview(kind)}: watch, unwatch or action")
        except Exception:  # noqa: BLE001 - the safety net; the socket stays open
            log.exception("live socket: a message from the page failed")
            await self._error("internal error; it has been logged")

    @staticmethod
    def _message(text_data, bytes_data) -> dict | str:
        """The page's message as a JSON object, or why it is not one."""
        if text_data is None:
            return "messages must be JSON text, not binary"
        if len(text_data) > MAX_MESSAGE:
            return f"messages must be at most {MAX_MESSAGE // 1024} KiB"
        try:
            message = orjson.loads(text_data)
        except orjson.JSONDecodeError:
            return "messages must be JSON"
        if not isinstance(message, dict):
            return f"messages must be JSON objects, not {preview(message)}"
        return message

    async def _error(self, text: str) -> None:
        await self.send(_dumps({"type": "error", "message": text}))

    def _may_follow(self, uid: str) -> bool:
        """Whether this page may have the events of channel `uid` now: a page that does not see every
        channel, only while that channel is among those it was sent (a watch may name a channel not seen
        yet, whoever's it turns out to be)."""
        server, _, channel_id = uid.partition(":")
        return self.actor.sees_all or (server, channel_id) in self.sent

    async def _watch(self, uid) -> None:
        if not isinstance(uid, str) or len(uid) > MAX_UID:
            await self._error(f"watch: uid must be a channel uid (server:id), not {preview(uid)}")
            return
        server, _, channel_id = uid.partition(":")
        entry = self.rt.replica.last_known((server, channel_id))
        own = None if self.actor.sees_all else self.rt.replica.own_keys(self.actor.endpoint)
        self.watch = uid if entry is None or self.actor.can_see(entry, own) else None
        history = self.rt.replica.timeline.get(uid) if self.watch and entry is not None else None
        if history:
            await self.send(_dumps({"type": "events", "items": list(history)}))

    async def _action(self, message: dict) -> None:
        request_id, name, uid = message.get("id"), message.get("action"), message.get("uid") or ""
        if not (request_id is None or isinstance(request_id, str) and len(request_id) <= MAX_REQUEST_ID
                or isinstance(request_id, int) and not isinstance(request_id, bool) and abs(request_id) < 2**53):
            await self._error(f"action: id must be a short text or a number, not {preview(request_id)}")
            return
        reply = {"type": "result", "id": request_id}
        try:
            if not isinstance(name, str):
                raise services.ActionError(400, f"action must be an action's name, not {preview(name)}", "invalid",
                                           "action")
            if not isinstance(uid, str):
                error = services.ActionError(400, f"uid must be a channel uid (server:id), not {preview(uid)}",
                                             "invalid", "uid")
                if name in ACTIONS:
                    await database_sync_to_async(services.refused)(self.actor, name, error, source="ws")
                raise error
            server, _, channel_id = uid.partition(":")
            result = await services.aperform(self.actor, name, server=server or None, channel_id=channel_id or None,
                                             params=message.get("params", services.NO_PARAMS), source="ws")
            reply.update(ok=True, status=200 if result is not None else 204, result=result)
        except services.ActionError as err:
            reply.update(ok=False, status=err.status, **err.as_dict())
        await self.send(_dumps(reply))
