"""The ARI event stream of one Asterisk, folded into a ``ChannelRegistry``.

``EventStream`` connects ``/ari/events?app=<app>&subscribeAll=true`` (WebSocket, basic auth),
and on every (re)connect resynchronises the registry from ``GET /channels`` (and
``GET /bridges``), requested only once the socket is open so that no event can fall between
the snapshot and the stream: events that arrive meanwhile are held, then applied on top of
the snapshot, all inside one registry batch, so subscribers hear exactly the net change.

Connection state, reported through ``on_state(state, detail)`` on every change:
``connecting`` (before the first success), ``live``, ``reconnecting`` (after losing it),
``unreachable`` (several attempts in a row failed; ``detail`` says why). Reconnects back off
exponentially with jitter, from ``min_backoff`` to ``max_backoff`` seconds.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import random
from typing import Any, Callable
from urllib.parse import quote

import orjson
import websockets
from websockets.asyncio.client import ClientConnection, connect

from .client import AriClient
from .config import AriServerConfig
from .errors import AriError, NotFound
from .events import Event, loads_event
from .models import Bridge, Channel, LiveRecording, Playback
from .registry import ChannelRegistry

log = logging.getLogger(__name__)

StateCallback = Callable[[str, str], None]
EventCallback = Callable[[str, Event], None]

CONNECTING = "connecting"
LIVE = "live"
RECONNECTING = "reconnecting"
UNREACHABLE = "unreachable"
STOPPED = "stopped"


def events_url(config: AriServerConfig) -> str:
    base = config.url.rstrip("/")
    scheme, sep, rest = base.partition("://")
    ws_scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
    return f"{ws_scheme}{sep}{rest}/ari/events?app={quote(config.app, safe='')}&subscribeAll=true"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, websockets.InvalidStatus):
        status = exc.response.status_code
        if status == 401:
            return "Asterisk refused the ARI user name or password (401)"
        return f"Asterisk refused the event socket ({status})"
    if isinstance(exc, websockets.ConnectionClosed):
        return "the event socket was closed"
    if isinstance(exc, (OSError, TimeoutError)):
        return f"cannot connect: {exc}" if str(exc) else f"cannot connect ({type(exc).__name__})"
    if isinstance(exc, AriError):
        return f"resync failed: {exc}"
    return f"{type(exc).__name__}: {exc}"


class ApplicationTakenOver(Exception):
    """Another ARI client opened a socket for our application: Asterisk now sends it our events."""


# After a takeover, wait this long before taking the application back: two dashboards sharing an
# app name would otherwise steal it from each other in a loop. Each must have its own ARI_APP.
TAKEOVER_BACKOFF = 30.0


class EventStream:
    def __init__(
        self,
        config: AriServerConfig,
        registry: ChannelRegistry,
        *,
        on_state: StateCallback | None = None,
        on_event: EventCallback | None = None,
        client: AriClient | None = None,
        min_backoff: float = 0.2,
        max_backoff: float = 10.0,
        unreachable_after: int = 3,
        open_timeout: float = 5.0,
    ) -> None:
        self.config = config
        self.registry = registry
        self._on_state = on_state
        self._on_event = on_event
        self._own_client = client is None
        self._client = client
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._unreachable_after = unreachable_after
        self._open_timeout = open_timeout
        self._task: asyncio.Task[None] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self.state = STOPPED
        self.detail = ""
        self.connects = 0  # successful (re)syncs so far

    @property
    def server(self) -> str:
        return self.config.name

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Start connecting in the background on the running loop (returns at once)."""
        if self._task is not None and not self._task.done():
            return
        if self._client is None:
            self._client = AriClient(self.config)
        self._set_state(CONNECTING, "")
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"ari-events-{self.server}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None
        self.state = STOPPED
        self._wake()

    async def wait_for(self, *states: str, timeout: float | None = None) -> str:
        """Wait until the stream is in one of ``states``; returns that state."""
        async def until() -> str:
            while self.state not in states:
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.remove(waiter)
            return self.state

        return await asyncio.wait_for(until(), timeout)

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _set_state(self, state: str, detail: str) -> None:
        if (state, detail) == (self.state, self.detail):
            return
        self.state, self.detail = state, detail
        self._wake()
        if self._on_state is not None:
            try:
                self._on_state(state, detail)
            except Exception:
                log.exception("on_state callback failed")

    # ------------------------------------------------------------------ loop
    async def _run(self) -> None:
        token = base64.b64encode(f"{self.config.username}:{self.config.password}".encode()).decode()
        failures = 0
        while True:
            try:
                async with connect(
                    events_url(self.config),
                    additional_headers={"Authorization": f"Basic {token}"},
                    open_timeout=self._open_timeout,
                    compression=None,
                    proxy=None,
                    max_size=16 * 1024 * 1024,
                ) as ws:
                    await self._sync(ws)
                    failures = 0
                    self.connects += 1
                    self._set_state(LIVE, "")
                    async for message in ws:
                        self._handle(message)
                detail = "the event socket was closed"
            except asyncio.CancelledError:
                raise
            except ApplicationTakenOver as exc:
                self._set_state(UNREACHABLE, str(exc))
                failures = 0
                await asyncio.sleep(TAKEOVER_BACKOFF)
                continue
            except Exception as exc:  # anything: the stream must outlive it and report it
                detail = _describe(exc)
                if not isinstance(exc, (OSError, TimeoutError, websockets.WebSocketException, AriError)):
                    log.exception("ARI event stream %s failed", self.server)
            failures += 1
            if failures >= self._unreachable_after:
                self._set_state(UNREACHABLE, detail)
            else:
                self._set_state(CONNECTING if self.state == CONNECTING else RECONNECTING, detail)
            delay = min(self._max_backoff, self._min_backoff * 2 ** (failures - 1))
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _sync(self, ws: ClientConnection) -> None:
        """Resync from a snapshot taken after the socket opened; hold events meanwhile."""
        held: list[Any] = []
        snapshot = asyncio.ensure_future(self._snapshot())
        receive: asyncio.Future[Any] = asyncio.ensure_future(ws.recv())
        try:
            while not snapshot.done():
                done, _ = await asyncio.wait({snapshot, receive}, return_when=asyncio.FIRST_COMPLETED)
                if receive in done:
                    held.append(receive.result())
                    receive = asyncio.ensure_future(ws.recv())
            channels, bridges, playbacks, recordings = snapshot.result()
            if receive.done():  # arrived with the snapshot: keep it
                held.append(receive.result())
        finally:
            snapshot.cancel()
            receive.cancel()  # safe: websockets keeps an unreceived message for the next recv
            await asyncio.gather(snapshot, receive, return_exceptions=True)
        with self.registry.batch():
            self.registry.resync(self.server, channels, bridges, playbacks=playbacks, recordings=recordings)
            for message in held:
                self._handle(message)

    async def _snapshot(
        self,
    ) -> tuple[list[Channel], list[Bridge] | None, list[Playback], list[LiveRecording]]:
        client = self._client
        assert client is not None
        channels, bridges = await asyncio.gather(client.list(), self._bridges(client))
        # No ARI call lists playbacks or live recordings: ask after the ones we know of.
        known = self.registry.values(self.server)
        playback_ids = {p for entry in known for p in entry.playbacks}
        recording_names = {r for entry in known for r in entry.recordings}
        playbacks = await asyncio.gather(*(self._still(client.get_playback, p) for p in playback_ids))
        recordings = await asyncio.gather(*(self._still(client.get_live_recording, r) for r in recording_names))
        return (
            channels,
            bridges,
            [p for p in playbacks if p is not None],
            [r for r in recordings if r is not None],
        )

    @staticmethod
    async def _bridges(client: AriClient) -> list[Bridge] | None:
        try:
            return await client.list_bridges()
        except AriError as exc:
            log.warning("GET /bridges failed, bridge ids not resynced: %s", exc)
            return None

    @staticmethod
    async def _still(get: Callable[[str], Any], ident: str) -> Any:
        try:
            return await get(ident)
        except NotFound:
            return None

    def _handle(self, message: str | bytes) -> None:
        try:
            event = loads_event(message)
        except orjson.JSONDecodeError:
            log.warning("ARI %s sent a message that is not JSON: %.200r", self.server, message)
            return
        if event.type == "ApplicationReplaced":
            raise ApplicationTakenOver(
                f"another ARI client took over the Stasis application '{self.config.app}'; "
                "give each dashboard its own ARI_APP")
        try:
            self.registry.apply(event, self.server)
            if self._on_event is not None:
                self._on_event(self.server, event)
        except Exception:  # one bad event or subscriber must not stop the stream
            log.exception("handling ARI event %s from %s failed", event.type, self.server)
