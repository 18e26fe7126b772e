"""Failures the control API can switch on: slow answers, error statuses, an Asterisk that is
down (restarting). Dropping the event WebSockets is immediate and needs no state here."""
from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(slots=True)
class Faults:
    delay_ms: int = 0
    error_status: int | None = None
    # time.monotonic() deadlines; None means "until cleared" for the error, "not down" for down.
    error_until: float | None = None
    down_until: float | None = None

    def clear(self) -> None:
        self.delay_ms = 0
        self.error_status = None
        self.error_until = None

    def error(self) -> int | None:
        if self.error_status is None:
            return None
        if self.error_until is not None and time.monotonic() >= self.error_until:
            self.error_status = None
            self.error_until = None
            return None
        return self.error_status

    def is_down(self) -> bool:
        if self.down_until is None:
            return False
        if time.monotonic() >= self.down_until:
            self.down_until = None
            return False
        return True

    def to_json(self) -> dict:
        now = time.monotonic()
        return {
            "delay_ms": self.delay_ms,
            "error_status": self.error(),
            "error_seconds_left": None if self.error_until is None or self.error_status is None
            else round(max(0.0, self.error_until - now), 3),
            "down": self.is_down(),
            "down_seconds_left": None if self.down_until is None else round(max(0.0, self.down_until - now), 3),
        }
