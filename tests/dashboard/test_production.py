"""The production parts on this machine's services: PostgreSQL for the database, Redis for the channel
layer, one `ari_listen` feeding two separate web processes."""
from __future__ import annotations

import asyncio
import json
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


def test_the_database_really_is_postgresql(production):
    dashboard, _ = production
    url = dashboard.env["DATABASE_URL"]
    with psycopg.connect(url) as conn:
        users = {row[0] for row in conn.execute("select username from auth_user")}
        groups = {row[0] for row in conn.execute("select name from auth_group")}
    assert {"supervisor", "agent", "noc", "admin"} <= users
    assert {"agent", "supervisor", "noc", "admin"} == groups


def test_odd_input_is_refused_and_audited_in_postgresql(production, simulator):
    from tests.dashboard.test_bad_input import odd_input_is_refused_and_audited

    dashboard, _ = production
    ari = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password))
    channel_id = ari.post("/channels", params={"endpoint": "PJSIP/alice", "app": APP}).json()["id"]
    try:
        odd_input_is_refused_and_audited(dashboard, channel_id)
    finally:
        ari.delete(f"/channels/{channel_id}")
