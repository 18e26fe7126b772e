"""Operations whose 2xx is not their outcome: Asterisk accepts the request, then tells by an event
whether it happened (a move to an application nobody serves answers 204, then ApplicationMoveFailed).

`outcome()` runs the ARI request and, for the operations in TABLE, waits briefly for the event that
decides: success returns the result, a failure raises Failed with words for a person. It listens to
the process's replica, the only place a web process sees ARI events (the listener may be another
process), from before the request is sent so that no event is missed.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from .access import endpoint_of
from .workflows.causes import DIAL_FAILURES, from_cause

# How long an operation may take to show its outcome before we stop waiting.
WINDOW_SECONDS = 2.0
# How long an originated channel is watched for an end at once (the sooner a successful originate answers).
ORIGINATE_WINDOW_SECONDS = 0.5
# A failure that comes right after a start (a missing sound: PlaybackStarted, then PlaybackFinished
# "failed") may arrive in the next live flush: a start counts once this long passed without one.
SETTLE_SECONDS = 0.3


class Failed(Exception):
    """Asterisk accepted the request but the operation did not happen, or could not be confirmed."""

    def __init__(self, message: str, code: str, status: int = 422):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


@dataclass
class Request:
    action: str
    server: str
    channel_id: str
    channel_name: str
    kwargs: dict
    result: Any

    def uid(self, channel_id: str | None = None) -> str:
        return f"{self.server}:{channel_id or self.channel_id}"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str = ""
    settle: bool = False  # a start: success unless a failure follows within SETTLE_SECONDS


OK = Verdict(True)
STARTED = Verdict(True, settle=True)
GONE = Verdict(False, "the channel hung up before it happened")


def _about(req: Request, items: list[dict], channel_id: str | None = None):
    """The items about the operation's channel (or `channel_id`), with their outcome fields."""
    uid = req.uid(channel_id)
    return ((item, item.get("outcome") or {}) for item in items if item["uid"] == uid)


# -- the table: each judges the items seen so far (oldest first); None means "not decided yet" ---

def _move(req: Request, items: list[dict]) -> Verdict | None:
    for item, _ in _about(req, items):
        if item["type"] == "ApplicationMoveFailed":
            return Verdict(False, f"the channel stayed where it was: no application called {req.kwargs.get('app')} "
                                  "is connected to Asterisk")
        if item["type"] == "StasisEnd":
            return OK
        if item["type"] == "ChannelDestroyed":
            return GONE
    return None


def _continue(req: Request, items: list[dict]) -> Verdict | None:
    left = False
    for item, _ in _about(req, items):
        if item["type"] == "StasisEnd":
            left = True
        elif left and item["type"] == "ChannelDialplan":
            return OK
        elif item["type"] == "ChannelDestroyed":
            if not left:
                return GONE
            k = req.kwargs
            where = ",".join(str(p) for p in (k.get("context"), k.get("extension"), k.get("label") or k.get("priority"))
                             if p) or "the next priority"
            return Verdict(False, f"Asterisk hung the call up: its dialplan has nothing at {where}")
    return None


def _redirect(req: Request, items: list[dict]) -> Verdict | None:
    for item, _ in _about(req, items):
        if item["type"] in ("ChannelHangupRequest", "StasisEnd", "ChannelDestroyed"):
            return OK  # the phone was sent elsewhere: its channel here ends
    return None


def _playback(req: Request, items: list[dict]) -> Verdict | None:
    started = None
    for item, outcome in _about(req, items):
        if item["type"] == "ChannelDestroyed":
            return GONE
        if outcome.get("ref") != req.result.id:
            continue
        if item["type"] == "PlaybackFinished" and outcome.get("state") == "failed":
            return Verdict(False, f"Asterisk could not play {outcome.get('media')}: no such sound or recording")
        if item["type"].startswith("Playback"):
            started = STARTED
    return started


def _recording(req: Request, items: list[dict]) -> Verdict | None:
    for item, outcome in _about(req, items):
        if item["type"] == "ChannelDestroyed":
            return GONE
        if outcome.get("ref") != req.result.name:
            continue
        if item["type"] == "RecordingFailed":
            cause = outcome.get("cause") or "no cause given"
            if "bridge" in cause:
                return Verdict(False, "nothing was recorded: Asterisk cannot record a channel while it is in a "
                                      f"bridge (on a call with someone) ({cause})")
            return Verdict(False, f"nothing was recorded: {cause}")
        if item["type"] in ("RecordingStarted", "RecordingFinished"):
            return OK
    return None


def _ended_at_once(outcome: dict) -> Verdict:
    cause = outcome.get("cause", 16)
    return Verdict(False, f"the call ended at once: {'no such extension' if cause == 0 else from_cause(cause)[1]}")


def _dial(req: Request, items: list[dict]) -> Verdict | None:
    for item, outcome in _about(req, items):
        status = outcome.get("status")
        if item["type"] == "Dial" and status in DIAL_FAILURES:
            return Verdict(False, f"the dial failed: {DIAL_FAILURES[status][1]}")
        if item["type"] == "Dial" and status in ("RINGING", "PROGRESS", "ANSWER"):
            return OK
        if item["type"] == "ChannelDestroyed":
            return _ended_at_once(outcome)
    return None


def _originate(req: Request, items: list[dict]) -> Verdict | None:
    """Asterisk answers an originate with the new channel, then may destroy it at once (an extension or
    context that does not exist, an endpoint that cannot be dialled): that is not a call made."""
    answered = False
    for item, outcome in _about(req, items, req.result.id):
        if item["type"] == "StasisStart":
            return OK
        if item["type"] == "Dial" and outcome.get("status") == "ANSWER":
            answered = True
        if item["type"] == "ChannelDestroyed":
            if answered and req.kwargs.get("app"):
                return Verdict(False, f"the call was answered, then ended: no application called {req.kwargs['app']} "
                                      "is connected to Asterisk")
            return _ended_at_once(outcome)
    return None


def _snoop(req: Request, items: list[dict]) -> Verdict | None:
    for item, _ in _about(req, items, req.result.id):
        if item["type"] == "StasisStart":
            return OK
        if item["type"] == "ChannelDestroyed":
            return Verdict(False, f"the snoop channel ended at once: no application called {req.kwargs.get('app')} "
                                  "is connected to Asterisk")
    return None


def _unconfirmed(what: str) -> Callable[[Request], Failed]:
    return lambda req: Failed(f"Asterisk accepted the {what} but did not confirm it within {WINDOW_SECONDS:g} s",
                              "unconfirmed", 504)


def _redirect_timeout(req: Request) -> Failed:
    tech = endpoint_of(req.channel_name).partition("/")[0]
    if tech in ("SIP", "PJSIP"):
        return _unconfirmed("redirect")(req)
    return Failed(f"nothing happened: Asterisk accepts a redirect of a {tech or 'this'} channel and ignores it; "
                  "only SIP and PJSIP phones can be redirected", "redirect_failed")


@dataclass(frozen=True)
class Step:
    judge: Callable[[Request, list[dict]], Verdict | None]
    # Nothing decided within the window: None if ARI's answer is the outcome so far (a playback queued
    # behind another, a dial still ringing), else the failure to report.
    on_timeout: Callable[[Request], Failed] | None = None
    window: float = WINDOW_SECONDS


TABLE: dict[str, Step] = {
    "move": Step(_move, _unconfirmed("move")),
    "continue_in_dialplan": Step(_continue, _unconfirmed("continue")),
    "redirect": Step(_redirect, _redirect_timeout),
    "play": Step(_playback),
    "play_with_id": Step(_playback),
    "record": Step(_recording),
    "dial": Step(_dial),
    "snoop_channel": Step(_snoop),
    "snoop_channel_with_id": Step(_snoop),
    # Only an end at once can be told apart from a call that rings: a short look, then ARI's answer stands.
    "originate": Step(_originate, window=ORIGINATE_WINDOW_SECONDS),
    "originate_with_id": Step(_originate, window=ORIGINATE_WINDOW_SECONDS),
}


class _Watch:
    """A replica listener that keeps one server's timeline items while an operation is confirmed."""

    def __init__(self, server: str):
        self.prefix = f"{server}:"
        self.items: list[dict] = []
        self.arrived = asyncio.Event()

    def push(self, batch) -> None:
        self.items.extend(i for i in batch.events if i["uid"].startswith(self.prefix))
        self.arrived.set()


async def outcome(action: str, replica, server: str, channel_id: str | None, kwargs: dict,
                  request: Coroutine[Any, Any, Any]) -> Any:
    """Run `request` (the ARI call) and return its result once Asterisk showed that it happened."""
    step = TABLE.get(action)
    if step is None:
        return await request
    watch = _Watch(server)
    replica.listeners.add(watch)
    try:
        result = await request
        entry = replica.registry.get((server, channel_id)) if channel_id else None
        req = Request(action, server, channel_id or "", entry.channel.name if entry else "", kwargs, result)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + step.window
        started = None
        while True:
            verdict = step.judge(req, watch.items)
            if verdict is not None and not verdict.ok:
                raise Failed(verdict.message, f"{action}_failed")
            if verdict is not None:
                started = started or loop.time()
                if not verdict.settle or loop.time() - started >= SETTLE_SECONDS:
                    return result
            if loop.time() >= deadline:
                if step.on_timeout is None:
                    return result
                raise step.on_timeout(req)
            until = min(deadline, started + SETTLE_SECONDS) if started else deadline
            watch.arrived.clear()
            try:
                await asyncio.wait_for(watch.arrived.wait(), max(0.0, until - loop.time()))
            except TimeoutError:
                pass
    finally:
        replica.listeners.discard(watch)
