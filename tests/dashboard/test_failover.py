"""Two `manage.py ari_listen` processes share a lease in Redis: one holds the ARI event socket, the other
stands by without one; SIGKILL the holder and the standby takes over within 5 s, resyncs, and the page
converges to GET /channels with nothing lost and no ghost rows."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest
import redis

from tests.dashboard.test_live_socket import open_page
from tests.live_server import ROOT, LiveDashboard

REDIS_URL = "redis://127.0.0.1:6379/0"
APP = "switchboard-failover"

pytestmark = pytest.mark.redis


class Listener:
    def __init__(self, dashboard: LiveDashboard, name: str):
        self.log_path = dashboard.data_dir / f"listener-{name}.log"
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "ari_listen"], env=dashboard.env,
                                     cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.proc.poll() is None, f"the listener exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.output()}"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self._log.close()


@pytest.fixture(scope="module")
def web(simulator, tmp_path_factory):
    prefix = f"sbtest-{uuid.uuid4().hex[:8]}"
    # REDIS_URL set: the web worker runs no listener of its own (ARI_LISTENER=external).
    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("failover"), app=APP,
                              extra_env={"REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix})
    yield dashboard
    dashboard.stop()
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _event_sockets(sim) -> int:
    return sum(1 for r in sim.control("GET", "/_sim/requests")
               if r["path"] == "/ari/events" and APP in str(r["query"].get("app")))


def _ids(channels) -> set[str]:
    return {c["id"] for c in channels}


async def test_the_standby_takes_over_within_5_s_and_every_page_converges(web, sim):
    sim.control("DELETE", "/_sim/requests")
    for phone in ("alice", "bob", "carol"):
        sim.control("POST", f"/_sim/phones/PJSIP/{phone}", json={"answer_after": 0.05})
    ari = httpx.Client(base_url=sim.ari_url, auth=(sim.username, sim.password), timeout=10)
    active = Listener(web, "a")
    standby = None
    try:
        active.wait_for("Holding the lease")
        standby = Listener(web, "b")
        standby.wait_for("Standing by")
        calls = [ari.post("/channels", params={"endpoint": f"PJSIP/{p}", "app": APP}).json()["id"]
                 for p in ("alice", "bob")]
        page = await open_page(web, "supervisor")
        await page.until(lambda p: set(calls) <= set(c["id"] for c in p.channels.values()), timeout=10,
                         what="the calls")
        time.sleep(2)
        assert _event_sockets(sim) == 1, "the standby opened an ARI event socket"
        assert "Holding" not in standby.output()

        active.proc.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        # While nobody listens: one call ends, one is renamed, one starts (in the dialplan: no app to enter).
        assert ari.delete(f"/channels/{calls[0]}").status_code == 204
        ari.post(f"/channels/{calls[1]}/variable", params={"variable": "CALLERID(name)", "value": "While away"})
        born = ari.post("/channels", params={"endpoint": "PJSIP/carol", "extension": "103",
                                             "context": "default"}).json()["id"]
        while _event_sockets(sim) < 2:
            assert time.monotonic() - killed < 5, "the standby did not connect within 5 s"
            time.sleep(0.05)
        standby.wait_for("Holding the lease", timeout=1)

        def converged(p) -> bool:
            mine = {c["id"]: c for c in p.channels.values()}
            return (set(mine) == _ids(ari.get("/channels").json())
                    and mine.get(calls[1], {}).get("caller", {}).get("name") == "While away")

        await page.until(converged, timeout=10, what="the page to equal GET /channels")
        assert calls[0] not in _ids(page.channels.values()) and born in _ids(page.channels.values())
        rest = web.login("supervisor").get("/api/v1/channels", params={"limit": 1000}).json()["results"]
        assert _ids(rest) == _ids(page.channels.values()) == _ids(ari.get("/channels").json())
        assert _event_sockets(sim) == 2
        await page.ws.close()
    finally:
        active.stop()
        if standby is not None:
            standby.stop()
        for channel in ari.get("/channels").json():
            ari.delete(f"/channels/{channel['id']}")
