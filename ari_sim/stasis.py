"""Channels inside Stasis applications: entering and leaving, continue, move, redirect, and
the per-channel command queue.

Asterisk runs ARI commands on the channel's own thread, one after the other: a playback or a
DTMF string occupies the channel, and an `answer` or a variable set sent meanwhile waits for it
(the captures show `answer` blocking behind a `tone:` playback, and a variable set waiting for
DTMF digits). `Control` reproduces that queue.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Optional

from .errors import AriError
from .state import Channel

if TYPE_CHECKING:  # pragma: no cover
    from .pbx import Pbx


class Control:
    __slots__ = ("loop", "queue", "blocker")

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: deque = deque()
        self.blocker: Optional[asyncio.Future] = None

    def submit(self, command: Callable[[], Any]) -> asyncio.Future:
        """Run `command` now if the channel is idle, else after what occupies it.

        A command returning a Future occupies the channel until that Future completes (a
        playback, a recording, DTMF); the returned Future resolves when `command` has run."""
        done = self.loop.create_future()
        if self.blocker is None and not self.queue:
            self._execute(command, done)
        else:
            self.queue.append((command, done))
        return done

    def _execute(self, command: Callable[[], Any], done: asyncio.Future) -> None:
        try:
            result = command()
        except AriError as error:
            done.set_exception(error)
            return
        if isinstance(result, asyncio.Future):
            if not result.done():
                self.blocker = result
                result.add_done_callback(self._unblock)
            done.set_result(None)
        else:
            done.set_result(result)

    def _unblock(self, finished: asyncio.Future) -> None:
        if self.blocker is not finished:
            return
        self.blocker = None
        while self.queue and self.blocker is None:
            command, done = self.queue.popleft()
            self._execute(command, done)

    def flush(self) -> None:
        """The channel left Stasis: queued commands never run (their requests still return)."""
        self.blocker = None
        while self.queue:
            _, done = self.queue.popleft()
            if not done.done():
                done.set_result(None)


def split_args(args: Optional[str]) -> list[str]:
    return args.split(",") if args else []


class StasisEngine:
    def __init__(self, pbx: "Pbx"):
        self.pbx = pbx

    def enter(self, channel: Channel, app: Optional[str], args: list[str], *, app_data: str,
              from_pbx: bool) -> bool:
        """Run Stasis(app,args) on the channel. False when no WebSocket serves `app`: Asterisk
        then sets STASISSTATUS=FAILED and the Stasis application returns at once."""
        pbx = self.pbx
        pbx.set_app(channel, "Stasis", app_data)
        pbx.set_variable_raw(channel, "STASISSTATUS", "")
        if not pbx.bus.is_registered(app):
            pbx.set_variable_raw(channel, "STASISSTATUS", "FAILED")
            return False
        channel.stasis_app = app
        channel.stasis_from_pbx = from_pbx
        channel.control = Control(pbx.loop)
        pbx.bus.subscribe_channel(app, channel)
        pbx.bus.stasis_start(channel, app, args)
        return True

    def leave(self, channel: Channel, reason: str) -> None:
        """StasisEnd, then STASISSTATUS as Asterisk sets it for `reason` ("hangup"/"continue")."""
        pbx = self.pbx
        app = channel.stasis_app
        channel.stasis_app = None
        control = channel.control
        channel.control = None
        if control is not None:
            control.flush()
        if app is not None:
            pbx.bus.stasis_end(channel, app)
            pbx.bus.unsubscribe_channel(app, channel)
        if reason == "hangup" or channel.stasis_from_pbx or not channel.stasis_exec:
            pbx.set_variable_raw(channel, "STASISSTATUS", "SUCCESS")
        else:
            # Stasis was run by pbx_exec (originate, create): its status is only set when that
            # call returns, i.e. when the dialplan it continued into is over.
            channel.pending_stasis_status = True

    # --- commands (run through the channel's Control) -----------------------------------------

    def continue_in_dialplan(self, channel: Channel, context: str, exten: str, priority: int) -> None:
        pbx = self.pbx
        if not channel.alive or channel.stasis_app is None:
            return
        if channel.bridge is not None:
            pbx.bridging.leave(channel)
        self.leave(channel, "continue")
        if channel.stasis_exec:
            channel.continued = True
        channel.pbx = True
        pbx.dialplan.run(channel, context, exten, priority)

    def move(self, channel: Channel, app: str, args: list[str]) -> None:
        pbx = self.pbx
        if not channel.alive or channel.stasis_app is None:
            return
        if not pbx.bus.is_registered(app):
            pbx.bus.move_failed(channel, app, args)
            return
        old = channel.stasis_app
        pbx.bus.stasis_end(channel, old)
        pbx.bus.unsubscribe_channel(old, channel)
        channel.stasis_app = app
        pbx.bus.subscribe_channel(app, channel)
        pbx.bus.stasis_start(channel, app, args)

    def redirect(self, channel: Channel, resource: str) -> None:
        """A redirect is a SIP 302 on PJSIP/SIP (the phone leaves); Local and UnicastRTP
        channels accept the request and do nothing, as the captures show."""
        if not channel.alive:
            return
        if channel.endpoint is not None:
            self.pbx.hangup(channel, 16, "peer")
