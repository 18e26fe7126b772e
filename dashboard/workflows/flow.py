"""A flow is one job (a routed call, a monitoring session, a click-to-call) written as straight-line
async code that waits for ARI events; whatever it created is torn down when it ends, however it ends."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async

from ari_bridge import AriClient, AriError, Channel, ChannelNotFound, NotFound
from ari_bridge.events import ChannelDestroyed, ChannelHangupRequest, Event, StasisEnd

from ..actions import ACTIONS

if TYPE_CHECKING:
    from .engine import Workflows

log = logging.getLogger(__name__)

# appArgs of every channel a flow creates: the router leaves these alone.
FLOW_ARGS = "switchboard-flow"
ENDED = ("ended", "failed", "cancelled")
# ARI's own dial timeout is this much longer than the flow's: the flow decides and says why, and
# Asterisk still gives up on a ringing phone if the dashboard stopped in the meantime.
RING_BACKSTOP_SECONDS = 5
# How often a flow that waits for a call to end checks that Asterisk still has its channels: an
# event lost while the stream reconnected must not leave a session open for ever.
LIVENESS_SECONDS = 15
# How long to look for the audit entry of the request that ended a session's channel: the web
# process writes it once ARI has answered, a moment after the event reached the runner.
ATTRIBUTION_SECONDS = 2.0


class FlowEnded(Exception):
    """Raised inside a flow to end it with a reason shown to its owner.

    `detail` is in the owner's words ("you hung up", "your phone: no answer"); everyone else sees
    them in the third person. `by` names the dashboard user whose request ended it, if one did."""

    def __init__(self, state: str, detail: str, by: str | None = None):
        super().__init__(detail)
        self.state = state
        self.detail = detail
        self.by = by


def third_person(words: str, owner: str) -> str:
    """The owner's words for everyone else: "you hung up" -> "agent hung up"."""
    words = words.replace("your phone", f"{owner}'s phone")
    return f"{owner} {words[4:]}" if words.startswith("you ") else words


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
        self.hangup_requested: set[str] = set()  # channels on their way out (StasisEnd then means a hangup)
        self.api_hangups: set[str] = set()  # ... because an ARI request (not a phone) asked for it
        self.ended_by: str | None = None
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
        elif isinstance(event, ChannelHangupRequest):
            self.hangup_requested.add(event.channel.id)
            if event.soft and event.cause == 32:
                # Cause 32 with soft set is how Asterisk marks a hangup asked for over ARI.
                self.api_hangups.add(event.channel.id)
        self.events.put_nowait(event)

    def command(self, name: str, args: dict) -> None:
        self.events.put_nowait((name, args))

    async def next(self, predicate: Callable[[Any], bool], timeout: float | None = None) -> Any:
        """The next event or command that matches, or None once `timeout` seconds passed without one;
        others are dropped (the flow saw them pass)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = await asyncio.wait_for(self.events.get(), remaining)
            except TimeoutError:
                return None
            if predicate(item):
                return item

    @staticmethod
    def is_stop(item) -> bool:
        return isinstance(item, tuple) and item[0] == "flow.stop"

    def stopped(self, item, state: str, own_words: str, verb: str) -> FlowEnded:
        """The end a stop command brings: in the owner's words when they asked, else naming who did."""
        by = item[1].get("owner") or self.owner
        if by == self.owner:
            return FlowEnded(state, own_words, by=by)
        return FlowEnded(state, f"{verb} by {by}", by=by)

    def missing(self, *channel_ids: str) -> bool:
        """Has Asterisk lost one of these channels without the flow being told (the registry is
        resynchronised from ARI after every reconnect)?"""
        return any(self.engine.registry.get((self.server, c)) is None for c in channel_ids)

    async def leg_ended(self, item, otherwise: Callable[[int, str], FlowEnded]) -> FlowEnded:
        """Why one of the flow's channels ended (`item` is its StasisEnd or ChannelDestroyed).

        A dashboard user's request (hang up, continue in the dialplan, move...) is named; otherwise
        `otherwise(cause, cause_txt)` says it (the phone hung up, the number is busy)."""
        channel_id = item.channel.id
        if isinstance(item, StasisEnd) and channel_id not in self.hangup_requested:
            # It left the application without a hangup (continue, move, redirect): it is no longer
            # the flow's to hang up.
            self.channels.discard(channel_id)
            who = await self.who_acted(channel_id)
            if who is None:
                return FlowEnded("ended", "the call left the dashboard's application")
            return FlowEnded("ended", f"ended by {who[0]} ({who[1]})", by=who[0])
        destroyed = item if isinstance(item, ChannelDestroyed) else await self.next(
            lambda e: isinstance(e, ChannelDestroyed) and e.channel.id == channel_id, timeout=1.0)
        if channel_id in self.api_hangups:
            who = await self.who_acted(channel_id)
            if who is not None:
                return FlowEnded("ended", f"ended by {who[0]} ({who[1]})", by=who[0])
        return otherwise(destroyed.cause, destroyed.cause_txt) if destroyed else otherwise(16, "")

    async def who_acted(self, channel_id: str) -> tuple[str, str] | None:
        """(username, what they did) of the latest dashboard request that succeeded on the channel
        since this flow started, from the audit log (shared by every dashboard process)."""
        deadline = time.monotonic() + ATTRIBUTION_SECONDS
        while True:
            # Off the loop in any thread; the connection goes back to the pool at once (nothing ends this thread).
            found = await database_sync_to_async(_last_request, thread_sensitive=False)(
                self.server, channel_id, self.started_at)
            if found is not None or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(0.1)

    # -- state shown to people ----------------------------------------------------------------

    def set_state(self, state: str, detail: str = "") -> None:
        self.state, self.detail = state, detail
        if state not in ENDED:
            self.step = state
        self.engine.changed(self)

    def to_dict(self) -> dict:
        # `detail_others` and `ended_by`: dashboard.sessions.visible_sessions shows each viewer the
        # words meant for them.
        return {"id": self.id, "kind": self.kind, "server": self.server, "owner": self.owner,
                "state": self.state, "step": self.step, "detail": self.detail,
                "detail_others": third_person(self.detail, self.owner), "ended_by": self.ended_by,
                "started": self.started_at, "ended": self.ended_at}

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
            self.ended_by = end.by
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


def _last_request(server: str, channel_id: str, since: float) -> tuple[str, str] | None:
    from ..models import AuditEntry

    # The workflows' own entries never explain an unexpected ending.
    entry = (AuditEntry.objects.filter(server=server, channel_id=channel_id, outcome=AuditEntry.Outcome.OK,
                                       at__gte=datetime.fromtimestamp(since, tz=timezone.utc))
             .exclude(source="workflow").order_by("-at", "-id").first())
    if entry is None:
        return None
    action = ACTIONS.get(entry.action)
    return entry.username, (action.label.lower() if action else entry.action.replace("_", " "))
