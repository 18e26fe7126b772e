"""Each dashboard process keeps a replica of the runner's registry and fans changes out to its sockets.

One group subscription per process (not per browser) keeps the channel layer's traffic
independent of the number of open pages; the replica then hands each batch to the local
consumers, which filter and send it.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass, field

from ari_bridge import ChannelRegistry, LiveChannel

from ..access import endpoint_of
from . import broadcast
from .wire import apply_patch

log = logging.getLogger(__name__)

Key = tuple[str, str]
TIMELINE_LENGTH = 100
# Gone channels' last state and timeline, for their detail page: the most recent, for a while.
GONE_KEEP = 1000
GONE_KEEP_S = 15 * 60
# The stuck rules depend on the clock: channels that did not change are judged again this often.
RESTUCK_S = 5.0


@dataclass
class Batch:
    """What changed in one flush, already applied to the replica."""

    upsert: list[LiveChannel] = field(default_factory=list)
    remove: list[Key] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    servers: dict | None = None
    sessions: list[dict] = field(default_factory=list)  # workflow sessions that changed
    ended_sessions: list[str] = field(default_factory=list)  # ids of sessions that are gone
    resync: bool = False  # the whole state was replaced: listeners should send a fresh snapshot
    restuck: bool = False  # nothing changed but the clock: the stuck rules are evaluated again
    views: dict = field(default_factory=dict)  # hide_monitoring -> fanout.Presented


class Replica:
    def __init__(self, layer):
        self.layer = layer
        self.registry = ChannelRegistry()
        self.servers: dict[str, dict] = {}
        # Workflow sessions (monitoring, click-to-call) by id; replaced, never changed in place.
        self.sessions: dict[str, dict] = {}
        self.listeners: set = set()
        self.fanout = None  # fanout.Fanout: presents each batch once before the listeners get it
        self._replies: dict[str, asyncio.Future] = {}
        self.ready = asyncio.Event()
        self._channel: str | None = None
        self._runner: str | None = None  # the runner whose snapshot and diffs this replica follows
        self._seq = 0
        self._snapshot: dict | None = None  # the snapshot being received, chunk by chunk
        self._buffer: list[dict] = []  # diffs that arrive while a snapshot is being received
        self._tasks: list[asyncio.Task] = []
        # Indexes for agents' "own calls": who is on which endpoint, who is in which bridge.
        self.by_endpoint: dict[str, set[Key]] = defaultdict(set)
        self.by_bridge: dict[tuple[str, str], set[Key]] = defaultdict(set)
        # The last events of each channel, for a detail page that starts watching it later.
        self.timeline: dict[str, deque] = {}
        # Recently gone channels: key -> (last entry, when it went), oldest first; their timeline stays too.
        self.gone: OrderedDict[Key, tuple[LiveChannel, float]] = OrderedDict()

    async def start(self) -> None:
        self._channel = await self.layer.new_channel("switchboard.replica.")
        await self.layer.group_add(broadcast.LIVE_GROUP, self._channel)
        diffs = broadcast.listen(self.layer, self._channel, self._handle, what="live replica",
                                 repair=self._request_snapshot)
        self._tasks = [asyncio.create_task(diffs, name="live-replica"),
                       asyncio.create_task(self._restuck_loop(), name="live-restuck")]
        await self._request_snapshot()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._channel:
            await self.layer.group_discard(broadcast.LIVE_GROUP, self._channel)

    async def _request_snapshot(self) -> None:
        self._snapshot = {"request_id": uuid.uuid4().hex, "entries": []}
        self._buffer = []
        await broadcast.request_snapshot(self.layer, reply_to=self._channel, request_id=self._snapshot["request_id"])

    async def _handle(self, message: dict) -> None:
        kind = message["type"]
        if kind == broadcast.DIFF:
            if self._snapshot is not None:
                self._buffer.append(message)
            elif message["runner"] != self._runner:
                pass  # a runner that lost its lease, or a new one whose hello (and a snapshot) follows
            elif message["seq"] != self._seq + 1:
                log.warning("live diff %s after %s: a message was lost; resyncing", message["seq"], self._seq)
                await self._request_snapshot()
            else:
                self._apply_diff(message)
        elif kind == broadcast.SNAPSHOT:
            await self._on_snapshot_chunk(message)
        elif kind == broadcast.RUNNER_HELLO:
            await self._request_snapshot()
        elif kind == broadcast.REPLY:
            future = self._replies.pop(message["request_id"], None)
            if future is not None and not future.done():
                future.set_result(message)

    async def _on_snapshot_chunk(self, message: dict) -> None:
        if self._snapshot is None or message["request_id"] != self._snapshot["request_id"]:
            return  # an answer to an older request
        self._snapshot["entries"].extend(message["entries"])
        if not message["last"]:
            return
        entries, self._snapshot = self._snapshot["entries"], None
        before = self.registry.values()
        for old in before:
            self.registry.remove(old.key)
        self.by_endpoint.clear()
        self.by_bridge.clear()
        for data in entries:
            self._put(LiveChannel.from_dict(data))
        for old in before:
            if old.key not in self.registry:
                self._keep_gone(old)
        self.servers = message["servers"]
        self.sessions = {s["id"]: s for s in message.get("sessions", [])}
        self._runner, self._seq = message["runner"], message["seq"]
        buffered, self._buffer = self._buffer, []
        self.ready.set()
        self._notify(Batch(servers=self.servers, resync=True))
        for diff in buffered:
            if diff["runner"] == self._runner and diff["seq"] > self._seq:
                await self._handle(diff)

    def _apply_diff(self, message: dict) -> None:
        self._seq = message["seq"]
        batch = Batch(events=message["events"])
        for data in message["upsert"]:
            entry = LiveChannel.from_dict(data)
            self._put(entry)
            batch.upsert.append(entry)
        for server, channel_id, changes in message["patch"]:
            old = self.registry.get((server, channel_id))
            if old is None:
                raise LookupError(f"a change to {server}:{channel_id}, which this replica does not have")
            entry = apply_patch(old, changes)
            self._put(entry)
            batch.upsert.append(entry)
        for server, channel_id in message["remove"]:
            if self._remove((server, channel_id)):
                batch.remove.append((server, channel_id))
        if "servers" in message:
            self.servers = message["servers"]
            batch.servers = self.servers
        if "sessions" in message:
            # Copy on write: request threads iterate the sessions while this loop applies diffs
            # (they changed size under an iterating /api/v1/sessions); changes are rare.
            sessions = dict(self.sessions)
            for session in message["sessions"]["upsert"]:
                sessions[session["id"]] = session
            for session_id in message["sessions"]["remove"]:
                sessions.pop(session_id, None)
            self.sessions = sessions
            batch.sessions = message["sessions"]["upsert"]
            batch.ended_sessions = message["sessions"]["remove"]
        for item in batch.events:
            server, _, channel_id = item["uid"].partition(":")
            if (server, channel_id) not in self.registry and (server, channel_id) not in self.gone:
                continue  # long gone (its last events came late): nobody will ask for its history
            history = self.timeline.get(item["uid"])
            if history is None:
                history = self.timeline[item["uid"]] = deque(maxlen=TIMELINE_LENGTH)
            history.append(item)
        self._notify(batch)

    async def command(self, name: str, args: dict, timeout: float = 10.0) -> dict:
        """Ask the runner to do something (start a workflow...) and wait for its answer."""
        request_id = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self._replies[request_id] = future
        await broadcast.send_command(self.layer, reply_to=self._channel, request_id=request_id, name=name,
                                     args=args)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._replies.pop(request_id, None)

    # -- registry + indexes -------------------------------------------------------------------

    def _unindex(self, entry: LiveChannel) -> None:
        key = (entry.server, entry.channel.id)
        self.by_endpoint[endpoint_of(entry.channel.name)].discard(key)
        for bridge in entry.bridge_ids:
            self.by_bridge[(entry.server, bridge)].discard(key)

    def _put(self, entry: LiveChannel) -> None:
        key = (entry.server, entry.channel.id)
        old = self.registry.get(key)
        if old is not None:
            self._unindex(old)
        elif self.gone.pop(key, None) is not None:  # an id used again: the old call's record goes
            self.timeline.pop(f"{key[0]}:{key[1]}", None)
        self.registry.put(entry)
        self.by_endpoint[endpoint_of(entry.channel.name)].add(key)
        for bridge in entry.bridge_ids:
            self.by_bridge[(entry.server, bridge)].add(key)

    def _remove(self, key: Key) -> bool:
        old = self.registry.get(key)
        if old is None:
            return False
        self._unindex(old)
        self.registry.remove(key)
        self._keep_gone(old)
        return True

    def _keep_gone(self, entry: LiveChannel) -> None:
        now = time.time()
        self.gone[entry.key] = (entry, now)
        self.gone.move_to_end(entry.key)
        while self.gone:
            key, (_, went) = next(iter(self.gone.items()))
            if len(self.gone) <= GONE_KEEP and now - went <= GONE_KEEP_S:
                break
            del self.gone[key]
            self.timeline.pop(f"{key[0]}:{key[1]}", None)

    def gone_record(self, key: Key) -> tuple[LiveChannel, float] | None:
        """A recently gone channel as it was when it went, and when that was."""
        record = self.gone.get(key)
        return record if record is not None and time.time() - record[1] <= GONE_KEEP_S else None

    def last_known(self, key: Key) -> LiveChannel | None:
        """The channel now, or as it was when it went (for a while); None when nothing is known."""
        entry = self.registry.get(key)
        if entry is None:
            record = self.gone_record(key)
            entry = record[0] if record is not None else None
        return entry

    def own_keys(self, endpoint: str) -> set[Key]:
        """An agent's calls: their endpoint's channels, and whatever shares a bridge with them."""
        if not endpoint:
            return set()
        mine = set(self.by_endpoint.get(endpoint, ()))
        keys = set(mine)
        for key in mine:
            entry = self.registry.get(key)
            if entry is None:
                continue
            for bridge in entry.bridge_ids:
                keys |= self.by_bridge.get((entry.server, bridge), set())
            keys |= {(entry.server, peer) for peer in getattr(entry, "peers", ())}
        return keys

    # -- listeners ----------------------------------------------------------------------------

    async def _restuck_loop(self) -> None:
        while True:
            await asyncio.sleep(RESTUCK_S)
            if self.listeners and self.ready.is_set() and self._snapshot is None:
                self._notify(Batch(restuck=True))

    def _notify(self, batch: Batch) -> None:
        listeners = list(self.listeners)
        if self.fanout is not None:
            self.fanout.take(batch, listeners)
        for listener in listeners:
            listener.push(batch)
