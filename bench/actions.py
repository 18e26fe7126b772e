"""1. Action overhead: hold/unhold through the dashboard's REST API (session auth, CSRF, role
check, validation, ARI call, audit entry) beside the same ARI call straight to the simulator with
a bare httpx.AsyncClient, in the same run, on the same channel.

Latency: one request in flight, rounds interleaved (dashboard, direct, dashboard, ...) so that a
noisy moment hurts both alike. Sustained rate: `in_flight` requests kept in flight for `seconds`
through the dashboard (and, for the ratio, straight to the simulator); every answer must be 204
and every dashboard action must have left exactly one audit entry.
"""
from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Awaitable, Callable

import httpx

from .common import APP, Dashboard, Simulator, cpu_seconds, log, summary_ms

TARGET_ADDED_MS_P50 = 3.0
TARGET_RATE = 300

Op = Callable[[int], Awaitable[int]]


def stasis_channel(sim: Simulator, dashboard: Dashboard) -> str:
    """A channel answered and sitting in the dashboard's Stasis application, as the dashboard sees it."""
    channel = sim.ari("POST", "/channels", endpoint="Local/103@default", app=APP)
    channel_id = channel["id"]
    deadline = time.monotonic() + 15
    with dashboard.login("supervisor") as client:
        while True:
            response = client.get(f"/api/v1/channels/{channel_id}")
            if response.status_code == 200 and response.json()["app"] == APP and response.json()["state"] == "Up":
                return channel_id
            if time.monotonic() > deadline:
                raise RuntimeError(f"channel {channel_id} never showed up in the app: {response.text}")
            time.sleep(0.05)


def _dashboard_op(http: httpx.AsyncClient, channel_id: str) -> Op:
    paths = (f"/api/v1/channels/{channel_id}/hold", f"/api/v1/channels/{channel_id}/unhold")

    async def op(n: int) -> int:
        return (await http.post(paths[n % 2])).status_code

    return op


def _direct_op(http: httpx.AsyncClient, channel_id: str) -> Op:
    path = f"/ari/channels/{channel_id}/hold"

    async def op(n: int) -> int:
        response = await (http.post(path) if n % 2 == 0 else http.delete(path))
        return response.status_code

    return op


async def _latencies(op: Op, count: int, start: int) -> tuple[list[float], int]:
    samples, errors = [], 0
    for n in range(start, start + count):
        t0 = time.perf_counter()
        status = await op(n)
        samples.append(time.perf_counter() - t0)
        errors += status != 204
    return samples, errors


async def _sustained(op: Op, seconds: float, in_flight: int, start: int) -> dict[str, Any]:
    counter = iter(range(start, start + 10**9))
    done = errors = 0
    statuses: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    samples: list[float] = []

    async def worker() -> None:
        nonlocal done, errors
        # Each worker owns one parity so that hold and unhold keep alternating on the channel overall.
        while time.perf_counter() < deadline:
            n = next(counter)
            t0 = time.perf_counter()
            try:
                status = await op(n)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            samples.append(time.perf_counter() - t0)
            done += 1
            if status != 204:
                errors += 1
                statuses[str(status)] = statuses.get(str(status), 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    return {"requests": done, "errors": errors, "error_kinds": statuses, "seconds": round(elapsed, 2),
            "per_second": round((done - errors) / elapsed), "latency_ms": summary_ms(samples)}


def _machine_busy_seconds() -> float:
    """CPU time every core of the machine spent busy (not idle or waiting on I/O), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


class _CpuShare:
    """Cores used by each party while a sustained run lasts: whether the machine, not the dashboard, is full."""

    def __init__(self, sim: Simulator, dashboard: Dashboard):
        self._readers = {"dashboard": dashboard.cpu_seconds, "simulator": lambda: cpu_seconds(sim.pid),
                         "load client": lambda: sum(os.times()[:2]), "machine": _machine_busy_seconds}

    def __enter__(self) -> dict[str, float]:
        self._wall = time.perf_counter()
        self._start = {name: read() for name, read in self._readers.items()}
        self.cores: dict[str, float] = {}
        return self.cores

    def __exit__(self, *exc) -> None:
        wall = time.perf_counter() - self._wall
        for name, read in self._readers.items():
            self.cores[name] = round((read() - self._start[name]) / wall, 2)


def audit_count(dashboard: Dashboard, channel_id: str) -> int:
    """Audit entries (outcome ok) of hold/unhold on the channel, read from the dashboard's database."""
    query = ("SELECT count(*) FROM dashboard_auditentry WHERE channel_id = %s AND outcome = 'ok' "
             "AND action IN ('hold', 'unhold')")
    if dashboard.database == "postgresql":
        import psycopg

        with psycopg.connect(dashboard.env["DATABASE_URL"]) as conn:
            return conn.execute(query, (channel_id,)).fetchone()[0]
    import sqlite3

    with sqlite3.connect(dashboard.data_dir / "db.sqlite3") as conn:
        return conn.execute(query.replace("%s", "?"), (channel_id,)).fetchone()[0]


async def _measure(sim: Simulator, dashboard: Dashboard, channel_id: str, *, requests: int, rounds: int,
                   seconds: float, in_flight: int) -> dict[str, Any]:
    session = dashboard.session("supervisor")
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=dashboard.url, cookies=session, limits=limits, timeout=30,
                                 headers={"X-CSRFToken": session["csrftoken"]}) as to_dashboard, \
            httpx.AsyncClient(base_url=sim.url, auth=(sim.username, sim.password), limits=limits,
                              timeout=30) as direct:
        contenders = {"dashboard": _dashboard_op(to_dashboard, channel_id), "direct": _direct_op(direct, channel_id)}
        # Both end with the channel off hold: an even number of requests each time.
        requests += requests % 2
        n = 0
        for op in contenders.values():  # warm up: connections, caches, the first queries
            await _latencies(op, 40, n)
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        errors = {name: 0 for name in contenders}
        for _ in range(rounds):
            for name, op in contenders.items():
                got, failed = await _latencies(op, requests, n)
                samples[name] += got
                errors[name] += failed
        sustained = {}
        for name, op in contenders.items():
            with _CpuShare(sim, dashboard) as cores:
                sustained[name] = await _sustained(op, seconds, in_flight, 0)
            sustained[name]["cores"] = cores
            # An odd count leaves the channel held: take it off hold before the next contender.
            if sustained[name]["requests"] % 2:
                await op(1)
    latency = {name: {**summary_ms(values), "errors": errors[name]} for name, values in samples.items()}
    return {"latency_ms": latency, "sustained": sustained}


def run(sim: Simulator, dashboard: Dashboard, *, requests: int = 300, rounds: int = 3, seconds: float = 5.0,
        in_flight: int = 16) -> dict[str, Any]:
    channel_id = stasis_channel(sim, dashboard)
    log(f"actions: {rounds} x {requests} sequential hold/unhold each way, then {seconds} s at {in_flight} in flight")
    audit_before = audit_count(dashboard, channel_id)
    figures = asyncio.run(_measure(sim, dashboard, channel_id, requests=requests, rounds=rounds, seconds=seconds,
                                   in_flight=in_flight))
    audited = audit_count(dashboard, channel_id) - audit_before
    dash, direct = figures["latency_ms"]["dashboard"], figures["latency_ms"]["direct"]
    sustained = figures["sustained"]["dashboard"]
    # Every successful dashboard action (warm-up, latency rounds, sustained, the final unhold) left an entry.
    dash_ok = 40 + dash["n"] - dash["errors"] + sustained["requests"] - sustained["errors"] \
        + (sustained["requests"] % 2)
    sim.ari("DELETE", f"/channels/{channel_id}")
    added = round(dash["p50"] - direct["p50"], 2)
    cores = sustained["cores"]
    cpu_ms_per_action = round(1000 * cores["dashboard"] / max(1, sustained["per_second"]), 2)
    return {
        "config": dashboard.describe(),
        "what": "POST /api/v1/channels/{id}/hold|unhold as supervisor (session cookie + CSRF) vs POST|DELETE "
                "/ari/channels/{id}/hold straight to the simulator; both through httpx.AsyncClient",
        **figures,
        "added_ms_p50": added,
        "added_ms_p99": round(dash["p99"] - direct["p99"], 2),
        "ratio_p50": round(dash["p50"] / direct["p50"], 2),
        "sustained_ratio": round(figures["sustained"]["direct"]["per_second"] / max(1, sustained["per_second"]), 2),
        "dashboard_cpu_ms_per_action": cpu_ms_per_action,
        "audit_entries": audited,
        "audit_entries_expected": dash_ok,
        "targets": {
            "added_ms_p50": {"target": f"<= {TARGET_ADDED_MS_P50} ms", "met": added <= TARGET_ADDED_MS_P50},
            "rate": {"target": f">= {TARGET_RATE}/s, no error",
                     "met": sustained["per_second"] >= TARGET_RATE and sustained["errors"] == 0
                     and audited == dash_ok},
        },
    }
