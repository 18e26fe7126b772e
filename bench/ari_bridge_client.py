"""Requests per second through AriClient, on each HTTP transport, against bare httpx.

Starts the simulator in its own process (so that it does not share this process's core),
puts one channel in the Stasis app and sends hold/unhold pairs to it, with 1 and with 16
requests in flight, through:

- AriClient on httpx's own transport (httpcore) and on the lean aiohttp transport (ari_bridge/transport.py);
- a bare httpx.AsyncClient on each transport (the floor: no validation, no typed answers).

Writes bench/results-client.json, including which transport AriClient should default to.

    .venv/bin/python bench/ari_bridge_client.py [--requests 2000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ari_bridge import AriClient, AriServerConfig, ChannelRegistry, EventStream  # noqa: E402
from ari_bridge.client import make_transport  # noqa: E402

USER, PASSWORD, APP = "dashboard", "dashboard-secret", "dashboard"
Op = Callable[[int], Awaitable[None]]


def start_simulator() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ari_sim", "--port", "0", "--user", USER, "--password", PASSWORD],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # "ari_sim: ARI on http://127.0.0.1:PORT/ari ..."
    url = line.split(" on ", 1)[1].split("/ari", 1)[0]
    return process, url


async def run(op: Op, total: int, in_flight: int) -> float:
    """Requests per second for ``total`` calls of ``op``, ``in_flight`` at a time."""
    counter = iter(range(total))

    async def worker() -> None:
        for n in counter:
            await op(n)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return total / (time.perf_counter() - start)


def ari_client_op(client: AriClient, channel_id: str) -> Op:
    async def op(n: int) -> None:
        await (client.hold(channel_id) if n % 2 == 0 else client.unhold(channel_id))

    return op


def bare_op(http: httpx.AsyncClient, channel_id: str) -> Op:
    path = f"/channels/{channel_id}/hold"

    async def op(n: int) -> None:
        response = await (http.post(path) if n % 2 == 0 else http.delete(path))
        if response.status_code != 204:
            raise RuntimeError(f"{response.status_code}: {response.text}")

    return op


async def bench(url: str, total: int, rounds: int) -> dict[str, Any]:
    config = AriServerConfig(name="bench", url=url, username=USER, password=PASSWORD, app=APP)
    registry = ChannelRegistry()
    stream = EventStream(config, registry)
    await stream.start()
    await stream.wait_for("live", timeout=10)
    setup = AriClient(config)
    channel = await setup.originate(endpoint="Local/100@default", app=APP)
    deadline = time.monotonic() + 10
    while not ((e := registry.get(("bench", channel.id))) and e.stasis_app == APP and e.state == "Up"):
        if time.monotonic() > deadline:
            raise RuntimeError("the bench channel never reached the app")
        await asyncio.sleep(0.02)

    contenders: dict[str, tuple[Op, Callable[[], Awaitable[None]]]] = {}
    for transport in ("httpx", "aiohttp"):
        client = AriClient(config, transport=transport)  # type: ignore[arg-type]
        contenders[f"AriClient/{transport}"] = (ari_client_op(client, channel.id), client.aclose)
        http = httpx.AsyncClient(base_url=config.ari_url, auth=(USER, PASSWORD),
                                 transport=make_transport(transport))  # type: ignore[arg-type]
        contenders[f"bare httpx/{transport}"] = (bare_op(http, channel.id), http.aclose)

    figures: dict[str, dict[int, list[float]]] = {name: {1: [], 16: []} for name in contenders}
    for name, (op, _) in contenders.items():
        await run(op, 200, 16)  # warm up: connections, caches
    for _ in range(rounds):  # interleaved, so that a noisy moment hurts every contender alike
        for in_flight in (1, 16):
            for name, (op, _) in contenders.items():
                figures[name][in_flight].append(await run(op, total, in_flight))
    for _, close in contenders.values():
        await close()
    await setup.hangup(channel.id)
    await setup.aclose()
    await stream.stop()

    results = {
        name: {f"{n}_in_flight": {"median": round(statistics.median(v)), "best": round(max(v))}
               for n, v in by_flight.items()}
        for name, by_flight in figures.items()
    }

    def score(name: str) -> float:  # geometric mean of the two medians
        r = results[name]
        return float((r["1_in_flight"]["median"] * r["16_in_flight"]["median"]) ** 0.5)

    default = max(("httpx", "aiohttp"), key=lambda t: score(f"AriClient/{t}"))
    return {"requests_per_second": results, "default_transport": default}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="hold/unhold requests per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench/results-client.json"))
    args = parser.parse_args()
    process, url = start_simulator()
    try:
        outcome = asyncio.run(bench(url, args.requests, args.rounds))
    finally:
        process.terminate()
        process.wait(10)
    result = {
        "what": "POST/DELETE /channels/{id}/hold alternately on one channel in Stasis, simulator in "
                "its own process on loopback; requests per second (median and best of the rounds)",
        "requests_per_measurement": args.requests,
        "rounds": args.rounds,
        **outcome,
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
