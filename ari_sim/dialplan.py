"""The capture PBX's default dialplan, the demo contexts, and a small interpreter for them.

Extensions are matched as Asterisk matches them: an exact extension first, then the most
specific pattern (`_NXX` before `_X.`; see `pattern_key`). Application data is expanded
(`${EXTEN:1}`, `${CALLERID(num)}`, `${PHONE_${EXTEN}}`, `${RAND(1,5)}`) before it runs.

The interpreter runs priorities synchronously until an application blocks (a wait, music on
hold, Stasis); a wait is a loop timer, not a task, so ten thousand parked channels cost
nothing but their objects. ChannelDialplan events follow Asterisk's rule (see
`Pbx.set_location`), which is why e.g. an originated channel starting at `100,1` shows no
event for that first NoOp.
"""
from __future__ import annotations

import copy
import random
import re
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

# [globals]: the office phones by number (the demo contexts dial `PJSIP/${PHONE_${EXTEN}}`).
DIALPLAN_GLOBALS: dict[str, str] = {
    "PHONE_1001": "alice", "PHONE_1002": "bob", "PHONE_1003": "carol", "PHONE_1004": "dave",
    "PHONE_1005": "erin", "PHONE_2001": "supervisor1", "PHONE_2002": "supervisor2", "PHONE_3001": "noc1",
    "PHONE_9001": "admin1",
}

# The numbers of the demo contexts (ari_sim/README.md, "Demo contexts").
MAIN_NUMBER = "5550100"
DIRECT_LINES = tuple(f"555010{n}" for n in range(1, 6))  # -> 1001..1005
DEAD_LINE = "5550199"  # rings for ever
QUEUE_EXTEN = "500"


def demo_contexts(route_app: str = "switchboard") -> dict[str, dict[str, list[Step]]]:
    """What a small office would have beside the capture PBX's `default`: the phones' context,
    the trunk's, and a queue. Calls that reach a phone or the trunk go through the dashboard's
    routing app: `Stasis(<route_app>,dial,<endpoint>[,timeout])`."""
    def route(target: str, timeout: str = "") -> Step:
        return Step("Stasis", f"{route_app},dial,{target}" + (f",{timeout}" if timeout else ""))

    left = Step("NoOp", "route ended: STASISSTATUS=${STASISSTATUS}")
    return {
        # What the office phones dial.
        "from-phones": {
            # 1001..1005, 2001, 2002, 3001, 9001: the phones' numbers, through the routing app.
            "_[1239]00X": _ext(Step("NoOp", "internal call ${CALLERID(num)} -> ${EXTEN}"),
                               route("PJSIP/${PHONE_${EXTEN}}", "20"), left, Step("Hangup")),
            # 0 or 9 + a number of six digits or more: out through the trunk (the README's
            # `_9X.` line, made longer so that 9001 stays admin1's: Asterisk would try `_9X.`
            # before `_[1239]00X`, a literal 9 being more specific than [1239]).
            "_0XXXXX.": _ext(Step("NoOp", "outbound call ${CALLERID(num)} -> ${EXTEN:1}"),
                             route("PJSIP/trunk/${EXTEN:1}", "60"), left, Step("Hangup")),
            "_9XXXXX.": _ext(route("PJSIP/trunk/${EXTEN:1}", "60"), left, Step("Hangup")),
            # The capture PBX's test extensions (100..108, 200..202, 300) stay reachable.
            "_[123]0X": _ext(Step("Goto", "default,${EXTEN},1")),
            QUEUE_EXTEN: _ext(Step("Goto", f"queue,{QUEUE_EXTEN},1")),
            # By endpoint name (`bob`), and the README's catch-all line as it stands.
            "_[a-z].": _ext(route("PJSIP/${EXTEN}"), left, Step("Hangup")),
            "_X.": _ext(route("PJSIP/${EXTEN}"), left, Step("Hangup")),
        },
        # Calls from customers on PJSIP/trunk; the extension is the number they dialled.
        "from-trunk": {
            MAIN_NUMBER: _ext(Step("NoOp", "main number: ${CALLERID(name)} <${CALLERID(num)}>"),
                              Step("Goto", f"queue,{QUEUE_EXTEN},1")),
            "_555010[1-5]": _ext(Step("NoOp", "direct line ${EXTEN} -> 100${EXTEN:-1}"),
                                 Step("Goto", "from-phones,100${EXTEN:-1},1")),
            DEAD_LINE: _ext(Step("NoOp", "old fax line: rings, nobody answers"), Step("Ringing"),
                            Step("Wait", "3600", label="loop"), Step("Goto", "loop")),
            "_X.": _ext(Step("NoOp", "no such number ${EXTEN}"), Step("Hangup", "1")),
        },
        # A queue: the caller hears an announcement and music on hold for a while, then an
        # agent's phone rings through the routing app; back to the queue if that fails.
        "queue": {
            QUEUE_EXTEN: _ext(Step("NoOp", "queue support: ${CALLERID(num)} waits"), Step("Answer"),
                              Step("Playback", "queue-periodic-announce", label="wait"),
                              Step("MusicOnHold", "default,${RAND(5,30)}"),
                              route("PJSIP/${PHONE_100${RAND(1,5)}}", "20"), left, Step("Goto", "wait")),
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


_PATTERN_CHARS = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]"}


def _pattern_items(pattern: str) -> list[str]:
    """A pattern's positions: `X`, `N`, `Z`, `.`, `!`, `[...]` sets or literal characters.
    Dashes outside sets are ignored, as Asterisk does (`_1-800-NXX`)."""
    items, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "[":
            end = pattern.find("]", index)
            end = len(pattern) if end < 0 else end
            items.append(pattern[index:end + 1])
            index = end + 1
            continue
        if char != "-":
            items.append(char)
        index += 1
    return items


def _set_chars(item: str) -> set[str]:
    body = item[1:-1] if item.endswith("]") else item[1:]
    chars, index = set(), 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            chars.update(chr(c) for c in range(ord(body[index]), ord(body[index + 2]) + 1))
            index += 3
        else:
            chars.add(body[index])
            index += 1
    return chars


def _position_weight(item: str) -> int:
    """Asterisk's ext_cmp_pattern_pos: how many characters a position matches (<< 8) and its
    lowest one; `.` and `!` last. The lower the weight, the more specific."""
    upper = item.upper()
    if item.startswith("["):
        chars = _set_chars(item)
        return (len(chars) << 8) | (ord(min(chars)) if chars else 0)
    if upper == "N":
        return 0x0800 | ord("2")
    if upper == "Z":
        return 0x0900 | ord("1")
    if upper == "X":
        return 0x0A00 | ord("0")
    if item == ".":
        return 0x18000
    if item == "!":
        return 0x28000
    return 0x0100 | (ord(item) & 0xFF)


def pattern_key(pattern: str) -> tuple[int, ...]:
    """Sort key of a pattern (without its `_`): position by position, the more specific first;
    where one pattern is a prefix of the other, the longer one first (end of pattern weighs
    0x30000, as in Asterisk)."""
    return tuple(_position_weight(item) for item in _pattern_items(pattern)) + (0x30000,)


def compile_pattern(pattern: str) -> re.Pattern:
    parts = []
    for item in _pattern_items(pattern):
        upper = item.upper()
        if item.startswith("["):
            parts.append("[" + "".join(re.escape(c) for c in sorted(_set_chars(item))) + "]")
        elif upper in _PATTERN_CHARS:
            parts.append(_PATTERN_CHARS[upper])
        elif item == ".":
            parts.append(".+")
        elif item == "!":
            parts.append(".*")
        else:
            parts.append(re.escape(item))
    return re.compile("".join(parts), re.DOTALL)


class _Context:
    """One context: exact extensions by name, then patterns from the most specific."""

    __slots__ = ("exact", "patterns")

    def __init__(self, extensions: dict[str, list[Step]]):
        self.exact = {name: steps for name, steps in extensions.items() if not name.startswith("_")}
        patterns = [(pattern_key(name[1:]), name, compile_pattern(name[1:]), steps)
                    for name, steps in extensions.items() if name.startswith("_")]
        patterns.sort(key=lambda item: (item[0], item[1]))
        self.patterns = [(regex, steps) for _, _, regex, steps in patterns]

    def match(self, exten: str) -> list[Step] | None:
        steps = self.exact.get(exten)
        if steps is not None:
            return steps
        for regex, steps in self.patterns:
            if regex.fullmatch(exten):
                return steps
        return None


class Dialplan:
    def __init__(self, pbx: "Pbx", contexts: dict | None = None, globals_: dict | None = None,
                 seed: int | None = None):
        self.pbx = pbx
        if contexts is None:
            route_app = getattr(getattr(pbx, "config", None), "route_app", "switchboard")
            contexts = {**DEFAULT_CONTEXTS, **demo_contexts(route_app)}
        self.contexts = copy.deepcopy(contexts)
        self.globals = dict(DIALPLAN_GLOBALS if globals_ is None else globals_)
        # ${RAND()} draws from here: seeded, the demo's queue picks the same agents each run.
        self.random = random.Random(seed)
        self._compiled = {name: _Context(extensions) for name, extensions in self.contexts.items()}

    # --- lookups ------------------------------------------------------------------------

    def steps(self, context: str, exten: str) -> list[Step] | None:
        compiled = self._compiled.get(context)
        return compiled.match(exten) if compiled is not None else None

    def exists(self, context: str, exten: str, priority: int = 1) -> bool:
        steps = self.steps(context, exten)
        return bool(steps) and 1 <= priority <= len(steps)

    def find_label(self, context: str, exten: str, label: str) -> int | None:
        for index, step in enumerate(self.steps(context, exten) or (), start=1):
            if step.label == label:
                return index
        return None

    def expand(self, channel: Channel, text: str) -> str:
        return expand(channel, text, self.pbx.global_vars, self.random)

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
            data = step.data
            if "${" in data:
                # Substitution sees where the channel is now (${EXTEN} after a Goto is the new one);
                # set_location below compares with where it was, for ChannelDialplan.
                where = channel.context, channel.exten, channel.priority
                channel.context, channel.exten, channel.priority = context, exten, priority
                data = self.expand(channel, data)
                channel.context, channel.exten, channel.priority = where
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
    moh_class, _, duration = data.partition(",")
    channel.moh_class = moh_class or "default"
    channel.extra["audio"] = True
    seconds = _timeout_or_forever(duration.strip())
    # MusicOnHold(class,duration) returns after `duration` seconds; without one it never does.
    return BLOCK if seconds is None else wait(seconds)


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
