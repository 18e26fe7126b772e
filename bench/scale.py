"""3. Scale: 10,000 concurrent channels.

- time for a new Chromium page to show the first screen of the live list (navigation start to the
  first animation frame with a screenful of `tr[data-uid]` rows);
- the snapshot's size on the wire (to a client that offers permessage-deflate, as a browser does; the
  dashboard runs without it, so that is the JSON text too, with frame headers) and uncompressed;
- the dashboard's memory (RSS of every dashboard process) with the channels and a page open;
- a burst of 10,000 events (every channel's caller name changes once, as fast as the simulator
  goes) applied in the page: from the first event to the frame after the last one arrived, and
  the long tasks on the page meanwhile (none may pass 200 ms).
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import orjson
import websockets

from .common import Dashboard, Simulator, log
from .e2e import _cookie_header, start_browser
from .wsclients import CountingConnection

TARGET_FIRST_SCREEN_MS = 1500
TARGET_RSS_MB = 400
TARGET_LONG_TASK_MS = 200


async def snapshot_size(dashboard: Dashboard, compression: bool) -> dict[str, Any]:
    cookies = dashboard.session("supervisor")
    CountingConnection.wire_bytes = 0
    payload = parts = channels = 0
    started = time.perf_counter()
    async with websockets.connect(dashboard.ws_url, origin=dashboard.url, max_size=None,
                                  additional_headers={"Cookie": _cookie_header(cookies)},
                                  compression="deflate" if compression else None,
                                  create_connection=CountingConnection) as ws:
        async for raw in ws:
            message = orjson.loads(raw)
            if message["type"] != "snapshot":
                continue
            payload += len(raw)
            parts += 1
            channels += len(message["channels"])
            if message.get("last", True):
                break
        seconds = time.perf_counter() - started
        wire = CountingConnection.wire_bytes
    return {"channels": channels, "parts": parts, "payload_bytes": payload, "wire_bytes": wire,
            "seconds": round(seconds, 3)}


def run(sim: Simulator, dashboard: Dashboard, *, channels: int = 10_000, burst: int = 10_000,
        burst_rate: int = 20_000) -> dict[str, Any]:
    have = len(sim.ari("GET", "/channels"))
    log(f"scale: parking {max(0, channels - have)} more channels in the simulator")
    created_s = sim.park_channels(channels - have, prefix=f"scale{int(time.time())}") if have < channels else 0.0
    seen_s = dashboard.wait_channels(max(have, channels), timeout=180)
    rss_idle = dashboard.rss_mb()
    compressed = asyncio.run(snapshot_size(dashboard, True))
    plain = asyncio.run(snapshot_size(dashboard, False))
    log(f"scale: snapshot {plain['payload_bytes']} B, {compressed['wire_bytes']} B on the wire compressed")
    browser = start_browser(dashboard, rows=min(20, channels))
    try:
        first = [browser.ask({"cmd": "open"}, timeout=120) for _ in range(3)]  # a new page each time
        screen = sorted(f["first_screen_ms"] for f in first)
        rss_page = dashboard.rss_mb()
        prefix = f"burst{int(time.time() * 1000) % 100000}"
        count = min(burst, channels)
        browser.ask({"cmd": "measure", "prefix": prefix, "last_seq": count - 1})
        log(f"scale: burst of {count} events at up to {burst_rate}/s")
        sent_at = time.time()
        sim.control("POST", "/_sim/bench/events", {"rate": burst_rate, "seconds": count / burst_rate,
                                                    "channels": channels, "prefix": prefix})
        applied = browser.ask({"cmd": "burst", "timeout": 60}, timeout=90)
        status = sim.control("GET", "/_sim/bench/events")
        rss_burst = dashboard.rss_mb()
        largest = dashboard.largest_rss_mb()
    finally:
        browser.close()
    long_tasks = applied["long_tasks"] or []
    longest = max((d for _, d in long_tasks), default=0)
    applied_ms = round(applied["applied_at"] - sent_at * 1000, 1) if applied["applied_at"] else None
    received_ms = round(applied["last_at"] - sent_at * 1000, 1) if applied["last_at"] else None
    rss = max(rss_idle, rss_page, rss_burst)
    if len(dashboard.pids()) == 1:
        largest = rss
    return {
        "config": dashboard.describe(),
        "channels": channels,
        "simulator_create_s": round(created_s, 1),
        "dashboard_caught_up_s": round(seen_s, 1),
        "first_screen_ms": {"runs": screen, "median": screen[len(screen) // 2], "html_ms": first[0].get("html_ms"),
                            "live_ms": first[0].get("live_ms"), "rows": first[0].get("rows")},
        "snapshot": {"compressed": compressed, "uncompressed": plain},
        "rss_mb": {"with_channels": rss_idle, "with_page": rss_page, "after_burst": rss_burst,
                   "processes": len(dashboard.pids()), "largest_process": largest},
        "burst": {"events": status["sent"], "generator_s": status.get("elapsed"),
                  "last_event_received_ms": received_ms, "applied_ms": applied_ms,
                  "tokens_seen": applied["tokens"], "long_tasks": len(long_tasks), "longest_task_ms": longest},
        "targets": {
            "first_screen": {"target": f"<= {TARGET_FIRST_SCREEN_MS} ms",
                             "met": screen[len(screen) // 2] <= TARGET_FIRST_SCREEN_MS},
            "memory": {"target": f"< {TARGET_RSS_MB} MB a dashboard process", "met": largest < TARGET_RSS_MB},
            "burst_long_task": {"target": f"no long task over {TARGET_LONG_TASK_MS} ms",
                                "met": applied_ms is not None and longest <= TARGET_LONG_TASK_MS},
        },
    }


if __name__ == "__main__":  # pragma: no cover - a quick look on its own
    sim = Simulator()
    dash = Dashboard(sim)
    try:
        print(json.dumps(run(sim, dash, channels=2000, burst=2000), indent=2))
    finally:
        dash.stop()
        sim.stop()
