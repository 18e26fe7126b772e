"""`make bench`: every benchmark in one run; writes bench/results.json and docs/performance.md.

    .venv/bin/python -m bench                    # the full run (about 10 minutes on 2 cores)
    .venv/bin/python -m bench --quick            # tiny numbers, a minute or two (the smoke test's size)
    .venv/bin/python -m bench --only actions,e2e # some of: ingest peers actions e2e scale production wallboard takeover
    .venv/bin/python -m bench --baseline REV     # also run the dashboard rows from a worktree of REV,
                                                 # side by side in the same run (before/after figures)

Rows that need the dashboard run it as production would: uvicorn, the simulator in its own
process, real logins; `production` repeats the big rows with switchboard.serve --workers 2 + Redis +
manage.py ari_listen (+ PostgreSQL when it answers); `takeover` kills the listener that holds the
lease beside a standby one and times the failover.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from . import actions, e2e, ingest, peers, profiling, report, scale, takeover, wallboard
from .common import ROOT, Dashboard, Simulator, log, machine, redis_answers

ALL = ("ingest", "peers", "actions", "e2e", "scale", "production", "wallboard", "takeover")

FULL = {
    "ingest": {"rounds": 9, "passes": 20},
    "peers": {"requests": 600, "rounds": 3, "passes": 20},
    "actions": {"requests": 300, "rounds": 3, "seconds": 5.0, "in_flight": 16},
    "e2e": {"channels": 500, "rates": (100, 1000, 5000), "client_counts": (1, 50, 200), "seconds": 4.0},
    "scale": {"channels": 10_000, "burst": 10_000},
    "production_e2e": {"channels": 500, "rates": (1000, 5000), "client_counts": (200,), "seconds": 4.0},
    "takeover": {"rounds": 3, "channels": 500},
    "profile_seconds": 6,
    "wallboard": {"phones": 1000, "rounds": 2},
}
QUICK = {
    "ingest": {"rounds": 2, "passes": 2},
    "peers": {"requests": 60, "rounds": 1, "passes": 1},
    "actions": {"requests": 20, "rounds": 1, "seconds": 1.0, "in_flight": 4},
    "e2e": {"channels": 20, "rates": (50,), "client_counts": (1, 3), "seconds": 1.0, "browser_at": 3},
    "scale": {"channels": 200, "burst": 200},
    "production_e2e": {"channels": 20, "rates": (50,), "client_counts": (2,), "seconds": 1.0, "browser_at": 2},
    "takeover": {"rounds": 1, "channels": 20},
    "profile_seconds": 0,
    "wallboard": {"phones": 20, "rounds": 1},
}


def _guard(results: dict, name: str, fn: Callable[[], Any]) -> None:
    started = time.monotonic()
    try:
        results[name] = fn()
    except Exception as exc:  # noqa: BLE001 - one broken row must not lose the others
        traceback.print_exc()
        results[name] = {"error": f"{type(exc).__name__}: {exc}"}
    results[name]["elapsed_s"] = round(time.monotonic() - started, 1)


def _worktree(rev: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True,
                   capture_output=True)
    return path


def _profile_cell(sim: Simulator, dashboard: Dashboard, sizes: dict) -> dict:
    """The slowest path: the dashboard under the target e2e row, sampled by py-spy."""
    exe = peers.PEERS_VENV / "bin" / "py-spy"
    if not exe.exists() and profiling.py_spy() is None:
        return {"skipped": "py-spy not installed"}
    seconds = sizes["profile_seconds"]
    swarms = e2e.start_swarms(dashboard, e2e.TARGET_CLIENTS)
    try:
        handle = profiling.start(dashboard.pids()[0], seconds, exe=str(exe) if exe.exists() else None)
        row = e2e.run_cell(sim, dashboard, swarms, None, rate=e2e.TARGET_RATE, clients=e2e.TARGET_CLIENTS,
                           channels=sizes["e2e"]["channels"], seconds=seconds)
        stacks = profiling.finish(handle)
    finally:
        for worker in swarms:
            worker.close()
    return {"cell": f"{e2e.TARGET_RATE}/s x {e2e.TARGET_CLIENTS} clients", "latency_ms": row["latency_ms"],
            **profiling.top(stacks, 30)}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny numbers: checks that everything runs")
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    parser.add_argument("--baseline", default=None, help="git revision to run the dashboard rows from as well")
    parser.add_argument("--e2e-clients", default=None, help="override: client counts, e.g. 50,200")
    parser.add_argument("--e2e-rates", default=None, help="override: event rates, e.g. 1000")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--doc", default=str(ROOT / "docs" / "performance.md"))
    args = parser.parse_args()
    only = set(args.only.split(","))
    unknown = only - set(ALL)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    sizes = json.loads(json.dumps(QUICK if args.quick else FULL))  # a copy to override
    for key, option, name in (("e2e", args.e2e_clients, "client_counts"), ("e2e", args.e2e_rates, "rates")):
        if option:
            sizes[key][name] = tuple(int(x) for x in option.split(","))
            sizes["production_e2e"][name] = sizes[key][name]
    started = time.monotonic()
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    log(f"bench: {', '.join(b for b in ALL if b in only)} on {results['machine']['cores']} cores"
        f"{' (quick)' if args.quick else ''}")

    if "ingest" in only:
        _guard(results, "ingest", lambda: ingest.run(**sizes["ingest"]))
    if "peers" in only:
        sim = Simulator()
        try:
            _guard(results, "peers", lambda: peers.run(sim, **sizes["peers"]))
        finally:
            sim.stop()

    baseline_root = _worktree(args.baseline) if args.baseline else None
    roots = [("", ROOT)] + ([(f" @{args.baseline}", baseline_root)] if baseline_root else [])
    try:
        for suffix, root in roots:
            if only & {"actions", "e2e", "scale"}:
                sim = Simulator()
                dashboard = None
                try:
                    dashboard = Dashboard(sim, "single", root=root)
                    if "actions" in only:
                        _guard(results, "actions" + suffix, lambda: actions.run(sim, dashboard, **sizes["actions"]))
                    if "e2e" in only:
                        _guard(results, "e2e" + suffix, lambda: e2e.run(sim, dashboard, **sizes["e2e"]))
                        if not suffix and sizes["profile_seconds"]:
                            _guard(results, "profile", lambda: _profile_cell(sim, dashboard, sizes))
                    if "scale" in only:
                        _guard(results, "scale" + suffix, lambda: scale.run(sim, dashboard, **sizes["scale"]))
                finally:
                    if dashboard is not None:
                        dashboard.stop()
                    sim.stop()
            if "production" in only:
                if not redis_answers():
                    results["production" + suffix] = {"skipped": "no Redis on 127.0.0.1:6379"}
                    continue
                sim = Simulator()
                dashboard = None
                try:
                    dashboard = Dashboard(sim, "production", workers=2, root=root)
                    production: dict[str, Any] = {"config": dashboard.describe()}
                    _guard(production, "actions", lambda: actions.run(sim, dashboard, **sizes["actions"]))
                    _guard(production, "e2e", lambda: e2e.run(sim, dashboard, **sizes["production_e2e"]))
                    _guard(production, "scale", lambda: scale.run(sim, dashboard, **sizes["scale"]))
                    results["production" + suffix] = production
                finally:
                    if dashboard is not None:
                        dashboard.stop()
                    sim.stop()
    finally:
        if baseline_root is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline_root)], cwd=ROOT,
                           capture_output=True)

    if "wallboard" in only:
        sim = Simulator("--phones", str(sizes["wallboard"]["phones"]))
        dashboard = None
        try:
            dashboard = Dashboard(sim, "single")
            _guard(results, "wallboard", lambda: wallboard.run(sim, dashboard, **sizes["wallboard"]))
        finally:
            if dashboard is not None:
                dashboard.stop()
            sim.stop()
    if "takeover" in only:
        if not redis_answers():
            results["takeover"] = {"skipped": "no Redis on 127.0.0.1:6379"}
        else:
            sim = Simulator()
            dashboard = None
            try:
                dashboard = Dashboard(sim, "production", workers=2)
                _guard(results, "takeover", lambda: takeover.run(sim, dashboard, **sizes["takeover"]))
            finally:
                if dashboard is not None:
                    dashboard.stop()
                sim.stop()

    results["elapsed_s"] = round(time.monotonic() - started, 1)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    Path(args.doc).write_text(report.markdown(results))
    log(f"bench: done in {results['elapsed_s']} s; wrote {args.out} and {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
