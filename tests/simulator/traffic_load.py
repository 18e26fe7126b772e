"""How much does demo traffic at 10,000 concurrent channels cost? Not a test: a measurement.

Runs `python -m ari_sim --calls-per-second R --max-channels N` as its own process, with one
events WebSocket subscribed to everything (as the dashboard is), waits until the traffic has
filled the PBX up to the cap, then measures for a while: the simulator's RSS, its CPU share,
calls placed and events delivered per second, and how long GET /channels takes.

    .venv/bin/python -m tests.simulator.traffic_load [--rate 400] [--channels 10000] [--measure 20]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import websockets

from bench.sim_throughput import cpu_seconds, free_port, rss_mb, wait_ready

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "dashboard", "dashboard-secret"


async def measure(rate: float, channels: int, seconds: float, fill_timeout: float, progress: bool = False) -> dict:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "ari_sim", "--port", str(port), "--seed", "7",
                                "--calls-per-second", str(rate), "--max-channels", str(channels)],
                               cwd=ROOT, stdout=subprocess.DEVNULL)
    received = 0

    async def listen(ws):
        nonlocal received
        async for _ in ws:
            received += 1

    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base + "/ari")
        rss_idle = rss_mb(process.pid)
        async with websockets.connect(f"ws://127.0.0.1:{port}/ari/events?app=load&subscribeAll=true"
                                      f"&api_key={USER}:{PASSWORD}", max_size=None) as ws, \
                httpx.AsyncClient(base_url=base, auth=(USER, PASSWORD), timeout=60) as client:
            listener = asyncio.create_task(listen(ws))
            started = time.perf_counter()
            while (count := (await client.get("/_sim/state")).json()["channels"]) < channels * 0.98:
                elapsed = time.perf_counter() - started
                if elapsed > fill_timeout:
                    raise SystemExit(f"not filled within {fill_timeout} s ({count} channels)")
                if progress:
                    print(f"{elapsed:5.0f} s: {count} channels, {cpu_seconds(process.pid):.1f} CPU-s", flush=True)
                await asyncio.sleep(5 if progress else 1)
            fill_seconds = time.perf_counter() - started
            before = (await client.get("/_sim/traffic")).json()
            cpu_before, events_before, at = cpu_seconds(process.pid), received, time.perf_counter()
            counts = []
            while time.perf_counter() - at < seconds:
                await asyncio.sleep(1)
                counts.append((await client.get("/_sim/state")).json()["channels"])
            elapsed = time.perf_counter() - at
            cpu = cpu_seconds(process.pid) - cpu_before
            after = (await client.get("/_sim/traffic")).json()
            events = received - events_before
            rss = rss_mb(process.pid)
            listed = time.perf_counter()
            listing = len((await client.get("/ari/channels")).json())
            list_seconds = time.perf_counter() - listed
            listener.cancel()
    except websockets.ConnectionClosed:
        raise SystemExit("the events WebSocket was closed (the reader fell behind?)") from None
    finally:
        process.terminate()
        process.wait(10)
    placed = after["placed"] - before["placed"]
    return {"rate": rate, "max_channels": channels, "fill_seconds": round(fill_seconds, 1),
            "channels_min": min(counts), "channels_max": max(counts), "listed": listing,
            "rss_mb_idle": round(rss_idle, 1), "rss_mb_at_cap": round(rss, 1),
            "kb_per_channel": round((rss - rss_idle) * 1024 / max(1, listing), 2),
            "calls_placed_per_second": round(placed / elapsed, 1),
            "calls_skipped_per_second": round((after["skipped"] - before["skipped"]) / elapsed, 1),
            "events_per_second": round(events / elapsed), "simulator_cpu_share": round(cpu / elapsed, 3),
            "cpu_ms_per_call": round(cpu * 1000 / max(1, placed), 3), "list_all_seconds": round(list_seconds, 3),
            "stuck": after["stuck"], "kinds": after["kinds"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=400)
    parser.add_argument("--channels", type=int, default=10_000)
    parser.add_argument("--measure", type=float, default=20)
    parser.add_argument("--fill-timeout", type=float, default=300)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.rate, args.channels, args.measure, args.fill_timeout,
                                         args.progress)), indent=2,
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
