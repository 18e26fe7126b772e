"""A flow is one job (a routed call, a monitoring session, a click-to-call) written as straight-line
async code that waits for ARI events; whatever it created is torn down when it ends, however it ends."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ari_bridge import AriClient, AriError, Channel, ChannelNotFound, NotFound
from ari_bridge.events import Event

if TYPE_CHECKING:
    from .engine import Workflows

log = logging.getLogger(__name__)

# appArgs of every channel a flow creates: the router leaves these alone.
FLOW_ARGS = "switchboard-flow"
ENDED = ("ended", "failed", "cancelled")


class FlowEnded(Exception):
    """Raised inside a flow to end it with a reason shown to its owner."""

    def __init__(self, state: str, detail: str):
        super().__init__(detail)
        self.state = state
        self.detail = detail


def event_channel_ids(event: Event) -> list[str]:
    """Every channel an event is about (Dial names the peer and the caller; PeerStatusChange's peer is no channel)."""
    ids = []
    for attr in ("channel", "peer", "caller"):
        channel = getattr(event, attr, None)
        if isinstance(channel, Channel):
            ids.append(channel.id)
    return ids


class Flow:
    kind = "flow"
    public = True  # shown to its owner (routed calls are not)

    def __init__(self, engine: Workflows, server: str, *, owner: str = "", owner_id: int | None = None):
        self.engine = engine
        self.server = server
        self.owner = owner
        self.owner_id = owner_id
        self.id = uuid.uuid4().hex[:12]
        self.state = "starting"
        self.step = "starting"  # the last step reached: where a failed flow stopped
        self.detail = ""
        self.started_at = time.time()
        self.ended_at: float | None = None
        self.events: asyncio.Queue[Event | tuple[str, dict]] = asyncio.Queue()
        self.channels: set[str] = set()  # channels this flow created: hung up at the end
        self.bridges: set[str] = set()  # bridges this flow created: destroyed at the end
        self.gone: set[str] = set()  # channels seen destroyed
        self.task: asyncio.Task | None = None

    @property
    def ari(self) -> AriClient:
        return self.engine.clients[self.server]

    @property
    def app(self) -> str:
        return self.engine.servers[self.server].app

    def new_id(self, role: str) -> str:
        # Ids are chosen here, before the request, so that no event of a new channel is missed.
        return f"sb-{self.id}-{role}"

    # -- events and commands ------------------------------------------------------------------

    def watch(self, channel_id: str) -> None:
        self.engine.watch(self.server, channel_id, self)

    def deliver(self, event: Event) -> None:
        if event.type == "ChannelDestroyed":
            self.gone.add(event.channel.id)
        self.events.put_nowait(event)

    def command(self, name: str, args: dict) -> None:
        self.events.put_nowait((name, args))

    async def next(self, predicate: Callable[[Any], bool], timeout: float | None = None) -> Any:
        """The next event or command that matches; others are dropped (the flow saw them pass)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = await asyncio.wait_for(self.events.get(), remaining)
            except TimeoutError:
                raise FlowEnded("failed", "timed out") from None
            if predicate(item):
                return item

    # -- state shown to people ----------------------------------------------------------------

    def set_state(self, state: str, detail: str = "") -> None:
        self.state, self.detail = state, detail
        if state not in ENDED:
            self.step = state
        self.engine.changed(self)

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "server": self.server, "owner": self.owner,
                "state": self.state, "step": self.step, "detail": self.detail, "started": self.started_at,
                "ended": self.ended_at}

    def audit(self, action: str, outcome: str = "ok", message: str = "", channel_id: str = "",
              channel_name: str = "", params: dict | None = None) -> None:
        self.engine.audit(self, action=action, outcome=outcome, message=message, channel_id=channel_id,
                          channel_name=channel_name, params=params or {})

    # -- lifecycle ----------------------------------------------------------------------------

    async def run(self) -> None:
        raise NotImplementedError

    async def main(self) -> None:
        try:
            await self.run()
            if self.state not in ENDED:
                self.set_state("ended", self.detail)
        except FlowEnded as end:
            self.set_state(end.state, end.detail)
        except asyncio.CancelledError:
            self.set_state("ended", "the dashboard stopped")
            raise
        except Exception as exc:  # noqa: BLE001 - any failure still tears down what the flow made
            log.exception("%s %s failed", self.kind, self.id)
            self.set_state("failed", str(exc) or type(exc).__name__)
        finally:
            await self.cleanup()
            self.ended_at = time.time()
            self.engine.changed(self)
            self.engine.finished(self)

    async def hangup(self, channel_id: str, reason: str | None = None) -> None:
        if channel_id in self.gone:
            return
        try:
            await self.ari.hangup(channel_id, reason=reason)
        except (ChannelNotFound, NotFound):
            pass  # already gone: that is what we wanted

    async def cleanup(self) -> None:
        for channel_id in list(self.channels):
            try:
                await self.hangup(channel_id, "normal")
            except AriError as exc:  # keep cleaning up the rest
                log.warning("%s %s: hanging up %s failed: %s", self.kind, self.id, channel_id, exc)
        for bridge_id in list(self.bridges):
            try:
                await self.ari.destroy_bridge(bridge_id)
            except (NotFound, ChannelNotFound):
                pass
            except AriError as exc:
                log.warning("%s %s: destroying bridge %s failed: %s", self.kind, self.id, bridge_id, exc)
