"""A page that stops reading its live socket is cut off, and costs the others nothing meanwhile."""
from __future__ import annotations

import asyncio
import base64
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ari_sim.testing import running_simulator
from dashboard import backlog
from tests.dashboard.test_live_socket import open_page
from tests.live_server import LiveDashboard

APP = "switchboard-stall"
# A snapshot of ~5 MB: more than the kernel's buffers take (~4 MB on loopback) for a page that reads nothing.
CHANNELS = 8000
STALL_SECONDS = 2


@dataclass
class _Batch:
    servers: dict | None = None
    resync: bool = False


def test_the_backlog_of_a_page_that_does_not_read_stays_bounded():
    pending: list = []
    for n in range(backlog.LIMIT):
        pending = backlog.add(pending, _Batch(servers={"n": n} if n == 3 else None))
    assert len(pending) == backlog.LIMIT and not any(b.resync for b in pending)  # kept as they came
    for _ in range(10_000):
        pending = backlog.add(pending, _Batch())
        assert len(pending) <= backlog.LIMIT
    assert pending[0].resync  # the page gets a fresh snapshot when it reads again
    pending = [_Batch(servers={"n": 1}), *[_Batch() for _ in range(backlog.LIMIT)]]
    assert backlog.add(pending, _Batch()) == [_Batch(servers={"n": 1}, resync=True)]  # the last state kept


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    with running_simulator() as sim:
        with httpx.Client(base_url=sim.ari_url, auth=(sim.username, sim.password), timeout=30) as ari:
            for n in range(CHANNELS // 2):
                ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "103",
                                              "context": "default", "channelId": f"stall-{n}"}).raise_for_status()
        dashboard = LiveDashboard(sim, tmp_path_factory.mktemp("stall"), app=APP,
                                  extra_env={"WEBSOCKET_STALL_SECONDS": str(STALL_SECONDS)})
        with httpx.Client(base_url=sim.ari_url, auth=(sim.username, sim.password), timeout=30) as ari:
            # The one that changes: in the dashboard's app (registered now), so that its events reach it.
            ari.post("/channels", params={"endpoint": "Local/103@default", "app": APP,
                                          "channelId": "watched"}).raise_for_status()
        yield sim, dashboard
        dashboard.stop()


def _server_side_open(port: int, client_port: int) -> bool:
    """Whether the dashboard still holds its end of the connection from `client_port`."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state = line.split()[1:4]
        if local.endswith(f":{port:04X}") and remote.endswith(f":{client_port:04X}") and state == "01":
            return True
    return False


def _stalled_page(dashboard: LiveDashboard, cookie: str) -> socket.socket:
    """A WebSocket handshake on /ws/live/ by a client that then reads nothing, with a tiny receive window."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", dashboard.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws/live/ HTTP/1.1\r\nHost: 127.0.0.1:{dashboard.port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Origin: {dashboard.url}\r\nCookie: {cookie}\r\n\r\n").encode())
    assert sock.recv(12) == b"HTTP/1.1 101"
    return sock


async def test_a_page_that_stops_reading_is_cut_off_and_the_others_keep_up(crowded):
    sim, dashboard = crowded
    client = dashboard.login("supervisor")
    deadline = time.monotonic() + 60
    while client.get("/api/v1/channels/watched").status_code != 200 or \
            client.get("/api/v1/channels", params={"limit": 1}).json()["count"] < CHANNELS:
        assert time.monotonic() < deadline, "the dashboard never saw the parked channels"
        await asyncio.sleep(0.2)
    cookie = dashboard.cookie_header(client)
    stalled = _stalled_page(dashboard, cookie)
    client_port = stalled.getsockname()[1]
    try:
        page = await open_page(dashboard, "supervisor")
        await asyncio.sleep(1)
        assert _server_side_open(dashboard.port, client_port)
        # Changes keep coming: they must reach the page that reads while the other one is stuck.
        with httpx.Client(base_url=sim.ari_url, auth=(sim.username, sim.password)) as ari:
            cut_off_after = None
            started = time.monotonic()
            for n in range(40):
                ari.post("/channels/watched/variable", params={"variable": "CALLERID(name)", "value": f"tick {n}"})
                await page.until(lambda p, n=n: (p.by_id("watched") or {}).get("caller", {}).get("name") == f"tick {n}",
                                 what=f"tick {n} on the page that reads")
                if cut_off_after is None and not _server_side_open(dashboard.port, client_port):
                    cut_off_after = time.monotonic() - started
                    break
                await asyncio.sleep(0.5)
        await page.ws.close()
    finally:
        stalled.close()
    # Cut within the stall time (twice at most) plus the time the snapshot took to fill the buffers.
    assert cut_off_after is not None, f"the stalled page was never cut off; log:\n{dashboard.log()}"
    assert cut_off_after < 4 * STALL_SECONDS + 5
