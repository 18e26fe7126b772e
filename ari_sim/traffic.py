"""Demo traffic: phones calling the dialplan at a steady random rate (`--calls-per-second`).

Arrivals are Poisson; each call goes from a random registered PJSIP phone to a weighted pick of
the default extensions and is hung up by the phone after a random talk time. A seed makes the
sequence of choices repeatable (timings still follow the wall clock).
"""
from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .server import Simulator

# (extension, weight): mostly calls that stay up, some into the Stasis app, a few short ones.
EXTENSIONS = (("100", 3), ("101", 2), ("102", 2), ("103", 3), ("107", 1), ("200", 2), ("104", 1))
MEAN_TALK_SECONDS = 30.0
MIN_TALK_SECONDS = 5.0
MAX_TALK_SECONDS = 120.0


class Traffic:
    def __init__(self, sim: "Simulator", calls_per_second: float, seed: int | None = None):
        self.sim = sim
        self.rate = calls_per_second
        self.random = random.Random(seed)
        self.placed = 0
        self._timer = None

    def start(self) -> None:
        self.stop()
        if self.rate > 0:
            self._schedule()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def set_rate(self, calls_per_second: float) -> None:
        self.rate = calls_per_second
        self.start()

    def _schedule(self) -> None:
        self._timer = self.sim.pbx.later(self.random.expovariate(self.rate), self._arrival)

    def _arrival(self) -> None:
        self._timer = None
        self.place_call()
        if self.rate > 0:
            self._schedule()

    def place_call(self) -> str | None:
        pbx = self.sim.pbx
        phones = [e for e in pbx.phones.all() if e.technology == "PJSIP" and e.state() == "online"]
        if not phones:
            return None
        phone = self.random.choice(phones)
        extensions, weights = zip(*EXTENSIONS)
        exten = self.random.choices(extensions, weights=weights)[0]
        talk = min(MAX_TALK_SECONDS, max(MIN_TALK_SECONDS, self.random.expovariate(1 / MEAN_TALK_SECONDS)))
        snapshot = pbx.inbound_call(phone, exten=exten, context="default", caller_name=None, caller_number=None,
                                    channel_id=None)
        channel = pbx.channels.get(snapshot["id"])
        if channel is not None:
            channel.timers["traffic"] = pbx.later(talk, pbx.phone_hangs_up, channel)
        self.placed += 1
        return snapshot["id"]

    def to_json(self) -> dict:
        return {"calls_per_second": self.rate, "placed": self.placed}
