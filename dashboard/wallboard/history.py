"""Concurrent calls over the last hour, in memory: one bucket per ``bucket_seconds``, bounded."""
from __future__ import annotations

from collections import deque

BUCKET_SECONDS = 10
BUCKETS = 360  # an hour


class CallHistory:
    """Each bucket holds the most calls seen at once during it; a bucket with no change carries the
    count it started with, so that a quiet hour still draws a line."""

    def __init__(self, bucket_seconds: int = BUCKET_SECONDS, buckets: int = BUCKETS) -> None:
        self.bucket_seconds = bucket_seconds
        self._points: deque[list[float]] = deque(maxlen=buckets)  # [bucket start (epoch s), calls]
        self._current = 0

    def record(self, now: float, calls: int) -> list[float] | None:
        """Note the count at ``now``; returns the point that changed (to publish), or None."""
        start = now - now % self.bucket_seconds
        last = self._points[-1] if self._points else None
        self._current = calls
        if last is None or last[0] < start:
            point = [start, calls]
            self._points.append(point)
            return point
        if calls > last[1]:
            last[1] = calls
            return last
        return None

    def tick(self, now: float) -> list[float] | None:
        """Open the bucket ``now`` falls in, if no change did (the count carries over)."""
        return self.record(now, self._current)

    def points(self) -> list[list[float]]:
        return [list(point) for point in self._points]
