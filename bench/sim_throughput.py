"""How fast is the ARI simulator? Runs it as a separate process (its own core) and measures:

1. events/s delivered on one events WebSocket while many calls are set up and torn down;
2. time and memory to hold 10,000 concurrent channels (5,000 Local pairs parked in Wait(3600)),
   and how long GET /channels takes with all of them.

Figures are appended to bench/results-sim.json.

    .venv/bin/python bench/sim_throughput.py [--calls 2000] [--channels 10000]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results-sim.json"
USER, PASSWORD = "dashboard", "dashboard-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_ready(url: str) -> None:
    async with httpx.AsyncClient(auth=(USER, PASSWORD)) as client:
        for _ in range(100):
            try:
                if (await client.get(url + "/asterisk/ping")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("simulator did not start")


def session(ari: str) -> aiohttp.ClientSession:
    # aiohttp's client, not httpx: the load generator must not be the bottleneck.
    return aiohttp.ClientSession(ari, headers={"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)},
                                 connector=aiohttp.TCPConnector(limit=64))


async def pump(client: aiohttp.ClientSession, requests: list[tuple[str, str, dict]], concurrency: int) -> None:
    queue = list(reversed(requests))

    async def worker():
        while queue:
            method, path, params = queue.pop()
            async with client.request(method, "/ari" + path, params=params) as response:
                if response.status >= 400:
                    raise RuntimeError(f"{method} {path}: {response.status} {await response.text()}")
                await response.read()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def events_per_second(ari: str, ws_url: str, pid: int, calls: int) -> dict:
    """Originate `calls` Local/100 calls into the app, then hang them up; count events."""
    received = 0
    last_at = 0.0

    async def listen(ws):
        nonlocal received, last_at
        async for _ in ws:
            received += 1
            last_at = time.perf_counter()

    async with websockets.connect(f"{ws_url}?app=bench&subscribeAll=true&api_key={USER}:{PASSWORD}",
                                  max_size=None) as ws:
        listener = asyncio.create_task(listen(ws))
        async with session(ari.removesuffix("/ari")) as client:
            cpu_before = cpu_seconds(pid)
            started = time.perf_counter()
            await pump(client, [("POST", "/channels", {"endpoint": "Local/100@default", "app": "bench",
                                                       "channelId": f"bench-{i}"}) for i in range(calls)], 32)
            await asyncio.sleep(0.1)
            await pump(client, [("DELETE", f"/channels/bench-{i}", {}) for i in range(calls)], 32)
            # Let the tail drain: wait until no event arrived for 0.5 s; the rate is measured
            # up to the last event received.
            last = -1
            while last != received:
                last = received
                await asyncio.sleep(0.5)
            elapsed = last_at - started
            cpu_used = cpu_seconds(pid) - cpu_before
        listener.cancel()
    return {"calls": calls, "events": received, "seconds": round(elapsed, 3),
            "events_per_second": round(received / elapsed), "requests_per_second": round(2 * calls / elapsed),
            "simulator_cpu_seconds": round(cpu_used, 2),
            "events_per_simulator_cpu_second": round(received / cpu_used) if cpu_used else None}


async def many_channels(ari: str, pid: int, channels: int) -> dict:
    pairs = channels // 2
    async with session(ari.removesuffix("/ari")) as client:
        rss_before = rss_mb(pid)
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        await pump(client, [("POST", "/channels", {"endpoint": "Local/103@default", "extension": "103",
                                                   "context": "default", "channelId": f"park-{i}"})
                            for i in range(pairs)], 32)
        await asyncio.sleep(1.0)  # the answers and Answer()'s media wait
        create_seconds = time.perf_counter() - started
        listed_at = time.perf_counter()
        async with client.get("/ari/channels") as response:
            count = len(await response.json())
        list_seconds = time.perf_counter() - listed_at
        rss_after = rss_mb(pid)
        cpu_used = cpu_seconds(pid) - cpu_before
        hangup_at = time.perf_counter()
        await pump(client, [("DELETE", f"/channels/park-{i}", {}) for i in range(pairs)], 32)
        hangup_seconds = time.perf_counter() - hangup_at
        async with client.get("/ari/channels") as response:
            remaining = len(await response.json())
    return {"channels": count, "create_seconds": round(create_seconds, 2),
            "simulator_cpu_seconds_to_create": round(cpu_used, 2),
            "rss_mb_before": round(rss_before, 1), "rss_mb_with_channels": round(rss_after, 1),
            "kb_per_channel": round((rss_after - rss_before) * 1024 / max(count, 1), 2),
            "list_all_seconds": round(list_seconds, 3), "hangup_seconds": round(hangup_seconds, 2),
            "remaining_after_hangup": remaining}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--channels", type=int, default=10000)
    args = parser.parse_args()
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "ari_sim", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        ari = f"http://127.0.0.1:{port}/ari"
        await wait_ready(ari)
        throughput = await events_per_second(ari, f"ws://127.0.0.1:{port}/ari/events", process.pid, args.calls)
        capacity = await many_channels(ari, process.pid, args.channels)
    finally:
        process.terminate()
        process.wait(10)
    result = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "python": platform.python_version(),
              "machine": platform.machine(), "cpus": os.cpu_count(), "throughput": throughput,
              "capacity": capacity}
    history = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    history.append(result)
    RESULTS.write_text(json.dumps(history, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
