"""Supervisor monitoring: listen, whisper and barge on a call from the supervisor's own phone.

Listen and whisper snoop the agent's channel (spy=both; whisper=none or out, "out" being toward
the agent's phone as Asterisk defines it) into a mixing bridge with the supervisor's phone.
Barge moves the supervisor's phone into the call's own bridge when the call has one, or else
snoops with whisper=both. Switching modes keeps the supervisor's phone up.
"""
from __future__ import annotations

import time

from django.conf import settings

from ari_bridge import AriError
from ari_bridge.events import ChannelDestroyed, ChannelStateChange, Dial, StasisEnd

from .causes import DIAL_FAILURES, from_cause
from .flow import FLOW_ARGS, LIVENESS_SECONDS, RING_BACKSTOP_SECONDS, Flow, FlowEnded

MODES = ("listen", "whisper", "barge")
_WHISPER = {"listen": "none", "whisper": "out", "barge": "both"}


class MonitorSession(Flow):
    kind = "monitor"

    def __init__(self, engine, server: str, *, owner: str, owner_id: int | None, target_id: str, endpoint: str,
                 mode: str):
        super().__init__(engine, server, owner=owner, owner_id=owner_id)
        self.target_id = target_id
        self.endpoint = endpoint
        self.mode = mode
        self.requested_mode = mode
        entry = engine.registry.get((server, target_id))
        self.target_name = entry.channel.name if entry else ""
        self.target_caller = entry.channel.caller.name or entry.channel.caller.number if entry else ""
        self.sup_id = self.new_id("sup")
        self.bridge_id = self.new_id("bridge")
        self.snoop_id: str | None = None
        self.snoops = 0
        self.barged_into: str | None = None
        self.in_own_bridge = False
        self.watch(target_id)
        self.watch(self.sup_id)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "mode": self.mode, "target": self.target_id, "target_name": self.target_name,
                "endpoint": self.endpoint}

    def _ends(self, item, channel_id: str | None) -> bool:
        return channel_id is not None and isinstance(item, (ChannelDestroyed, StasisEnd)) \
            and item.channel.id == channel_id

    async def run(self) -> None:
        if self.engine.registry.get((self.server, self.target_id)) is None:
            raise FlowEnded("failed", "the call to monitor is gone")
        self.set_state("ringing_supervisor", f"ringing your phone ({self.endpoint})")
        self.audit("monitor.start", channel_id=self.target_id, channel_name=self.target_name,
                   params={"mode": self.mode})
        ring = settings.MONITOR_RING_SECONDS
        self.channels.add(self.sup_id)
        try:
            await self.ari.create(endpoint=self.endpoint, app=self.app, app_args=FLOW_ARGS, channel_id=self.sup_id,
                                  variables={"CALLERID(name)": f"Monitor {self.target_caller}"[:80],
                                             "CALLERID(num)": ""})
            await self.ari.dial(self.sup_id, timeout=ring + RING_BACKSTOP_SECONDS)
        except AriError as exc:
            raise FlowEnded("failed", f"cannot ring your phone: {exc}") from None
        await self._wait_supervisor_answer(ring)
        self.bridges.add(self.bridge_id)
        await self.ari.create_bridge(type="mixing", bridge_id=self.bridge_id, name=f"monitor {self.target_id}")
        await self._switch(self.mode)
        while True:
            item = await self.next(lambda e: True, timeout=LIVENESS_SECONDS)
            if item is None:
                if self.missing(self.target_id, self.sup_id):
                    raise FlowEnded("ended", "Asterisk no longer has the call")
            elif isinstance(item, tuple):
                name, args = item
                if name == "flow.stop":
                    self.audit("monitor.stop", channel_id=self.target_id, channel_name=self.target_name)
                    raise self.stopped(item, "ended", "stopped", "stopped")
                if name == "monitor.mode" and args["mode"] != self.mode:
                    await self._switch(args["mode"])
            elif self._ends(item, self.target_id) and isinstance(item, ChannelDestroyed):
                self.audit("monitor.target_ended", channel_id=self.target_id, channel_name=self.target_name)
                raise FlowEnded("ended", "the monitored call ended")
            elif self._ends(item, self.sup_id):
                self.audit("monitor.supervisor_hung_up", channel_id=self.target_id, channel_name=self.target_name)
                raise await self.leg_ended(item, lambda *_: FlowEnded("ended", "you hung up"))
            elif self._ends(item, self.snoop_id) and isinstance(item, ChannelDestroyed):
                raise FlowEnded("ended", "Asterisk ended the snoop channel")

    async def _wait_supervisor_answer(self, seconds: int) -> None:
        deadline = time.monotonic() + seconds
        while True:
            item = await self.next(lambda e: True, timeout=max(0.0, deadline - time.monotonic()))
            if item is None:
                raise FlowEnded("failed", f"your phone: no answer after {seconds} s")
            if self.is_stop(item):
                raise self.stopped(item, "cancelled", "cancelled before your phone answered", "cancelled")
            if isinstance(item, tuple) and item[0] == "monitor.mode":
                self.mode = item[1]["mode"]  # applied once the phone answers
                self.engine.changed(self)
            elif isinstance(item, Dial) and item.peer.id == self.sup_id and item.dialstatus in DIAL_FAILURES:
                raise FlowEnded("failed", f"your phone: {DIAL_FAILURES[item.dialstatus][1]}")
            elif self._ends(item, self.sup_id):
                raise await self.leg_ended(item, lambda cause, text: FlowEnded(
                    "failed", f"your phone: {from_cause(cause, text)[1]}"))
            elif isinstance(item, ChannelDestroyed) and item.channel.id == self.target_id:
                raise FlowEnded("ended", "the monitored call ended before your phone answered")
            elif isinstance(item, ChannelStateChange) and item.channel.id == self.sup_id and item.channel.state == "Up":
                return

    def _call_bridge(self) -> str | None:
        entry = self.engine.registry.get((self.server, self.target_id))
        others = sorted(b for b in (entry.bridge_ids if entry else ()) if b != self.bridge_id)
        return others[0] if others else None

    async def _switch(self, mode: str) -> None:
        if mode not in MODES:
            return
        call_bridge = self._call_bridge() if mode == "barge" else None
        old_snoop = self.snoop_id
        if call_bridge:
            # Join the call itself: the supervisor's phone enters the call's bridge.
            if self.in_own_bridge:
                await self.ari.remove_channel(self.bridge_id, channel=self.sup_id)
                self.in_own_bridge = False
            await self.ari.add_channel(call_bridge, channel=self.sup_id)
            self.barged_into = call_bridge
            self.snoop_id = None
        else:
            self.snoops += 1
            snoop_id = self.new_id(f"snoop{self.snoops}")
            self.watch(snoop_id)
            await self.ari.snoop_channel_with_id(self.target_id, snoop_id=snoop_id, spy="both",
                                                 whisper=_WHISPER[mode], app=self.app, app_args=FLOW_ARGS)
            self.channels.add(snoop_id)
            if self.barged_into:
                await self.ari.remove_channel(self.barged_into, channel=self.sup_id)
                self.barged_into = None
            members = [snoop_id] if self.in_own_bridge else [snoop_id, self.sup_id]
            await self.ari.add_channel(self.bridge_id, channel=members)
            self.in_own_bridge = True
            self.snoop_id = snoop_id
        if old_snoop:
            await self.hangup(old_snoop, "normal")
            self.channels.discard(old_snoop)
        self.mode = mode
        self.set_state("active", {"listen": "listening", "whisper": "whispering to the agent",
                                  "barge": "in the call"}[mode])
        self.audit(f"monitor.{mode}", channel_id=self.target_id, channel_name=self.target_name)
