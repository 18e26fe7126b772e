"""The process-wide live parts: ARI clients, the channel service, the replica and (embedded) the runner.

Under an ASGI server they live on the server's event loop (started by the lifespan handler in
switchboard/asgi.py); elsewhere (management commands, the Django test client) on a private
loop thread. Sync code reaches them through `call()`, which never opens a new connection.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from channels.layers import get_channel_layer
from django.conf import settings

from ari_bridge import AriClient, ChannelService, LoopThread

from . import authstate
from .auditwriter import AuditWriter
from .live import broadcast
from .live.fanout import Fanout
from .live.replica import Replica
from .live.runner import Runner
from .wallboard.replica import WallboardReplica

log = logging.getLogger(__name__)
T = TypeVar("T")

CALL_TIMEOUT = 30.0


class Runtime:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.layer = get_channel_layer()
        self.servers = {s.name: s for s in settings.ARI_SERVERS}
        self.clients = {name: AriClient(cfg) for name, cfg in self.servers.items()}
        self.replica = Replica(self.layer)
        self.wallboard = WallboardReplica(self.layer)
        self.runner = Runner(settings.ARI_SERVERS, self.layer, flush_ms=settings.LIVE_FLUSH_MS,
                             reconcile_s=settings.LIVE_RECONCILE_SECONDS) \
            if settings.ARI_LISTENER == "embedded" else None
        self.service = ChannelService(self.clients, self.replica.registry, record_flag=self._record_flag)
        self.fanout = self.replica.fanout = Fanout(self.replica, self.service)
        self.audit = AuditWriter()

    async def _record_flag(self, server: str, channel_id: str, action: str, params: dict) -> None:
        # ARI raises no event for hold/mute/MOH/silence: the runner records them for every process.
        await broadcast.send_flag(self.layer, server=server, channel_id=channel_id, action=action, params=params)

    async def start(self) -> None:
        # Sign-ins are cached per process (REST actions, sockets): hear every process's changes from the start.
        await authstate.start()
        await self.replica.start()
        await self.wallboard.start()
        if self.runner is not None:
            await self.runner.start()
        try:
            await asyncio.wait_for(self.replica.ready.wait(), timeout=5)
        except TimeoutError:
            log.warning("no live runner answered within 5 s; is `manage.py ari_listen` running?")

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.stop()
        await self.audit.close()
        await self.replica.stop()
        await self.wallboard.stop()
        for client in self.clients.values():
            await client.aclose()


_runtime: Runtime | None = None
_loop_thread: LoopThread | None = None
_lock = threading.Lock()


async def startup() -> Runtime:
    """Start the live parts on the running loop (ASGI lifespan, consumers)."""
    global _runtime
    if _runtime is None:
        runtime = Runtime(asyncio.get_running_loop())
        _runtime = runtime
        await runtime.start()
    return _runtime


async def shutdown() -> None:
    global _runtime
    if _runtime is not None:
        runtime, _runtime = _runtime, None
        await runtime.stop()


def get() -> Runtime:
    """The runtime, started on a private loop thread when no ASGI server started it."""
    global _loop_thread
    if _runtime is not None:
        return _runtime
    with _lock:
        if _runtime is None:
            _loop_thread = LoopThread(name="switchboard-runtime")
            _loop_thread.run(startup(), timeout=30)
    return _runtime


def call(coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT) -> T:
    """Run a coroutine on the runtime's loop from sync code and wait for its result."""
    runtime = get()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is runtime.loop:
        coro.close()
        raise RuntimeError("runtime.call() from the runtime's own loop would deadlock; await instead")
    return asyncio.run_coroutine_threadsafe(coro, runtime.loop).result(timeout)


async def acall(coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT) -> T:
    """Await a coroutine on the runtime's loop: directly when already on it (the ASGI server's loop), else
    through that loop (Django's test client runs async views on a loop of its own)."""
    runtime = get()
    if asyncio.get_running_loop() is runtime.loop:
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), runtime.loop))


def close() -> None:
    """Stop the private loop thread's runtime (tests, management commands)."""
    global _loop_thread
    with _lock:
        if _loop_thread is not None:
            _loop_thread.run(shutdown(), timeout=30)
            _loop_thread.stop()
            _loop_thread = None
