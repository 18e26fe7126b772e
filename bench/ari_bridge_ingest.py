"""How many ARI events per second one core folds into the ChannelRegistry.

Replays the real Asterisk event stream (tests/fixtures/ari_events.jsonl, as the `dashboard`
socket received it) from raw JSON text, over and over: orjson.loads + parse_event +
registry.apply with change detection, the work EventStream does per WebSocket message.
Writes bench/results-ingest.json. Target: at least 150,000 events/s.

    .venv/bin/python bench/ari_bridge_ingest.py [--rounds 15] [--passes 20] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import json
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ari_bridge.events import parse_event  # noqa: E402
from ari_bridge.registry import Change, ChannelRegistry  # noqa: E402

TARGET = 150_000


def load_messages() -> list[bytes]:
    rows = [orjson.loads(line) for line in (ROOT / "tests/fixtures/ari_events.jsonl").read_bytes().splitlines()]
    return [orjson.dumps(row["event"]) for row in rows if row["ws"] == "dashboard"]


def ingest(messages: list[bytes], passes: int) -> tuple[float, int]:
    """Events per second (CPU time) through the whole pipeline, and the changes it reported."""
    registry = ChannelRegistry()
    changes = 0

    def count(batch: list[Change]) -> None:
        nonlocal changes
        changes += len(batch)

    registry.subscribe(count)  # one subscriber, like the live runner
    apply = registry.apply
    loads = orjson.loads
    start = time.process_time()
    for _ in range(passes):
        for message in messages:
            apply(parse_event(loads(message)), "default")
    elapsed = time.process_time() - start
    return passes * len(messages) / elapsed, changes


def loads_only(messages: list[bytes], passes: int) -> float:
    loads = orjson.loads
    start = time.process_time()
    for _ in range(passes):
        for message in messages:
            loads(message)
    return passes * len(messages) / (time.process_time() - start)


def parse_only(messages: list[bytes], passes: int) -> float:
    loads = orjson.loads
    start = time.process_time()
    for _ in range(passes):
        for message in messages:
            parse_event(loads(message))
    return passes * len(messages) / (time.process_time() - start)


def rounds(measure: Callable[[], float], count: int) -> dict[str, float]:
    figures = [measure() for _ in range(count)]
    return {"best": round(max(figures)), "median": round(statistics.median(figures)), "worst": round(min(figures))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--passes", type=int, default=20, help="replays of the stream per round")
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    parser.add_argument("--out", default=str(ROOT / "bench/results-ingest.json"))
    args = parser.parse_args()

    messages = load_messages()
    ingest(messages, 2)  # warm the interning caches as a running stream would have them
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(ingest, messages, args.passes)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    changes_per_pass = ingest(messages, 1)[1]
    pipeline = rounds(lambda: ingest(messages, args.passes)[0], args.rounds)
    result = {
        "what": "orjson.loads + parse_event + ChannelRegistry.apply (change detection, one subscriber), "
                "recorded Asterisk stream replayed; events per second of one core's CPU time",
        "events_per_pass": len(messages),
        "changes_per_pass": changes_per_pass,
        "passes_per_round": args.passes,
        "rounds": args.rounds,
        "events_per_second": pipeline,
        "orjson_loads_only_per_second": rounds(lambda: loads_only(messages, args.passes), args.rounds),
        "loads_and_parse_per_second": rounds(lambda: parse_only(messages, args.passes), args.rounds),
        "target": TARGET,
        "target_met": pipeline["median"] >= TARGET,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
