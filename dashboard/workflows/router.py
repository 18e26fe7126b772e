"""The Stasis call-routing application: `Stasis(switchboard,dial,PJSIP/bob[,timeout])` in a dialplan
hands a call to the dashboard, which dials the destination, bridges the two legs on answer and relays
hangups, busy and no-answer back. Every call routed this way is in Stasis, so every button works."""
from __future__ import annotations

import time

from django.conf import settings

from ari_bridge import AriError, Channel
from ari_bridge.events import ChannelDestroyed, ChannelStateChange, Dial, StasisEnd

from .causes import DIAL_FAILURES, from_cause
from .flow import FLOW_ARGS, LIVENESS_SECONDS, RING_BACKSTOP_SECONDS, Flow, FlowEnded


class RoutedCall(Flow):
    kind = "route"
    public = False

    def __init__(self, engine, server: str, *, caller: Channel, args: tuple[str, ...]):
        super().__init__(engine, server)
        self.caller = caller
        self.target = args[0] if args else ""
        self.timeout = int(args[1]) if len(args) > 1 and args[1].isdigit() else settings.ROUTER_RING_SECONDS
        self.callee_id = self.new_id("b")
        self.watch(caller.id)
        self.watch(self.callee_id)

    def _ended(self, item, channel_id: str) -> bool:
        return isinstance(item, (ChannelDestroyed, StasisEnd)) and item.channel.id == channel_id

    async def run(self) -> None:
        caller = self.caller
        if not self.target or "/" not in self.target:
            await self.hangup(caller.id, "unallocated")
            raise FlowEnded("failed", f"no destination in Stasis args: {self.target!r}")
        if settings.ROUTER_ANSWER_FIRST:
            await self.ari.answer(caller.id)
        elif caller.state != "Up":
            await self.ari.ring(caller.id)
        self.channels.add(self.callee_id)
        try:
            await self.ari.create(endpoint=self.target, app=self.app, app_args=FLOW_ARGS, channel_id=self.callee_id,
                                  variables={"CALLERID(name)": caller.caller.name,
                                             "CALLERID(num)": caller.caller.number})
            await self.ari.dial(self.callee_id, caller=caller.id, timeout=self.timeout + RING_BACKSTOP_SECONDS)
        except AriError as exc:
            await self.hangup(caller.id, "unallocated")
            raise FlowEnded("failed", f"cannot dial {self.target}: {exc}") from None
        # Ringing: until the callee answers, fails, the caller gives up, or the ring timeout.
        deadline = time.monotonic() + self.timeout
        while True:
            item = await self.next(lambda e: True, timeout=max(0.0, deadline - time.monotonic()))
            if item is None:
                await self.hangup(caller.id, "no_answer")
                raise FlowEnded("failed", f"no answer after {self.timeout} s")
            if self._ended(item, caller.id):
                raise FlowEnded("ended", "the caller hung up before the answer")
            if isinstance(item, Dial) and item.peer.id == self.callee_id and item.dialstatus in DIAL_FAILURES:
                reason, words = DIAL_FAILURES[item.dialstatus]
                await self.hangup(caller.id, reason)
                raise FlowEnded("failed", words)
            if isinstance(item, ChannelDestroyed) and item.channel.id == self.callee_id:
                reason, words = from_cause(item.cause, item.cause_txt)
                await self.hangup(caller.id, reason)
                raise FlowEnded("failed", words)
            if isinstance(item, ChannelStateChange) and item.channel.id == self.callee_id \
                    and item.channel.state == "Up":
                break
        if caller.state != "Up" and not settings.ROUTER_ANSWER_FIRST:
            await self.ari.answer(caller.id)
        bridge_id = self.new_id("bridge")
        await self.ari.create_bridge(type="mixing", bridge_id=bridge_id, name=f"route {self.target}")
        self.bridges.add(bridge_id)
        await self.ari.add_channel(bridge_id, channel=[caller.id, self.callee_id])
        # Connected: when one leg goes, the other follows.
        item = None
        while item is None:
            item = await self.next(lambda e: self._ended(e, caller.id) or self._ended(e, self.callee_id),
                                   timeout=LIVENESS_SECONDS)
            if item is None and self.missing(caller.id, self.callee_id):
                raise FlowEnded("ended", "Asterisk no longer has the call")
        gone = item.channel.id
        other = self.callee_id if gone == caller.id else caller.id
        cause = item.cause if isinstance(item, ChannelDestroyed) else 16
        reason, words = from_cause(cause)
        await self.hangup(other, reason)
        self.detail = f"{'caller' if gone == caller.id else 'callee'} hung up"
