"""The capture PBX's default dialplan, and a small interpreter for it.

The interpreter runs priorities synchronously until an application blocks (a wait, music on
hold, Stasis); a wait is a loop timer, not a task, so ten thousand parked channels cost
nothing but their objects. ChannelDialplan events follow Asterisk's rule (see
`Pbx.set_location`), which is why e.g. an originated channel starting at `100,1` shows no
event for that first NoOp.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from .state import Channel
from .variables import expand

if TYPE_CHECKING:  # pragma: no cover
    from .pbx import Pbx

# Answer() on a channel that was not yet up pauses before the next priority (Asterisk waits
# for media; the captures show ~0.5 s before MusicOnHold/Echo/Playback).
ANSWER_DELAY = 0.5


@dataclass(frozen=True, slots=True)
class Step:
    app: str
    data: str = ""
    label: str | None = None


def _ext(*steps: Step) -> list[Step]:
    return list(steps)


DEFAULT_CONTEXTS: dict[str, dict[str, list[Step]]] = {
    "default": {
        "100": _ext(Step("NoOp", "ext 100: answer + music on hold"), Step("Answer"),
                    Step("MusicOnHold", "default")),
        "101": _ext(Step("NoOp", "ext 101: answer + echo"), Step("Answer"), Step("Echo")),
        "102": _ext(Step("NoOp", "ext 102: answer + playback loop"), Step("Answer"),
                    Step("Playback", "hello-world", label="loop"), Step("Wait", "1"), Step("Goto", "loop")),
        "103": _ext(Step("NoOp", "ext 103: answer + long wait"), Step("Answer"), Step("Wait", "3600")),
        "104": _ext(Step("NoOp", "ext 104: ringing, never answered"), Step("Ringing"), Step("Wait", "3600")),
        "105": _ext(Step("Busy", "10")),
        "106": _ext(Step("Congestion", "10")),
        "107": _ext(Step("NoOp", "ext 107: answer, wait 2 s, hang up"), Step("Answer"), Step("Wait", "2"),
                    Step("Hangup", "16")),
        "108": _ext(Step("NoOp", "ext 108: answer + send DTMF 123#"), Step("Answer"), Step("SendDTMF", "123#"),
                    Step("Wait", "3600")),
        "200": _ext(Step("NoOp", "ext 200: answer + Stasis dashboard"), Step("Answer"),
                    Step("Stasis", "dashboard,from-dialplan"),
                    Step("NoOp", "left Stasis: STASISSTATUS=${STASISSTATUS}"), Step("Hangup")),
        "201": _ext(Step("NoOp", "ext 201: Stasis dashboard, not answered"), Step("Stasis", "dashboard,ringing")),
        "202": _ext(Step("NoOp", "ext 202: answer + Stasis dashboard2"), Step("Answer"), Step("Stasis", "dashboard2"),
                    Step("NoOp", "left Stasis: STASISSTATUS=${STASISSTATUS}"), Step("Hangup")),
        "300": _ext(Step("NoOp", "ext 300: continued from Stasis"), Step("Answer"), Step("Playback", "beep"),
                    Step("Wait", "3600"), Step("NoOp", "labelled priority", label="label300"), Step("Wait", "3600")),
        "h": _ext(Step("NoOp", "hangup ${CHANNEL} cause ${HANGUPCAUSE}")),
    },
}

# Durations (seconds) of the sounds the simulator "has"; anything else fails to play, as a
# missing file does on Asterisk.
SOUNDS = {
    "hello-world": 1.4,
    "beep": 0.42,
    "demo-congrats": 5.2,
    "demo-thanks": 3.1,
    "tt-monkeys": 7.8,
    "tt-weasels": 3.4,
    "vm-goodbye": 0.7,
    "conf-onlyperson": 2.2,
    "queue-periodic-announce": 3.0,
    "silence/1": 1.0,
    "silence/2": 2.0,
    "pbx-transfer": 1.1,
    "agent-pass": 1.0,
    "privacy-thankyou": 1.2,
}


class _Outcome:
    __slots__ = ("kind", "seconds", "target", "after")

    def __init__(self, kind: str, seconds: float = 0.0, target: tuple | None = None,
                 after: Callable[[], None] | None = None):
        self.kind = kind
        self.seconds = seconds
        self.target = target
        self.after = after


NEXT = None
BLOCK = _Outcome("block")
END = _Outcome("end")


def wait(seconds: float, after: Callable[[], None] | None = None) -> _Outcome:
    return _Outcome("wait", seconds=seconds, after=after)


def jump(context: str, exten: str, priority: int) -> _Outcome:
    return _Outcome("jump", target=(context, exten, priority))


class Dialplan:
    def __init__(self, pbx: "Pbx", contexts: dict | None = None):
        self.pbx = pbx
        self.contexts = copy.deepcopy(contexts or DEFAULT_CONTEXTS)

    # --- lookups ------------------------------------------------------------------------

    def steps(self, context: str, exten: str) -> list[Step] | None:
        return self.contexts.get(context, {}).get(exten)

    def exists(self, context: str, exten: str, priority: int = 1) -> bool:
        steps = self.steps(context, exten)
        return bool(steps) and 1 <= priority <= len(steps)

    def find_label(self, context: str, exten: str, label: str) -> int | None:
        for index, step in enumerate(self.steps(context, exten) or (), start=1):
            if step.label == label:
                return index
        return None

    # --- execution ----------------------------------------------------------------------

    def run(self, channel: Channel, context: str, exten: str, priority: int) -> None:
        """Execute from (context, exten, priority) until an application blocks."""
        pbx = self.pbx
        while channel.alive and not channel.hanging and channel.pbx:
            steps = self.steps(context, exten)
            if not steps or not 1 <= priority <= len(steps):
                if steps and priority > len(steps):
                    # Fell off the end of the extension: the PBX hangs up normally.
                    channel.hangupcause = channel.hangupcause or 16
                    pbx.dialplan_finished(channel)
                else:
                    pbx.dialplan_missing(channel, context, exten, priority)
                return
            step = steps[priority - 1]
            data = expand(channel, step.data)
            pbx.set_location(channel, context, exten, priority, step.app, data)
            app = _APPS.get(step.app.lower(), _app_noop)
            outcome = app(self, channel, data)
            if not channel.alive or channel.hanging:
                return  # the application ended the call (busy far end, failed Stasis, ...)
            if outcome is NEXT:
                priority += 1
                continue
            if outcome.kind == "jump":
                context, exten, priority = outcome.target
                continue
            if outcome.kind == "wait":
                channel.timers["pbx"] = pbx.later(outcome.seconds, self._resume, channel, context, exten,
                                                  priority + 1, outcome.after)
                return
            if outcome.kind == "end":
                pbx.dialplan_finished(channel)
            return  # blocked: music on hold, echo, Stasis

    def _resume(self, channel: Channel, context: str, exten: str, priority: int,
                after: Callable[[], None] | None) -> None:
        channel.timers.pop("pbx", None)
        if not channel.alive or channel.hanging:
            return
        if after is not None:
            after()
            if not channel.alive or channel.hanging or not channel.pbx:
                return
        self.run(channel, context, exten, priority)

    def goto_target(self, channel: Channel, data: str) -> tuple[str, str, int] | None:
        parts = [p.strip() for p in data.split(",")] if data else []
        context, exten = channel.context, channel.exten
        if len(parts) == 1:
            where = parts[0]
        elif len(parts) == 2:
            exten, where = parts
        elif len(parts) == 3:
            context, exten, where = parts
        else:
            return None
        if where.isdigit():
            return context, exten, int(where)
        label = self.find_label(context, exten, where)
        return (context, exten, label) if label else None


# --- applications ---------------------------------------------------------------------------
# Each returns NEXT (go on), or an outcome: wait, jump, BLOCK, END.


def _app_noop(dp: Dialplan, channel: Channel, data: str):
    return NEXT


def _app_answer(dp: Dialplan, channel: Channel, data: str):
    if channel.state == "Up":
        return NEXT
    dp.pbx.answer(channel)
    return wait(ANSWER_DELAY)


def _app_moh(dp: Dialplan, channel: Channel, data: str):
    channel.moh_class = data or "default"
    channel.extra["audio"] = True
    return BLOCK


def _app_block(dp: Dialplan, channel: Channel, data: str):
    return BLOCK


def _app_playback(dp: Dialplan, channel: Channel, data: str):
    files = [name for name in data.split(",")[0].split("&") if name]
    if not files or any(name not in SOUNDS for name in files):
        dp.pbx.set_variable_raw(channel, "PLAYBACKSTATUS", "FAILED")
        return NEXT
    seconds = sum(SOUNDS[name] for name in files)
    channel.extra["audio"] = True
    return wait(seconds, after=lambda: dp.pbx.set_variable_raw(channel, "PLAYBACKSTATUS", "SUCCESS"))


def _app_wait(dp: Dialplan, channel: Channel, data: str):
    try:
        seconds = float(data or 0)
    except ValueError:
        seconds = 0.0
    return wait(max(0.0, seconds))


def _app_goto(dp: Dialplan, channel: Channel, data: str):
    target = dp.goto_target(channel, data)
    if target is None:
        channel.hangupcause = 0
        return END
    return jump(*target)


def _app_ringing(dp: Dialplan, channel: Channel, data: str):
    dp.pbx.indicate_ringing(channel)
    return NEXT


def _app_progress(dp: Dialplan, channel: Channel, data: str):
    dp.pbx.indicate_progress(channel)
    return NEXT


def _timeout_or_forever(data: str) -> float | None:
    try:
        seconds = float(data) if data else 0.0
    except ValueError:
        seconds = 0.0
    return seconds if seconds > 0 else None


def _app_busy(dp: Dialplan, channel: Channel, data: str):
    dp.pbx.indicate_busy(channel)
    seconds = _timeout_or_forever(data)
    return BLOCK if seconds is None else _Outcome("wait", seconds=seconds, after=lambda: dp.pbx.dialplan_finished(channel))


def _app_congestion(dp: Dialplan, channel: Channel, data: str):
    dp.pbx.indicate_congestion(channel)
    seconds = _timeout_or_forever(data)
    return BLOCK if seconds is None else _Outcome("wait", seconds=seconds, after=lambda: dp.pbx.dialplan_finished(channel))


def _app_hangup(dp: Dialplan, channel: Channel, data: str):
    cause = data.strip()
    channel.hangupcause = int(cause) if cause.isdigit() else 16
    return END


def _app_stasis(dp: Dialplan, channel: Channel, data: str):
    parts = data.split(",")
    app, args = parts[0], [a for a in parts[1:]]
    if dp.pbx.stasis.enter(channel, app or None, args, app_data=data, from_pbx=True):
        return BLOCK
    return NEXT


def _app_senddtmf(dp: Dialplan, channel: Channel, data: str):
    digits = data.split(",")[0]
    return wait(dp.pbx.media.send_dtmf(channel, digits, 0, 100, 250, 0))


def _app_set(dp: Dialplan, channel: Channel, data: str):
    name, _, value = data.partition("=")
    if name:
        dp.pbx.set_variable_raw(channel, name.strip(), value)
    return NEXT


_APPS: dict[str, Callable] = {
    "noop": _app_noop,
    "verbose": _app_noop,
    "log": _app_noop,
    "answer": _app_answer,
    "musiconhold": _app_moh,
    "echo": _app_block,
    "playtones": _app_block,
    "playback": _app_playback,
    "wait": _app_wait,
    "goto": _app_goto,
    "ringing": _app_ringing,
    "progress": _app_progress,
    "busy": _app_busy,
    "congestion": _app_congestion,
    "hangup": _app_hangup,
    "stasis": _app_stasis,
    "senddtmf": _app_senddtmf,
    "set": _app_set,
}
