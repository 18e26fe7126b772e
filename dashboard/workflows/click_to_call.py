"""Agent click-to-call: ring the agent's own phone first, then the destination, then bridge them.

Create + dial (rather than originate) because the channel enters the application at once, so the
flow holds both legs by id from the start and can cancel at any moment; Dial events then say
why a destination failed (busy, no answer) in a way originate cannot. Every wait is bounded: a
phone that rings for ever, or an event that never comes, ends the call with the reason in words.
"""
from __future__ import annotations

import time

from django.conf import settings

from ari_bridge import AriError
from ari_bridge.events import ChannelDestroyed, ChannelStateChange, Dial, StasisEnd

from .causes import DIAL_FAILURES, from_cause
from .flow import FLOW_ARGS, LIVENESS_SECONDS, RING_BACKSTOP_SECONDS, Flow, FlowEnded


class ClickToCall(Flow):
    kind = "click_to_call"

    def __init__(self, engine, server: str, *, owner: str, owner_id: int | None, endpoint: str, number: str,
                 context: str, caller_name: str, caller_number: str):
        super().__init__(engine, server, owner=owner, owner_id=owner_id)
        self.endpoint = endpoint
        self.number = number
        self.context = context
        self.caller_name = caller_name
        self.caller_number = caller_number
        self.agent_id = self.new_id("agent")
        self.out_id = self.new_id("out")
        self.watch(self.agent_id)
        self.watch(self.out_id)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "number": self.number, "endpoint": self.endpoint,
                "channels": [self.agent_id, self.out_id]}

    def _is(self, item, kind, channel_id: str) -> bool:
        return isinstance(item, kind) and getattr(item, "channel", None) is not None and item.channel.id == channel_id

    async def run(self) -> None:
        self.set_state("ringing_agent", f"ringing your phone ({self.endpoint})")
        self.audit("click_to_call.ring_agent", channel_id=self.agent_id, params={"number": self.number})
        ring = settings.CLICK_TO_CALL_AGENT_RING_SECONDS
        # Hung up at the end even if the request's answer is lost: the id is ours from the start.
        self.channels.add(self.agent_id)
        try:
            await self.ari.create(endpoint=self.endpoint, app=self.app, app_args=FLOW_ARGS, channel_id=self.agent_id,
                                  variables={"CALLERID(name)": f"Call to {self.number}",
                                             "CALLERID(num)": self.number})
            await self.ari.dial(self.agent_id, timeout=ring + RING_BACKSTOP_SECONDS)
        except AriError as exc:
            raise FlowEnded("failed", f"cannot ring your phone: {exc}") from None
        await self._wait_answer(self.agent_id, "your phone", ring)
        self.set_state("dialling", f"dialling {self.number}")
        self.audit("click_to_call.dial", channel_id=self.out_id, params={"number": self.number})
        ring = settings.CLICK_TO_CALL_DEST_RING_SECONDS
        self.channels.add(self.out_id)
        try:
            await self.ari.create(endpoint=f"Local/{self.number}@{self.context}", app=self.app, app_args=FLOW_ARGS,
                                  channel_id=self.out_id, variables={"CALLERID(name)": self.caller_name,
                                                                     "CALLERID(num)": self.caller_number})
            await self.ari.dial(self.out_id, caller=self.agent_id, timeout=ring + RING_BACKSTOP_SECONDS)
        except AriError as exc:
            raise FlowEnded("failed", f"cannot dial {self.number}: {exc}") from None
        await self._wait_answer(self.out_id, self.number, ring)
        bridge_id = self.new_id("bridge")
        self.bridges.add(bridge_id)
        await self.ari.create_bridge(type="mixing", bridge_id=bridge_id, name=f"click-to-call {self.number}")
        await self.ari.add_channel(bridge_id, channel=[self.agent_id, self.out_id])
        self.set_state("connected", f"connected to {self.number}")
        self.audit("click_to_call.connected", channel_id=self.out_id)
        legs = (self.agent_id, self.out_id)
        while True:
            item = await self.next(lambda e: self.is_stop(e) or any(self._is(e, (ChannelDestroyed, StasisEnd), c)
                                                                    for c in legs), timeout=LIVENESS_SECONDS)
            if item is None:
                if self.missing(*legs):
                    raise FlowEnded("ended", "Asterisk no longer has the call")
                continue
            if self.is_stop(item):
                raise self.stopped(item, "cancelled", "you hung up from the dashboard", "hung up")
            who = "you" if item.channel.id == self.agent_id else self.number
            raise await self.leg_ended(item, lambda *_: FlowEnded("ended", f"{who} hung up"))

    async def _wait_answer(self, channel_id: str, who: str, seconds: int) -> None:
        """Until `channel_id` is answered; a failure, a cancel, the agent's hangup or `seconds` of
        ringing end the flow."""
        deadline = time.monotonic() + seconds
        heard = False  # a Dial status came for it (ringing, progress...): it reached a destination

        def failed(cause: int, cause_txt: str) -> FlowEnded:
            if channel_id == self.out_id and cause == 0 and not heard:
                # A Local channel that fails before it rings: its extension does not exist.
                return FlowEnded("failed", f"{who}: unknown number (no such extension in {self.context})")
            return FlowEnded("failed", f"{who}: {from_cause(cause, cause_txt)[1]}")

        while True:
            item = await self.next(lambda e: True, timeout=max(0.0, deadline - time.monotonic()))
            if item is None:
                self.audit("click_to_call.timeout", channel_id=channel_id, params={"seconds": seconds})
                raise FlowEnded("failed", f"{who}: no answer after {seconds} s")
            if self.is_stop(item):
                self.audit("click_to_call.cancel")
                raise self.stopped(item, "cancelled", "cancelled", "cancelled")
            if isinstance(item, Dial) and item.peer.id == channel_id:
                heard = heard or bool(item.dialstatus)
                if item.dialstatus in DIAL_FAILURES:
                    raise FlowEnded("failed", f"{who}: {DIAL_FAILURES[item.dialstatus][1]}")
            elif self._is(item, (ChannelDestroyed, StasisEnd), channel_id):
                raise await self.leg_ended(item, failed)
            elif channel_id != self.agent_id and self._is(item, (ChannelDestroyed, StasisEnd), self.agent_id):
                raise await self.leg_ended(item, lambda *_: FlowEnded("ended", "you hung up before the answer"))
            elif self._is(item, ChannelStateChange, channel_id) and item.channel.state == "Up":
                return
