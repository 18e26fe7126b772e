"""The runner keeps one ARI event stream per Asterisk and feeds every dashboard process.

It owns the source registry. Changes are coalesced and published every LIVE_FLUSH_MS to the
live group; replicas ask it for a snapshot when they start or notice a gap. Embedded in the
web process by default (in-memory channel layer); `manage.py ari_listen` runs it on its own
beside several web workers that share it through Redis.
"""
from __future__ import annotations

import asyncio
import logging
import uuid

from ari_bridge import AriClient, ChannelRegistry, EventStream, LiveChannel
from ari_bridge.stream import LIVE, UNREACHABLE

from ..wallboard.feed import WallboardFeed
from ..workflows.engine import CommandError, Workflows
from . import broadcast
from .reconcile import Reconciler
from .rtp import RtpSampler
from .timeline import describe
from .wire import entry_patch

log = logging.getLogger(__name__)

# How long a starting runner waits for the first resync of its event streams before it answers anyway.
FIRST_SYNC_S = 5.0


class Runner:
    def __init__(self, servers, layer, *, flush_ms: int = 100, reconcile_s: float = 30):
        self.layer = layer
        # Replicas follow one runner at a time: after a takeover, a late diff of the old one is ignored.
        self.id = uuid.uuid4().hex[:12]
        self.flush_s = flush_ms / 1000
        self.registry = ChannelRegistry()
        self.servers = {s.name: {"state": "connecting", "detail": ""} for s in servers}
        self.clients = {s.name: AriClient(s) for s in servers}
        self.streams = [
            EventStream(s, self.registry, on_state=self._state_callback(s.name), on_event=self._on_event,
                        client=self.clients[s.name])
            for s in servers
        ]
        self.workflows = Workflows(self.clients, {s.name: s for s in servers}, self.registry, self._on_session)
        self._sessions: dict[str, dict | None] = {}
        self.registry.subscribe(self._on_changes)
        # The wallboard's endpoints, from the same streams (dashboard/wallboard/feed.py).
        self.wallboard = WallboardFeed(self.registry, self.clients, layer, servers=lambda: dict(self.servers),
                                       flush_s=self.flush_s)
        self.seq = 0
        self._pending: dict[tuple[str, str], object] = {}
        # What the replicas have of each channel as of the last diff: changes are sent against it.
        self._published: dict[tuple[str, str], LiveChannel] = {}
        self._events: list[dict] = []
        self._servers_changed = True
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.reconciler = Reconciler(self.registry, self.clients, self.streams, interval=reconcile_s)

    # -- inputs -------------------------------------------------------------------------------

    def _state_callback(self, server: str):
        def on_state(state: str, detail: str = "") -> None:
            self.servers[server] = {"state": state, "detail": detail or ""}
            self._servers_changed = True
            self._wake.set()
            self.wallboard.on_state(server, state)
        return on_state

    def _on_changes(self, changes) -> None:
        for change in changes:
            self._pending[change.key] = change.entry  # None means removed
        self._wake.set()

    def _on_event(self, server: str, event) -> None:
        # Each consumer on its own: one that fails on an event must not keep it from the others.
        for consume in (self._timeline, self.workflows.on_event, self.wallboard.on_event):
            try:
                consume(server, event)
            except Exception:  # noqa: BLE001 - logged with the event's type; the stream goes on
                log.exception("%s failed on %s from %s", getattr(consume, "__qualname__", consume),
                              type(event).__name__, server)

    def _timeline(self, server: str, event) -> None:
        item = describe(server, event)
        if item is not None:
            self._events.append(item)
            # Also an event that changes no channel (RecordingFailed, ApplicationMoveFailed) goes out.
            self._wake.set()

    def _on_session(self, session: dict | None, session_id: str) -> None:
        self._sessions[session_id] = session  # None: the session is over and gone
        self._wake.set()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self.wallboard.start()
        for stream in self.streams:
            await stream.start()
        # Replicas are answered once the state is Asterisk's: a snapshot taken before the first resync
        # would be empty, and after a takeover every page would go blank for a moment.
        await asyncio.gather(*(stream.wait_for(LIVE, UNREACHABLE, timeout=FIRST_SYNC_S) for stream in self.streams),
                             return_exceptions=True)
        self.rtp = RtpSampler(self.registry, self.clients, self.streams)  # stuck rule "rtp_silent"
        requests = broadcast.listen(self.layer, broadcast.RUNNER_CHANNEL, self._handle, what="runner")
        self._tasks = [asyncio.create_task(self._flush_loop(), name="live-flush"),
                       asyncio.create_task(requests, name="live-requests"),
                       asyncio.create_task(self.rtp.run(), name="live-rtp"),
                       asyncio.create_task(self.reconciler.run(), name="live-reconcile")]
        await broadcast.announce_runner(self.layer, runner=self.id, seq=self.seq)

    async def stop(self) -> None:
        await self.workflows.stop()
        await self.wallboard.stop()
        for stream in self.streams:
            await stream.stop()
        for client in self.clients.values():
            await client.aclose()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    # -- outputs ------------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while True:
            await self._wake.wait()
            # Coalesce: whatever changes in this window goes out as one diff.
            await asyncio.sleep(self.flush_s)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - a failed publish must not stop the live feed
                log.exception("publishing a live diff failed")

    async def flush(self) -> None:
        if not (self._pending or self._events or self._servers_changed or self._sessions):
            return
        pending, self._pending = self._pending, {}
        events, self._events = self._events, []
        sessions, self._sessions = self._sessions, {}
        servers = dict(self.servers) if self._servers_changed else None
        self._servers_changed = False
        published = self._published
        upsert, patch, remove = [], [], []
        for key, entry in pending.items():
            old = published.get(key)
            if entry is None:
                if old is not None:
                    del published[key]
                    remove.append(list(key))
            elif old is None:
                published[key] = entry
                upsert.append(entry.to_dict())
            else:
                published[key] = entry
                changes = entry_patch(old, entry)
                if changes:
                    patch.append([key[0], key[1], changes])
        self.seq += 1
        session_changes = {"upsert": [s for s in sessions.values() if s is not None],
                           "remove": [i for i, s in sessions.items() if s is None]} if sessions else None
        await broadcast.publish_diff(self.layer, runner=self.id, seq=self.seq, upsert=upsert, patch=patch,
                                     remove=remove, events=events, servers=servers, sessions=session_changes)

    async def _handle(self, message: dict) -> None:
        kind = message.get("type")
        if kind == broadcast.SNAPSHOT_REQUEST:
            # Publish what is pending first so the snapshot's seq covers everything in it.
            await self.flush()
            # What the diffs so far left (events may have come in meanwhile: they go in the next diff).
            entries = [entry.to_dict() for entry in self._published.values()]
            await broadcast.send_snapshot(self.layer, message["reply_to"], request_id=message["request_id"],
                                          runner=self.id, seq=self.seq, entries=entries, servers=dict(self.servers),
                                          sessions=self.workflows.sessions())
        elif kind == broadcast.FLAG:
            self.registry.record_action(message["server"], message["channel_id"], message["action"],
                                        **message.get("params", {}))
        elif kind == broadcast.COMMAND:
            try:
                result = await self.workflows.command(message["name"], message["args"])
            except CommandError as err:
                await broadcast.send_reply(self.layer, message["reply_to"], request_id=message["request_id"],
                                           error=(err.status, err.message))
            else:
                await broadcast.send_reply(self.layer, message["reply_to"], request_id=message["request_id"],
                                           result=result)
