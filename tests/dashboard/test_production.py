"""The production parts on this machine's services: PostgreSQL for the database, Redis for the channel
layer, one `ari_listen` feeding two separate web processes."""
from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import psycopg
import pytest
import redis
import websockets

from tests.dashboard.test_live_socket import LivePage
from tests.live_server import LiveDashboard

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
APP = "switchboard-prod"  # its own app: the session's live_dashboard holds "switchboard"

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def production(simulator, tmp_path_factory):
    name = f"switchboard_test_{uuid.uuid4().hex[:10]}"
    prefix = f"sbtest-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("production"), app=APP, listener=True, extra_env={
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}",
        "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix,
    })
    second = dashboard.another_worker()
    yield dashboard, second
    dashboard.stop()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


async def _page(dashboard: LiveDashboard, url: str, username: str) -> LivePage:
    client = dashboard.login(username, url=url)
    ws = await websockets.connect(url.replace("http", "ws") + "/ws/live/", origin=url,
                                  additional_headers={"Cookie": dashboard.cookie_header(client)})
    page = LivePage(ws)
    await page.until(lambda p: any(m["type"] == "snapshot" and m.get("last", True) for m in p.messages),
                     what="the snapshot")
    return page


async def test_two_workers_share_the_live_state_through_redis(production, simulator):
    dashboard, second = production
    ari = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password))
    simulator.control("POST", "/_sim/phones/PJSIP/alice", json={"answer_after": 0.05})
    on_first = await _page(dashboard, dashboard.url, "supervisor")
    on_second = await _page(dashboard, second, "supervisor")
    channel_id = ari.post("/channels", params={"endpoint": "PJSIP/alice", "app": APP}).json()["id"]
    for page in (on_first, on_second):
        await page.until(lambda p: p.by_id(channel_id) and p.by_id(channel_id)["app"] == APP, what="the call")
    # A hold through the first worker (ARI raises no event for it) shows on the second worker's page.
    supervisor = dashboard.login("supervisor")
    assert supervisor.post(f"/api/v1/channels/{channel_id}/hold").status_code == 204
    await on_second.until(lambda p: p.by_id(channel_id)["flags"]["held"], what="the hold on the other worker")
    assert on_second.by_id(channel_id)["flags"]["held_by"] == "dashboard"
    # The second worker's REST list agrees, and the audit entry is in PostgreSQL for both workers.
    listed = dashboard.login("noc", url=second).get("/api/v1/channels").json()["results"]
    assert [c["flags"]["held"] for c in listed if c["id"] == channel_id] == [True]
    audit = dashboard.login("admin", url=second).get("/api/v1/audit", params={"action": "hold"}).json()["results"]
    assert any(e["channel_id"] == channel_id and e["outcome"] == "ok" for e in audit)
    ari.delete(f"/channels/{channel_id}")
    for page in (on_first, on_second):
        await page.until(lambda p: p.by_id(channel_id) is None, what="the hangup")
        await page.ws.close()


def test_a_failed_move_is_reported_by_a_worker_that_only_sees_the_listener(production, simulator):
    """The web worker has no ARI event stream of its own: ApplicationMoveFailed reaches it from the
    `ari_listen` process through Redis, in time to answer the request with the failure."""
    dashboard, second = production
    ari = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password))
    simulator.control("POST", "/_sim/phones/PJSIP/alice", json={"answer_after": 0.05})
    channel_id = ari.post("/channels", params={"endpoint": "PJSIP/alice", "app": APP}).json()["id"]
    noc = dashboard.login("noc", url=second)
    deadline = time.monotonic() + 10
    while not [c for c in noc.get("/api/v1/channels").json()["results"] if c["id"] == channel_id and c["app"] == APP]:
        assert time.monotonic() < deadline, "the call never reached the second worker"
        time.sleep(0.1)
    response = noc.post(f"/api/v1/channels/{channel_id}/move", json={"app": "dashboard2"})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "move_failed"
    audit = dashboard.login("admin").get("/api/v1/audit", params={"action": "move"}).json()["results"]
    assert [(e["outcome"], e["status"]) for e in audit if e["channel_id"] == channel_id] == [("failed", 422)]
    ari.delete(f"/channels/{channel_id}")


async def test_a_fresh_worker_answers_a_burst_of_actions_with_a_small_pool(production, simulator):
    """A worker's first actions often come together: its sign-in cache is cold and its audit writer has no
    connection yet. Each sign-in lookup used to keep its pooled connection until the request ended, while
    the request waited for the audit writer, which needed a connection: the pool ran dry, every action
    hung (PoolTimeout after 10 s, four times)."""
    dashboard, _ = production
    fresh = dashboard.another_worker(DATABASE_POOL_SIZE="3")
    ari = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password))
    simulator.control("POST", "/_sim/phones/PJSIP/alice", json={"answer_after": 0.05})
    channel_id = ari.post("/channels", params={"endpoint": "PJSIP/alice", "app": APP}).json()["id"]
    try:
        supervisor = dashboard.login("supervisor", url=fresh)
        deadline = time.monotonic() + 10
        while supervisor.get(f"/api/v1/channels/{channel_id}").json().get("state") != "Up":
            assert time.monotonic() < deadline, "the call never reached the fresh worker"
            time.sleep(0.1)
        async with httpx.AsyncClient(base_url=fresh, cookies=dict(supervisor.cookies), timeout=30,
                                     headers={"X-CSRFToken": supervisor.cookies["csrftoken"]}) as http:
            started = time.monotonic()
            answers = await asyncio.gather(*(http.post(f"/api/v1/channels/{channel_id}/{('hold', 'unhold')[n % 2]}")
                                             for n in range(12)))
            took = time.monotonic() - started
        assert [a.status_code for a in answers] == [204] * 12, [a.text for a in answers]
        assert took < 5, f"12 actions took {took:.1f} s"
    finally:
        ari.delete(f"/channels/{channel_id}")


def test_the_database_really_is_postgresql(production):
    dashboard, _ = production
    url = dashboard.env["DATABASE_URL"]
    with psycopg.connect(url) as conn:
        users = {row[0] for row in conn.execute("select username from auth_user")}
        groups = {row[0] for row in conn.execute("select name from auth_group")}
    assert {"supervisor", "agent", "noc", "admin"} <= users
    assert {"agent", "supervisor", "noc", "admin"} == groups


async def test_the_wallboard_through_redis_and_ari_listen(production, simulator):
    """The endpoints' state is kept by ari_listen and reaches both workers' wallboards over Redis."""
    from tests.dashboard.test_wallboard_socket import Board

    dashboard, second = production
    boards = []
    for url in (dashboard.url, second):
        client = dashboard.login("supervisor", url=url)
        ws = await websockets.connect(url.replace("http", "ws") + "/ws/wallboard/", origin=url,
                                      additional_headers={"Cookie": dashboard.cookie_header(client)})
        board = Board(ws)
        await board.until(lambda b: b.status("PJSIP/carol") == "idle", "carol idle")
        boards.append(board)
    simulator.control("POST", "/_sim/phones/PJSIP/carol", json={"offline": True})
    try:
        for board in boards:
            await board.until(lambda b: b.status("PJSIP/carol") == "offline", "carol offline on both workers")
        api = dashboard.login("admin", url=second).get("/api/v1/wallboard").json()
        assert [t["status"] for t in api["tiles"] if t["endpoint"] == "PJSIP/carol"] == ["offline"]
    finally:
        simulator.control("POST", "/_sim/phones/PJSIP/carol", json={"offline": False})
    for board in boards:
        await board.until(lambda b: b.status("PJSIP/carol") == "idle", "carol back")
        await board.ws.close()


def test_odd_input_is_refused_and_audited_in_postgresql(production, simulator):
    from tests.dashboard.test_bad_input import odd_input_is_refused_and_audited

    dashboard, _ = production
    ari = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password))
    channel_id = ari.post("/channels", params={"endpoint": "PJSIP/alice", "app": APP}).json()["id"]
    try:
        odd_input_is_refused_and_audited(dashboard, channel_id)
    finally:
        ari.delete(f"/channels/{channel_id}")
