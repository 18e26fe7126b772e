"""4. Ingest: ARI events per second parsed into the live registry on one core.

The recorded Asterisk stream (tests/fixtures/ari_events.jsonl) replayed from raw JSON text:
orjson.loads + parse_event + ChannelRegistry.apply with change detection and one subscriber, the
work EventStream does per WebSocket message (bench/ari_bridge_ingest.py, reused here). CPU time of
this process, so a noisy neighbour costs wall time but not the figure.
"""
from __future__ import annotations

import statistics
from typing import Any

from . import ari_bridge_ingest as legacy

TARGET = legacy.TARGET


def run(*, rounds: int = 9, passes: int = 20) -> dict[str, Any]:
    messages = legacy.load_messages()
    legacy.ingest(messages, 2)  # warm the interning caches as a running stream would have them
    figures = [legacy.ingest(messages, passes)[0] for _ in range(rounds)]
    parse = [legacy.parse_only(messages, passes) for _ in range(rounds)]
    median = round(statistics.median(figures))
    return {
        "what": "orjson.loads + parse_event + ChannelRegistry.apply (one subscriber) over the recorded Asterisk "
                "stream; events per second of one core's CPU time",
        "events_per_pass": len(messages),
        "rounds": rounds,
        "events_per_second": {"median": median, "best": round(max(figures)), "worst": round(min(figures))},
        "loads_and_parse_per_second": round(statistics.median(parse)),
        "targets": {"ingest": {"target": f">= {TARGET:,} events/s", "met": median >= TARGET}},
    }
