"""Asterisk's timestamp format, `2026-11-26T14:26:39.393+0000` (always UTC here)."""
import time

_cache_second = -1
_cache_prefix = ""


def ast_time(ts: float | None = None) -> str:
    """Format `ts` (epoch seconds, default now) the way ARI does, with milliseconds."""
    global _cache_second, _cache_prefix
    if ts is None:
        ts = time.time()
    second = int(ts)
    millis = int((ts - second) * 1000)
    # Thousands of events share a second: format the date part once per second.
    if second != _cache_second:
        _cache_prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _cache_second = second
    return f"{_cache_prefix}.{millis:03d}+0000"
