"""Listener failover: two `manage.py ari_listen` share the lease in Redis; SIGKILL the one that holds it
and time how long until a page gets live changes again (the lease running out, the standby's ARI
socket and resync, the replicas' fresh snapshot, the page's). Then the page must equal GET /channels.

Each round kills whichever listener holds the lease and starts a new standby; the simulator keeps
changing caller names meanwhile (ari_sim/bench.py), each name a token with its emit time.
"""
from __future__ import annotations

import asyncio
import signal
import statistics
import subprocess
import sys
import time
from typing import Any

import orjson
import websockets

from .common import Dashboard, Simulator, log

RATE = 50  # caller-name changes a second while a round runs


class Listener:
    def __init__(self, dashboard: Dashboard, n: int):
        self.path = dashboard.data_dir / f"listener-{n}.log"
        self._log = open(self.path, "ab")
        self.proc = subprocess.Popen([sys.executable, str(dashboard.root / "manage.py"), "ari_listen"],
                                     env=dashboard.env, cwd=dashboard.root, stdout=self._log, stderr=subprocess.STDOUT)

    def holds(self) -> bool:
        return "Holding the lease" in self.path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"listener: no {text!r}:\n{self.path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()


class Page:
    """One live page's channels: the snapshot, then every diff applied (as static/js/common.js does)."""

    def __init__(self) -> None:
        self.channels: dict[str, dict] = {}
        self._parts: dict[str, dict] | None = None

    def take(self, message: dict) -> list[dict]:
        """Apply a message; returns the channels it added or changed."""
        kind = message.get("type")
        if kind == "snapshot":
            if not message.get("part") or self._parts is None:
                self._parts = {}
            self._parts.update({c["uid"]: c for c in message["channels"]})
            if message.get("last", True):
                self.channels, self._parts = self._parts, None
            return message["channels"]
        if kind != "diff":
            return []
        changed = list(message["upsert"])
        for c in message["upsert"]:
            self.channels[c["uid"]] = c
        for fields in message.get("patch", ()):
            channel = self.channels[fields["uid"]]
            channel.update(fields)
            changed.append(channel)
        for uid in message["remove"]:
            self.channels.pop(uid, None)
        return changed


async def _round(sim: Simulator, dashboard: Dashboard, active: Listener, cookie: str, prefix: str) -> dict[str, Any]:
    async with websockets.connect(dashboard.ws_url, origin=dashboard.url, additional_headers={"Cookie": cookie},
                                  max_size=None, ping_interval=None) as ws:
        page = Page()
        while True:
            message = orjson.loads(await ws.recv())
            page.take(message)
            if message["type"] == "snapshot" and message.get("last", True):
                break
        sim.control("POST", "/_sim/bench/events", {"rate": RATE, "seconds": 15, "channels": len(page.channels),
                                                    "prefix": prefix})
        await asyncio.sleep(1)
        killed = time.time()
        active.kill()
        back = None
        while back is None:
            for channel in page.take(orjson.loads(await asyncio.wait_for(ws.recv(), 30))):
                name = channel["caller"]["name"]
                if name.startswith(prefix + ":") and int(name.rsplit(":", 1)[1]) / 1e6 > killed:
                    back = time.time() - killed
                    break
        sim.control("DELETE", "/_sim/bench/events")
        await asyncio.sleep(1)
        deadline = time.monotonic() + 20
        while True:
            want = {c["uid"]: c for c in dashboard.channels()}
            try:
                while True:
                    page.take(orjson.loads(await asyncio.wait_for(ws.recv(), 0.3)))
            except TimeoutError:
                pass
            names = {uid: c["caller"]["name"] for uid, c in page.channels.items()}
            same = set(want) == set(page.channels) and all(names[u] == c["caller"]["name"] for u, c in want.items())
            if same or time.monotonic() > deadline:
                return {"live_again_s": round(back, 2), "page_equals_rest": same, "channels": len(want)}


def run(sim: Simulator, dashboard: Dashboard, *, rounds: int = 3, channels: int = 500) -> dict[str, Any]:
    """`dashboard` in the production shape, its own listener holding the lease."""
    have = len(sim.ari("GET", "/channels"))
    if have < channels:
        sim.park_channels(channels - have, prefix=f"tk{int(time.time())}")
    dashboard.wait_channels(max(have, channels))
    cookie = "; ".join(f"{k}={v}" for k, v in dashboard.session("supervisor").items())
    active: Listener | None = None
    standbys: list[Listener] = []
    got = []
    try:
        for n in range(rounds):
            standby = Listener(dashboard, n)
            standbys.append(standby)
            standby.wait_for("Standing by")
            victim = active or _Adopted(dashboard)
            row = asyncio.run(_round(sim, dashboard, victim, cookie, f"tk{n}x{int(time.time()) % 100000}"))
            standby.wait_for("Holding the lease", timeout=5)
            active = standby
            log(f"takeover round {n}: live again after {row['live_again_s']} s, page = REST: {row['page_equals_rest']}")
            got.append(row)
    finally:
        for listener in standbys:
            listener.stop()
    times = [r["live_again_s"] for r in got]
    return {
        "config": dashboard.describe() + " + a standby `manage.py ari_listen`",
        "what": "SIGKILL the listener holding the lease while the simulator changes caller names at "
                f"{RATE}/s; time until a page gets a change made after the kill",
        "rounds": got,
        "live_again_s": {"median": statistics.median(times), "max": max(times)} if times else None,
        "targets": {"takeover_5s": {"target": "live again within 5 s, the page = GET /channels after",
                                    "met": bool(got) and max(times) <= 5 and all(r["page_equals_rest"] for r in got)}},
    }


class _Adopted:
    """The dashboard's own listener, as the first one to kill."""

    def __init__(self, dashboard: Dashboard):
        self.dashboard = dashboard

    def kill(self) -> None:
        proc = self.dashboard.listener
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)


if __name__ == "__main__":
    simulator = Simulator()
    board = Dashboard(simulator, "production")
    try:
        print(orjson.dumps(run(simulator, board, rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 3),
                           option=orjson.OPT_INDENT_2).decode())
    finally:
        board.stop()
        simulator.stop()
