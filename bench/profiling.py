"""Profiling a running dashboard with py-spy (when installed): where its CPU time goes.

`record(pid, seconds)` samples a process (and its threads) and returns the collapsed stacks;
`top(stacks)` sums them into inclusive and self time per function, for the closing note of a run.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, rate: int = 100, exe: str | None = None) -> tuple[subprocess.Popen, Path] | None:
    """Start sampling `pid` for `seconds` in the background; None when py-spy is not installed."""
    exe = exe or py_spy()
    if exe is None:
        return None
    out = Path(tempfile.mkstemp(suffix=".txt", prefix="pyspy-")[1])
    proc = subprocess.Popen([exe, "record", "-p", str(pid), "-d", str(int(seconds)), "-f", "raw", "-o", str(out),
                             "-r", str(rate), "--nonblocking", "--subprocesses"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, out


def finish(handle: tuple[subprocess.Popen, Path] | None) -> dict[str, int]:
    if handle is None:
        return {}
    proc, out = handle
    proc.wait(120)
    stacks: dict[str, int] = {}
    for line in out.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] = stacks.get(stack, 0) + int(count)
    out.unlink(missing_ok=True)
    return stacks


def _name(frame: str) -> str:
    # "function (path/to/file.py:123)" -> "function (file.py)"
    func, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(where).parts
    short = "/".join(parts[-2:]) if len(parts) >= 2 else where
    return f"{func} ({short})"


def top(stacks: dict[str, int], count: int = 25, idle: tuple[str, ...] = ("select (selectors.py)",
        "_worker (thread.py)", "wait (threading.py)", "_run_once (base_events.py)")) -> dict[str, list]:
    """Inclusive and self samples per function, busiest first (idle waits left out of `self`)."""
    total = sum(stacks.values()) or 1
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for stack, samples in stacks.items():
        frames = [_name(f) for f in stack.split(";") if f]
        for name in set(frames):
            inclusive[name] += samples
        if frames:
            own[frames[-1]] += samples
    busy = {k: v for k, v in own.items() if not any(k.startswith(i.split(" (")[0] + " (") for i in idle)}
    return {
        "samples": total,
        "inclusive": [(name, round(100 * n / total, 1)) for name, n in inclusive.most_common(count)],
        "self": [(name, round(100 * n / total, 1)) for name, n in Counter(busy).most_common(count)],
    }
