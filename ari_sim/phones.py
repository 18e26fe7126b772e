"""The endpoints the PBX knows, and how each phone behaves when called.

All phone behaviour lives in `PhoneBehaviour` so that the control API (and tests) can change
it per endpoint: `POST /_sim/phones/PJSIP/alice {"answer_after": 2, "busy": false}`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .state import Channel


@dataclass(slots=True)
class PhoneBehaviour:
    # Seconds from the INVITE to 180 Ringing (None: the phone never rings, like an
    # unreachable SIP peer; the call then times out with cause 19 without a Ringing state).
    ring_after: float | None = 0.05
    answer_after: float = 0.3
    busy: bool = False
    # Declines the call (603): cause 21 "Call Rejected".
    reject: bool = False
    never_answer: bool = False
    # Not registered: the call fails at once with cause 20 "Subscriber absent".
    offline: bool = False
    # Seconds after answering at which the phone hangs up by itself (None: never).
    hangup_after: float | None = None
    # Sends no RTP (one-way audio, a phone gone behind NAT): the rxcount of RTP statistics
    # stops growing from the first request made while it is silent, and grows again after.
    rtp_silent: bool = False

    def update(self, data: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        for key, value in data.items():
            if key not in known:
                raise ValueError(f"unknown phone setting {key!r}; known: {', '.join(sorted(known))}")
            if key in ("busy", "reject", "never_answer", "offline", "rtp_silent"):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
            elif key in ("ring_after", "hangup_after"):
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                    raise ValueError(f"{key} must be a number of seconds >= 0, or null")
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{key} must be a number of seconds >= 0")
        for key, value in data.items():
            setattr(self, key, float(value) if isinstance(value, int) and not isinstance(value, bool) else value)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(slots=True, eq=False)
class Endpoint:
    technology: str
    resource: str
    caller_name: str
    caller_number: str
    behaviour: PhoneBehaviour
    registered: bool = True
    channels: dict = field(default_factory=dict)
    device_state: str = "NOT_INUSE"
    # How many of its calls are up, held or ringing: the device state follows from these
    # counts without looking at every call.
    counts: Counter = field(default_factory=Counter)
    # A trunk to the outside world: the number dialled on it (`PJSIP/trunk/<number>`) may fail
    # by itself (TRUNK_FAILURES); its channels are customers' calls, not a desk phone's.
    trunk: bool = False

    def behaviour_for(self, dialstring: str) -> PhoneBehaviour:
        """How this call behaves: the phone's behaviour, or for a trunk, the far end's (a
        number ending in 17/18/19/20/21 is busy / does not answer / is absent / rejects)."""
        if not self.trunk:
            return self.behaviour
        change = TRUNK_FAILURES.get(dialstring.partition("/")[2][-2:])
        return replace(self.behaviour, **change) if change else self.behaviour

    @property
    def key(self) -> str:
        return f"{self.technology}/{self.resource}"

    def state(self) -> str:
        if self.behaviour.offline:
            return "offline"
        return "online" if self.registered else "unknown"

    def to_json(self) -> dict:
        return {
            "technology": self.technology,
            "resource": self.resource,
            "state": self.state(),
            "channel_ids": list(self.channels),
        }

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.id] = channel

    def remove_channel(self, channel: Channel) -> None:
        self.channels.pop(channel.id, None)

    def live_channels(self) -> list[Channel]:
        return [channel for channel in self.channels.values() if channel.alive]


# The office the dashboard is demonstrated on: (technology, resource, caller name, number).
# SIP/alice and SIP/bob mirror the PBX the captures were recorded on (unregistered chan_sip
# peers that never answer); the PJSIP phones are the simulator's answering office.
DEFAULT_PHONES = (
    ("SIP", "alice", "Alice", "5061"),
    ("SIP", "bob", "Bob", "5062"),
    ("PJSIP", "alice", "Alice", "1001"),
    ("PJSIP", "bob", "Bob", "1002"),
    ("PJSIP", "carol", "Carol", "1003"),
    ("PJSIP", "dave", "Dave", "1004"),
    ("PJSIP", "erin", "Erin", "1005"),
    ("PJSIP", "supervisor1", "Supervisor One", "2001"),
    ("PJSIP", "supervisor2", "Supervisor Two", "2002"),
    ("PJSIP", "noc1", "NOC One", "3001"),
    ("PJSIP", "admin1", "Admin One", "9001"),
    # The office's line to the outside world: customers call in on it, and the routing app
    # dials out on it (`PJSIP/trunk/<number>`).
    ("PJSIP", "trunk", "", ""),
)

# On the trunk, the far end of a number ending in a Q.850 cause fails with it: 17 busy, 18/19
# rings and never answers, 20 absent, 21 rejects. Every other number answers.
TRUNK_FAILURES: dict[str, dict[str, Any]] = {
    "17": {"busy": True},
    "18": {"never_answer": True},
    "19": {"never_answer": True},
    "20": {"offline": True},
    "21": {"reject": True},
}


def _default_behaviour(technology: str, resource: str) -> PhoneBehaviour:
    if technology == "SIP":
        # Nobody listens on the capture PBX's SIP peers: no 180, no answer.
        return PhoneBehaviour(ring_after=None, never_answer=True)
    if resource == "trunk":
        # The outside world: ringing after half a second, an answer after a few.
        return PhoneBehaviour(ring_after=0.5, answer_after=4.0)
    return PhoneBehaviour()


def extra_phones(count: int) -> list[tuple[str, str, str, str]]:
    """`--phones N`: N more desk phones, PJSIP/phone0001 "Phone 1" <40001> and so on (a big office
    for the wallboard's benchmark)."""
    return [("PJSIP", f"phone{n:04d}", f"Phone {n}", str(40000 + n)) for n in range(1, count + 1)]


class Phones:
    def __init__(self, extra: int = 0):
        self.endpoints: dict[tuple[str, str], Endpoint] = {}
        self.extra = extra
        self.reset()

    def reset(self) -> None:
        """Back to the default office: every phone with its default behaviour, no calls."""
        self.endpoints = {}
        for technology, resource, name, number in (*DEFAULT_PHONES, *extra_phones(self.extra)):
            self.endpoints[(technology, resource)] = Endpoint(
                technology, resource, name, number, _default_behaviour(technology, resource),
                registered=technology == "PJSIP", trunk=resource == "trunk")

    def clear_channels(self) -> None:
        for endpoint in self.endpoints.values():
            endpoint.channels.clear()
            endpoint.counts.clear()
            endpoint.device_state = "NOT_INUSE"

    def get(self, technology: str, resource: str) -> Endpoint | None:
        return self.endpoints.get((technology, resource))

    def by_tech(self, technology: str) -> list[Endpoint]:
        return [e for (tech, _), e in self.endpoints.items() if tech == technology]

    def all(self) -> list[Endpoint]:
        return list(self.endpoints.values())

    def technologies(self) -> set[str]:
        return {tech for tech, _ in self.endpoints}
