"""Before/after a product change, interleaved: two dashboards up at once (this checkout and a git
worktree of an older revision, each with its own simulator), measured turn about, round after
round, so that a noisy neighbour hurts both alike.

    .venv/bin/python -m bench.compare --baseline REV [--what e2e|actions] [--clients 50] [--rate 1000]
                                     [--shape production] [--deflate on] [--baseline-deflate on]

Both dashboards run as the README says (permessage-deflate off); `--deflate on` turns it on for this
checkout's (`--baseline HEAD --deflate on` compares the two), `--baseline-deflate on` for the baseline's.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import actions, e2e
from .common import ROOT, Dashboard, Simulator, log, machine


def _worktree(rev: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True, capture_output=True)
    return path


def compare_e2e(sides: dict[str, tuple[Simulator, Dashboard]], *, clients: int, rate: int, rounds: int,
                channels: int, seconds: float) -> dict[str, Any]:
    swarms = {}
    for name, (sim, dashboard) in sides.items():
        have = len(sim.ari("GET", "/channels"))
        if have < channels:
            sim.park_channels(channels - have, prefix="cmp")
        dashboard.wait_channels(max(have, channels))
    for name, (sim, dashboard) in sides.items():
        swarms[name] = e2e.start_swarms(dashboard, clients)
    rows: dict[str, list] = {name: [] for name in sides}
    try:
        for n in range(rounds):
            for name, (sim, dashboard) in (list(sides.items()) if n % 2 == 0 else list(sides.items())[::-1]):
                row = e2e.run_cell(sim, dashboard, swarms[name], None, rate=rate, clients=clients, channels=channels,
                                   seconds=seconds)
                log(f"compare: {name} round {n}: p50 {row['latency_ms']['p50']} p99 {row['latency_ms']['p99']} "
                    f"dashboard cpu {row['dashboard_cpu_share']} dropped {row['dropped']}")
                rows[name].append(row)
    finally:
        for workers in swarms.values():
            for worker in workers:
                worker.close()
    out = {}
    for name, got in rows.items():
        out[name] = {
            "p50_ms": statistics.median(r["latency_ms"]["p50"] for r in got),
            "p99_ms": statistics.median(r["latency_ms"]["p99"] for r in got),
            "dashboard_cpu_us_per_event_per_page": statistics.median(r["cpu_us_per_event_per_page"] for r in got),
            "clients_cpu_share": statistics.median(r["clients_cpu_share"] for r in got),
            "dropped": any(r["dropped"] for r in got),
            "rounds": [(r["latency_ms"]["p50"], r["latency_ms"]["p99"], r["dashboard_cpu_share"]) for r in got],
        }
    return {"what": f"event to client, {rate}/s x {clients} WebSocket clients, {channels} channels, "
                    f"{rounds} rounds turn about (median)", **out}


def compare_actions(sides: dict[str, tuple[Simulator, Dashboard]], *, rounds: int, requests: int) -> dict[str, Any]:
    import asyncio

    import httpx

    async def measure(dashboard: Dashboard, channel_id: str, n: int) -> tuple[list[float], float]:
        session = dashboard.session("supervisor")
        from .common import cpu_seconds

        async with httpx.AsyncClient(base_url=dashboard.url, cookies=session, timeout=30,
                                     headers={"X-CSRFToken": session["csrftoken"]}) as client:
            op = actions._dashboard_op(client, channel_id)
            await actions._latencies(op, 20, 0)
            cpu = sum(cpu_seconds(p) for p in dashboard.pids())
            samples, errors = await actions._latencies(op, n, 0)
            cpu = sum(cpu_seconds(p) for p in dashboard.pids()) - cpu
            assert errors == 0
            return samples, cpu / n

    channels = {name: actions.stasis_channel(sim, dashboard) for name, (sim, dashboard) in sides.items()}
    got: dict[str, dict[str, list]] = {name: {"p50": [], "cpu": []} for name in sides}
    for n in range(rounds):
        for name, (sim, dashboard) in (list(sides.items()) if n % 2 == 0 else list(sides.items())[::-1]):
            samples, cpu = asyncio.run(measure(dashboard, channels[name], requests))
            got[name]["p50"].append(statistics.median(samples) * 1000)
            got[name]["cpu"].append(cpu * 1000)
            log(f"compare: {name} round {n}: p50 {got[name]['p50'][-1]:.2f} ms, cpu {got[name]['cpu'][-1]:.2f} ms/request")
    return {"what": f"hold/unhold through the REST API, {requests} sequential requests x {rounds} rounds turn about",
            **{name: {"p50_ms": round(statistics.median(v["p50"]), 2),
                      "server_cpu_ms_per_request": round(statistics.median(v["cpu"]), 2),
                      "rounds_p50": [round(x, 2) for x in v["p50"]]} for name, v in got.items()}}


def compare_micro(roots: dict[str, Path], *, rounds: int, pages: int, channels: int, changes: int) -> dict[str, Any]:
    """bench/micro_live.py from each checkout (its dashboard code), turn about."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    got: dict[str, list] = {name: [] for name in roots}
    for n in range(rounds):
        for name, root in (list(roots.items()) if n % 2 == 0 else list(roots.items())[::-1]):
            done = subprocess.run([sys.executable, str(ROOT / "bench" / "micro_live.py"), "--pages", str(pages),
                                   "--channels", str(channels), "--changes", str(changes)], cwd=root, env=env,
                                  capture_output=True, text=True, timeout=300, check=True)
            got[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            log(f"compare: {name} round {n}: {got[name][-1]['cpu_us_per_page']} µs a page")
    return {"what": f"CPU to deliver one diff of {changes} changed channels (of {channels}) to {pages} pages, "
                    f"no network (bench/micro_live.py), {rounds} rounds turn about (median)",
            **{name: {"cpu_us_per_page": statistics.median(r["cpu_us_per_page"] for r in v),
                      "deflate_us_per_page": statistics.median(r["deflate_us_per_page"] for r in v),
                      "diff_bytes": v[-1]["diff_bytes"],
                      "rounds": [r["cpu_us_per_page"] for r in v]} for name, v in got.items()}}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--what", choices=("e2e", "actions", "micro"), default="e2e")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--shape", choices=("single", "production"), default="single")
    parser.add_argument("--deflate", choices=("on", "off"), default="off", help="permessage-deflate of this checkout")
    parser.add_argument("--baseline-deflate", choices=("on", "off"), default="off",
                        help="permessage-deflate of the baseline (on: as it ran before the README turned it off)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    tree = _worktree(args.baseline)
    sides: dict[str, tuple[Simulator, Dashboard]] = {}
    if args.what == "micro":
        try:
            result = compare_micro({f"before ({args.baseline})": tree, "after (this checkout)": ROOT},
                                   rounds=args.rounds, pages=args.pages, channels=args.channels, changes=args.changes)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        result = {"machine": machine(), "baseline": args.baseline, **result}
        print(json.dumps(result, indent=2))
        if args.out:
            Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
        return 0
    try:
        deflate = {tree: args.baseline_deflate == "on", ROOT: args.deflate == "on"}
        before = f"before ({args.baseline})" + (", permessage-deflate on" if deflate[tree] else "")
        after = "after (this checkout)" + (", permessage-deflate on" if deflate[ROOT] else "")
        for name, root in ((before, tree), (after, ROOT)):
            sim = Simulator()
            sides[name] = (sim, Dashboard(sim, args.shape, root=root, deflate=deflate[root]))
        if args.what == "e2e":
            result = compare_e2e(sides, clients=args.clients, rate=args.rate, rounds=args.rounds,
                                 channels=args.channels, seconds=args.seconds)
        else:
            result = compare_actions(sides, rounds=args.rounds, requests=args.requests)
    finally:
        for sim, dashboard in sides.values():
            dashboard.stop()
            sim.stop()
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    result = {"machine": machine(), "baseline": args.baseline, **result}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
