"""After any resync the live list equals ARI's GET /channels, and nothing polls a channel that is gone:
a PBX that loses its calls without a single event (the simulator's /_sim/reset) and an Asterisk restart,
seen by a real dashboard server and its live WebSocket."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.dashboard.test_live_socket import open_page
from tests.live_server import LiveDashboard

APP = "switchboard-resync"  # its own app: the session's live_dashboard holds "switchboard"


@pytest.fixture(scope="module")
def own_sim():
    """A simulator of its own: its request log then holds this dashboard's requests only (every other
    dashboard of the session would see these calls too, and ask about them once they are lost)."""
    from ari_sim.testing import running_simulator

    with running_simulator() as simulator:
        yield simulator


@pytest.fixture(scope="module")
def dashboard(own_sim, tmp_path_factory):
    # Checks against GET /channels every second, RTP statistics every 5 s (the sampler's shortest interval).
    server = LiveDashboard(own_sim, tmp_path_factory.mktemp("resync"), app=APP, extra_env={
        "LIVE_RECONCILE_SECONDS": "1", "STUCK_RTP_SILENCE_SECONDS": "15"})
    yield server
    server.stop()


@pytest.fixture
def sim(own_sim):
    own_sim.control("POST", "/_sim/reset")
    return own_sim


@pytest.fixture
def ari(sim):
    client = httpx.Client(base_url=sim.ari_url, auth=(sim.username, sim.password), timeout=10)
    for phone in ("alice", "bob", "carol"):
        sim.control("POST", f"/_sim/phones/PJSIP/{phone}", json={"answer_after": 0.05})
    yield client
    for channel in client.get("/channels").json():
        client.delete(f"/channels/{channel['id']}")
    client.close()


def _calls(ari, count: int) -> set[str]:
    ids = set()
    for n in range(count):
        response = ari.post("/channels", params={"endpoint": f"PJSIP/{('alice', 'bob', 'carol')[n % 3]}", "app": APP})
        assert response.status_code == 200, response.text
        ids.add(response.json()["id"])
    return ids


def _rest_ids(dashboard) -> set[str]:
    return {c["id"] for c in dashboard.login("supervisor").get("/api/v1/channels", params={"limit": 1000})
            .json()["results"]}


def _ari_ids(ari) -> set[str]:
    return {c["id"] for c in ari.get("/channels").json()}


def _page_ids(page) -> set[str]:
    return {c["id"] for c in page.channels.values()}


async def test_calls_lost_without_an_event_leave_every_list_and_are_not_polled(dashboard, ari, sim):
    ids = _calls(ari, 6)
    page = await open_page(dashboard, "supervisor")
    await page.until(lambda p: ids <= _page_ids(p) and all(p.by_id(i)["state"] == "Up" for i in ids), timeout=10,
                     what="the calls, answered")
    sim.control("POST", "/_sim/reset")  # an idle PBX at once: no ChannelDestroyed, the event socket stays open
    await page.until(lambda p: not _page_ids(p) & ids, timeout=10, what="the lost calls to leave the page")
    assert not _rest_ids(dashboard) & ids
    assert _page_ids(page) == _rest_ids(dashboard) == _ari_ids(ari)
    # Nothing asks Asterisk about them any more (the RTP sampler reads every answered call every 5 s).
    sim.control("DELETE", "/_sim/requests")
    await asyncio.sleep(6)
    asked = {r["path"].split("/")[3] for r in sim.control("GET", "/_sim/requests")
             if r["path"].startswith("/ari/channels/")}
    assert not asked & ids, f"still polled: {asked & ids}"
    await page.ws.close()


async def test_after_an_asterisk_restart_the_page_equals_get_channels(dashboard, ari, sim):
    before = _calls(ari, 3)
    page = await open_page(dashboard, "supervisor")
    await page.until(lambda p: before <= _page_ids(p), timeout=10, what="the calls")
    sim.control("POST", "/_sim/restart", json={"down_seconds": 0.5})
    await page.until(lambda p: p.servers["default"]["state"] != "live", what="the lost connection")
    await page.until(lambda p: p.servers["default"]["state"] == "live", timeout=15, what="live again")
    after = _calls(ari, 2)  # once the app is registered again (a call into an unknown app fails)
    await page.until(lambda p: _page_ids(p) == after, timeout=15, what="exactly the calls made after the restart")
    assert _rest_ids(dashboard) == _ari_ids(ari) == after
    await page.ws.close()
