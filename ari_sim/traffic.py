"""Demo traffic: a seeded, repeatable mix of office calls at a steady random rate.

Arrivals are Poisson (`--calls-per-second`, in simulated time: `--time-scale` speeds them up
too). Every arrival draws one `CallPlan` from the seeded generator and places it:

- customers calling in on `PJSIP/trunk` (varied caller ids, some names not ASCII) to the main
  number (the queue: announcement, music on hold, then an agent through the routing app) or to
  an agent's direct line (through the routing app);
- office phones calling each other (through the routing app), calling out (0/9 + number,
  through the routing app to `PJSIP/trunk/<number>`; some numbers are busy or do not answer),
  or calling the capture PBX's test extensions in `default` (calls that stay in the dialplan,
  short ones, busy, ringing unanswered);
- during a call, now and then: the phone holds and resumes, presses DTMF keys, or the call is
  blind-transferred (a queue caller to an agent's line, a dialplan call to another extension);
  the agent's side hangs up first on some routed calls;
- every `stuck_every`-th call (200) is a stuck channel that never ends by itself (a customer
  ringing a line nobody answers, or a phone left in music on hold), at most `stuck_max` (10)
  of them alive at a time.

The routed calls need the routing app (the dashboard, `--route-app`) connected; without it
their Stasis() fails and they end at once (queue callers go back to waiting). Each call costs
O(1): its choices are drawn when it is placed and its actions run from at most two timers on
the caller's channel, cancelled with it. No call is placed while `max_channels` channels exist.

A seed makes the sequence of plans repeatable (their timings follow the loop's clock); the
plans depend only on the seed and their index, never on what the PBX is doing.
"""
from __future__ import annotations

import random
from bisect import bisect
from collections import Counter, deque
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING, Optional

from .dialplan import DEAD_LINE, DIRECT_LINES, MAIN_NUMBER
from .phones import TRUNK_FAILURES

if TYPE_CHECKING:  # pragma: no cover
    from .server import Simulator
    from .state import Channel

TRUNK = "trunk"
# The office phones (resource, number, how often they call).
OFFICE = (("alice", "1001", 4), ("bob", "1002", 4), ("carol", "1003", 4), ("dave", "1004", 4), ("erin", "1005", 4),
          ("supervisor1", "2001", 1), ("supervisor2", "2002", 1), ("noc1", "3001", 1), ("admin1", "9001", 1))
AGENT_NUMBERS = ("1001", "1002", "1003", "1004", "1005")

# (kind, weight per 100 calls)
KINDS = (("queue", 20), ("direct", 12), ("internal", 12), ("outbound", 14), ("dialplan", 40), ("wrong", 2))
ROUTED = frozenset(("queue", "direct", "internal", "outbound"))
# The capture PBX's extensions office phones call: stay up (100-103, 108), short (107), busy
# (105), ringing unanswered (104).
DIALPLAN_EXTENSIONS = (("100", 4), ("101", 2), ("102", 3), ("103", 4), ("104", 1), ("105", 1), ("107", 2), ("108", 1))
# Outbound: how the far end answers (the trunk fails numbers ending in 17/19/20/21).
OUTBOUND_OUTCOMES = (("answer", 84), ("17", 7), ("19", 6), ("20", 1.5), ("21", 1.5))
AREA_CODES = ("30", "40", "69", "89", "221", "711", "341")

CUSTOMER_NAMES = (
    "José Müller", "Zoë Ångström", "Łukasz Żółkiewski", "Søren Kierkegård", "Chloé Dubois", "Björk Guðmundsdóttir",
    "Nguyễn Văn An", "山田 太郎", "Ольга Петрова", "François Lefèvre", "Ana Conceição", "Ömer Yılmaz",
    "María José Peña", "Jürgen Weiß", "Dvořák Antonín", "محمد علي", "Mary O'Brien", "John Smith", "Priya Patel",
    "Chen Wei", "Emma Johnson", "Lars Nilsson", "", "",
)
COUNTRY_CODES = (("+49", 10), ("+33", 9), ("+44", 10), ("+1", 10), ("+34", 9), ("+46", 9), ("+48", 9), ("+81", 10))
DTMF_KEYS = "0123456789*"

MEAN_TALK_SECONDS = 60.0
MIN_TALK_SECONDS = 4.0
MAX_TALK_SECONDS = 900.0
SHORT_CALLS = 0.12           # share of calls that end after 1-6 s
HOLD_SHARE = 0.2
DTMF_SHARE = 0.15
TRANSFER_SHARE = 0.15        # of queue calls and of calls to 100/103
AGENT_HANGS_UP_SHARE = 0.35  # of routed calls: the far side hangs up first
STUCK_EVERY = 200
STUCK_OFFSET = 20            # the first stuck call is the 21st, so a demo shows one early
STUCK_MAX = 10
RECENT = 50


def _cumulative(pairs) -> tuple[tuple, list]:
    names, weights = zip(*pairs)
    return names, list(accumulate(weights))


_KINDS = _cumulative(KINDS)
_DIALPLAN = _cumulative(DIALPLAN_EXTENSIONS)
_OUTCOMES = _cumulative(OUTBOUND_OUTCOMES)
_OFFICE = _cumulative([(entry[:2], entry[2]) for entry in OFFICE])


@dataclass(slots=True)
class CallPlan:
    index: int
    kind: str
    source: str               # the calling endpoint's resource ("trunk" for customers)
    context: str
    exten: str
    talk: Optional[float]     # seconds from placing until someone hangs up; None: never (stuck)
    caller_name: Optional[str] = None
    caller_number: Optional[str] = None
    far_end_hangs_up: bool = False
    # (seconds after placing, action, argument): "hold" (argument: seconds held), "dtmf"
    # (digits), "transfer" ((context, exten)); in time order.
    actions: list = field(default_factory=list)
    stuck: bool = False

    def to_json(self) -> dict:
        return {"index": self.index, "kind": self.kind, "from": f"PJSIP/{self.source}", "context": self.context,
                "exten": self.exten, "caller_number": self.caller_number, "caller_name": self.caller_name,
                "talk": None if self.talk is None else round(self.talk, 3), "stuck": self.stuck,
                "actions": [[round(at, 3), what, arg if not isinstance(arg, tuple) else list(arg)]
                            for at, what, arg in self.actions]}


def _pick(rng: random.Random, table: tuple[tuple, list]):
    names, cumulative = table
    return names[bisect(cumulative, rng.random() * cumulative[-1])]


class Planner:
    """Draws call plans from one seeded generator; plan n depends only on the seed and n."""

    def __init__(self, seed: int | None = None, stuck_every: int = STUCK_EVERY):
        self.random = random.Random(seed)
        self.index = 0
        self.stuck_every = stuck_every
        self.stuck_placed = 0

    def seed(self, seed: int | None) -> None:
        self.random.seed(seed)
        self.index = 0
        self.stuck_placed = 0

    def next(self) -> CallPlan:
        rng = self.random
        index = self.index
        self.index += 1
        kind = _pick(rng, _KINDS)
        plan = getattr(self, f"_{kind}")(rng, index)
        plan.talk = self._talk(rng)
        self._extras(rng, plan)
        return plan

    def stuck_due(self, index: int) -> bool:
        every = self.stuck_every
        return every > 0 and index % every == STUCK_OFFSET % every

    def stuck(self, index: int) -> CallPlan:
        """The `stuck_placed`-th stuck call: a customer ringing a dead line, or a phone left in
        music on hold; neither has a hangup timer."""
        which = self.stuck_placed % 2
        self.stuck_placed += 1
        if which == 0:
            plan = CallPlan(index, "stuck-ringing", TRUNK, "from-trunk", DEAD_LINE, None,
                            caller_name="Fax Machine", caller_number="+4930555010")
        else:
            plan = CallPlan(index, "stuck-up", "noc1", "default", "100", None)
        plan.stuck = True
        return plan

    # --- kinds -------------------------------------------------------------------------------

    @staticmethod
    def _customer(rng: random.Random) -> tuple[str, str]:
        if rng.random() < 0.04:
            return "", "anonymous"
        name = rng.choice(CUSTOMER_NAMES)
        code, digits = rng.choice(COUNTRY_CODES)
        number = code + str(rng.randrange(10 ** (digits - 1), 10 ** digits))
        return name, number

    def _queue(self, rng, index) -> CallPlan:
        name, number = self._customer(rng)
        return CallPlan(index, "queue", TRUNK, "from-trunk", MAIN_NUMBER, 0.0, caller_name=name,
                        caller_number=number)

    def _direct(self, rng, index) -> CallPlan:
        name, number = self._customer(rng)
        return CallPlan(index, "direct", TRUNK, "from-trunk", rng.choice(DIRECT_LINES), 0.0, caller_name=name,
                        caller_number=number)

    def _wrong(self, rng, index) -> CallPlan:
        name, number = self._customer(rng)
        return CallPlan(index, "wrong", TRUNK, "from-trunk", f"555{rng.randrange(1000, 10000)}", 0.0,
                        caller_name=name, caller_number=number)

    def _internal(self, rng, index) -> CallPlan:
        source, own = _pick(rng, _OFFICE)
        callee = own
        while callee == own:
            callee = _pick(rng, _OFFICE)[1]
        return CallPlan(index, "internal", source, "from-phones", callee, 0.0)

    def _outbound(self, rng, index) -> CallPlan:
        source, _ = _pick(rng, _OFFICE)
        number = rng.choice(AREA_CODES) + str(rng.randrange(1_000_000, 10_000_000))
        outcome = _pick(rng, _OUTCOMES)
        if outcome != "answer":
            number = number[:-2] + outcome
        elif number[-2:] in TRUNK_FAILURES:
            number = number[:-1] + "5"
        prefix = "0" if rng.random() < 0.7 else "9"
        return CallPlan(index, "outbound", source, "from-phones", prefix + number, 0.0)

    def _dialplan(self, rng, index) -> CallPlan:
        source, _ = _pick(rng, _OFFICE)
        return CallPlan(index, "dialplan", source, "default", _pick(rng, _DIALPLAN), 0.0)

    # --- timing and what happens during the call --------------------------------------------

    @staticmethod
    def _talk(rng: random.Random) -> float:
        if rng.random() < SHORT_CALLS:
            return rng.uniform(1.0, 6.0)
        return min(MAX_TALK_SECONDS, max(MIN_TALK_SECONDS, rng.expovariate(1 / MEAN_TALK_SECONDS)))

    @staticmethod
    def _extras(rng: random.Random, plan: CallPlan) -> None:
        talk = plan.talk
        # Always the same number of draws, whatever the kind: plans stay aligned.
        hold, dtmf, transfer, far_end = rng.random(), rng.random(), rng.random(), rng.random()
        hold_at, hold_for = rng.uniform(0.2, 0.6) * talk, rng.uniform(3.0, 20.0)
        dtmf_at, digits = rng.uniform(0.1, 0.8) * talk, "".join(rng.choices(DTMF_KEYS, k=rng.randint(1, 4)))
        transfer_at, agent = rng.uniform(3.0, 12.0), rng.choice(AGENT_NUMBERS)
        other = rng.choice(("100", "102", "103"))
        if plan.kind in ("wrong",) or plan.exten in ("104", "105", "107"):
            return
        if hold < HOLD_SHARE and hold_at + hold_for < talk:
            plan.actions.append((hold_at, "hold", hold_for))
        if dtmf < DTMF_SHARE:
            plan.actions.append((dtmf_at, "dtmf", digits))
        if transfer < TRANSFER_SHARE and transfer_at < talk:
            if plan.kind == "queue":
                plan.actions.append((transfer_at, "transfer", ("from-phones", agent)))
            elif plan.kind == "dialplan" and plan.exten in ("100", "103") and other != plan.exten:
                plan.actions.append((transfer_at, "transfer", ("default", other)))
        plan.actions.sort(key=lambda action: action[0])
        plan.far_end_hangs_up = plan.kind in ROUTED and far_end < AGENT_HANGS_UP_SHARE


class Traffic:
    def __init__(self, sim: "Simulator", calls_per_second: float, seed: int | None = None):
        self.sim = sim
        self.rate = calls_per_second
        self.seed = seed
        self.planner = Planner(seed)
        # Arrival times draw from a generator of their own: plan n stays plan n however calls
        # are placed (timer or `place_call()`).
        self.arrivals = random.Random(None if seed is None else f"arrivals-{seed}")
        self.max_channels = sim.config.max_channels
        self.stuck_max = STUCK_MAX
        self.placed = 0
        self.skipped = 0
        self.kinds: Counter = Counter()
        self.recent: deque[dict] = deque(maxlen=RECENT)
        self.stuck_ids: list[str] = []
        self._timer = None
        self._next_at: float | None = None

    @property
    def random(self) -> random.Random:
        return self.planner.random

    # --- control ----------------------------------------------------------------------------

    def start(self) -> None:
        self.stop()
        self._next_at = None
        if self.rate > 0:
            self._schedule()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def set_rate(self, calls_per_second: float) -> None:
        self.rate = calls_per_second
        self.start()

    def reseed(self, seed: int | None) -> None:
        """Start the sequence of plans (and the dialplan's RAND) over from `seed`."""
        self.seed = seed
        self.planner.seed(seed)
        self.arrivals.seed(None if seed is None else f"arrivals-{seed}")
        pbx = self.sim.pbx
        if pbx is not None:
            pbx.dialplan.random.seed(seed)
        self.placed = self.skipped = 0
        self.kinds.clear()
        self.recent.clear()
        self.stuck_ids.clear()

    def reset(self) -> None:
        """Stopped, back to the configured seed and limits (`/_sim/reset`)."""
        self.rate = 0
        self.stop()
        self.max_channels = self.sim.config.max_channels
        self.stuck_max = STUCK_MAX
        self.planner.stuck_every = STUCK_EVERY
        self.reseed(self.sim.config.seed)

    def _schedule(self) -> None:
        # On an absolute timeline: a timer fires a little late, and scheduling each arrival from
        # the late one would lower the rate (by a quarter at 400 calls/s). A loop that fell more
        # than a second behind starts over from now rather than bursting.
        pbx = self.sim.pbx
        now = pbx.loop.time()
        if self._next_at is None or self._next_at < now - 1.0:
            self._next_at = now
        self._next_at += self.arrivals.expovariate(self.rate) * pbx.scale
        self._timer = pbx.loop.call_at(self._next_at, self._arrival)

    def _arrival(self) -> None:
        self._timer = None
        self.place_call()
        if self.rate > 0:
            self._schedule()

    # --- placing calls ----------------------------------------------------------------------

    def live_stuck(self) -> int:
        channels = self.sim.pbx.channels
        self.stuck_ids = [channel_id for channel_id in self.stuck_ids if channel_id in channels]
        return len(self.stuck_ids)

    def next_plan(self) -> CallPlan:
        plan = self.planner.next()
        if self.planner.stuck_due(plan.index) and self.live_stuck() < self.stuck_max:
            plan = self.planner.stuck(plan.index)
        return plan

    def place_call(self) -> str | None:
        """Place the next planned call; its channel id, or None when the channel cap is reached."""
        plan = self.next_plan()
        pbx = self.sim.pbx
        entry = plan.to_json()
        self.recent.append(entry)
        # A routed call makes a second channel: leave room for it.
        if len(pbx.channels) + (2 if plan.kind in ROUTED else 1) > self.max_channels:
            self.skipped += 1
            entry["channel_id"] = None
            return None
        endpoint = pbx.phones.get("PJSIP", plan.source)
        snapshot = pbx.inbound_call(endpoint, exten=plan.exten, context=plan.context,
                                    caller_name=plan.caller_name, caller_number=plan.caller_number,
                                    channel_id=None)
        channel = pbx.channels[snapshot["id"]]
        entry["channel_id"] = channel.id
        entry["caller_name"], entry["caller_number"] = channel.caller_name, channel.caller_number
        self.placed += 1
        self.kinds[plan.kind] += 1
        if plan.stuck:
            self.stuck_ids.append(channel.id)
            return channel.id
        channel.timers["traffic"] = pbx.later(plan.talk, self._end_call, channel, plan.far_end_hangs_up)
        if plan.actions:
            self._next_action(channel, plan.actions, 0, 0.0)
        return channel.id

    def _next_action(self, channel: "Channel", actions: list, index: int, now: float) -> None:
        at, what, arg = actions[index]
        channel.timers["traffic-act"] = self.sim.pbx.later(at - now, self._act, channel, actions, index)

    def _act(self, channel: "Channel", actions: list, index: int) -> None:
        channel.timers.pop("traffic-act", None)
        if not channel.alive or channel.hanging:
            return
        pbx = self.sim.pbx
        at, what, arg = actions[index]
        if what == "hold":
            side = self._near_side(channel)
            if side is not None:
                pbx.phone_hold(side)
                side.timers["traffic-unhold"] = pbx.later(arg, self._unhold, side)
        elif what == "dtmf":
            pbx.phone_dtmf(self._near_side(channel) or channel, arg)
        elif what == "transfer":
            pbx.blind_transfer(channel, *arg)
        if index + 1 < len(actions):
            self._next_action(channel, actions, index + 1, at)

    def _unhold(self, channel: "Channel") -> None:
        channel.timers.pop("traffic-unhold", None)
        self.sim.pbx.phone_unhold(channel)

    @staticmethod
    def _far_side(channel: "Channel") -> Optional["Channel"]:
        """The other phone of a routed call: the channel bridged with the caller."""
        bridge = channel.bridge
        if bridge is None:
            return None
        for other in bridge.channels:
            if other is not channel and other.endpoint is not None and other.alive:
                return other
        return None

    def _near_side(self, channel: "Channel") -> Optional["Channel"]:
        """The office phone's channel of a call: the caller when a phone called, the agent's leg
        when a customer did (None while no agent is on the call)."""
        endpoint = channel.endpoint
        if endpoint is not None and endpoint.trunk:
            return self._far_side(channel)
        return channel

    def _end_call(self, channel: "Channel", far_end_first: bool) -> None:
        channel.timers.pop("traffic", None)
        pbx = self.sim.pbx
        if far_end_first:
            other = self._far_side(channel)
            if other is not None:
                pbx.phone_hangs_up(other)
                # The routing app hangs the caller up; should it not, the caller does.
                if channel.alive and not channel.hanging:
                    channel.timers["traffic"] = pbx.later(2.0, self._end_call, channel, False)
                return
        pbx.phone_hangs_up(channel)

    # --- report ----------------------------------------------------------------------------

    def to_json(self) -> dict:
        return {"calls_per_second": self.rate, "seed": self.seed, "placed": self.placed, "skipped": self.skipped,
                "max_channels": self.max_channels, "stuck_every": self.planner.stuck_every,
                "stuck_max": self.stuck_max, "stuck": self.live_stuck(), "stuck_channels": list(self.stuck_ids),
                "route_app": self.sim.config.route_app,
                "kinds": dict(self.kinds), "recent": list(self.recent)}
