"""The endpoints the PBX knows, and how each phone behaves when called.

All phone behaviour lives in `PhoneBehaviour` so that the control API (and tests) can change
it per endpoint: `POST /_sim/phones/PJSIP/alice {"answer_after": 2, "busy": false}`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields
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
)


def _default_behaviour(technology: str) -> PhoneBehaviour:
    if technology == "SIP":
        # Nobody listens on the capture PBX's SIP peers: no 180, no answer.
        return PhoneBehaviour(ring_after=None, never_answer=True)
    return PhoneBehaviour()


class Phones:
    def __init__(self):
        self.endpoints: dict[tuple[str, str], Endpoint] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the default office: every phone with its default behaviour, no calls."""
        self.endpoints = {}
        for technology, resource, name, number in DEFAULT_PHONES:
            self.endpoints[(technology, resource)] = Endpoint(
                technology, resource, name, number, _default_behaviour(technology),
                registered=technology == "PJSIP")

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
