"""The REST actions on the event loop: each process caches who a session or token signs in, and the
cache must never let anyone act with a sign-in or role they no longer have; every answered action is in
the audit log, whatever happens to the process. Real uvicorn servers; the admin is driven over HTTP."""
from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
import uuid

import httpx
import pytest
import redis

from tests.dashboard.test_signout import REDIS_URL, Site, call_in_app, create_token, holds_sent, revoke_token
from tests.live_server import LiveDashboard
from tests.site_admin import submit

APP = "switchboard-async"
# The cache would otherwise also expire after LIVE_AUTH_RECHECK_SECONDS: long here, so that what the tests see
# is the invalidation, not the expiry.
LONG_CACHE = {"LIVE_AUTH_RECHECK_SECONDS": "600"}
USERS = [
    ("cached-sup", "supervisor", "PJSIP/supervisor1"),
    ("cached-sup2", "supervisor", "PJSIP/supervisor1"),
    ("cached-noc", "noc", "PJSIP/noc1"),
    ("inactive-sup", "supervisor", "PJSIP/supervisor1"),
]


@pytest.fixture(scope="module")
def site(simulator, tmp_path_factory):
    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("async"), app=APP, extra_env=LONG_CACHE)
    yield Site(dashboard, USERS)
    dashboard.stop()


@pytest.fixture
def ari(simulator):
    client = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password), timeout=10)
    simulator.control("POST", "/_sim/phones/PJSIP/alice", json={"answer_after": 0.05})
    yield client
    for channel in client.get("/channels").json():
        if channel["name"].startswith("PJSIP/alice"):
            client.delete(f"/channels/{channel['id']}")


def hold(client: httpx.Client, channel_id: str, **headers) -> httpx.Response:
    return client.post(f"/api/v1/channels/{channel_id}/hold", headers=headers)


def in_app(client: httpx.Client, channel_id: str, app: str = APP) -> str:
    """The channel id once the dashboard (the process `client` talks to) sees the call up in the app."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        seen = client.get(f"/api/v1/channels/{channel_id}")
        if seen.status_code == 200 and seen.json()["app"] == app and seen.json()["state"] == "Up":
            return channel_id
        time.sleep(0.05)
    raise AssertionError(f"the dashboard never saw {channel_id} up in {app}")


def test_a_demoted_user_cannot_act_once_the_change_is_saved(site, ari, simulator):
    browser = site.dashboard.login("cached-sup")
    channel_id = in_app(browser, call_in_app(ari, "PJSIP/alice", APP))
    assert hold(browser, channel_id).status_code == 204  # the sign-in is cached now
    submit(site.admin, site.user_path("cached-sup"), {"groups": [str(site.groups["agent"])]})
    refused = hold(browser, channel_id)
    assert refused.status_code == 403, refused.text
    assert "agent" in refused.json()["message"]
    assert len(holds_sent(simulator, channel_id)) == 1
    audit = site.admin.get("/api/v1/audit", params={"user": "cached-sup", "action": "hold"}).json()["results"]
    assert [e["outcome"] for e in audit] == ["denied", "ok"]


def test_logout_ends_the_sessions_actions_at_once(site, ari, simulator):
    browser = site.dashboard.login("cached-sup2")
    channel_id = in_app(browser, call_in_app(ari, "PJSIP/alice", APP))
    assert hold(browser, channel_id).status_code == 204
    csrf = browser.headers["X-CSRFToken"]
    cookies = dict(browser.cookies)
    assert browser.post("/logout/").status_code == 302
    # The old cookie, as a tab that missed the logout would send it.
    late = httpx.post(f"{site.dashboard.url}/api/v1/channels/{channel_id}/unhold", cookies=cookies,
                      headers={"X-CSRFToken": csrf})
    assert late.status_code in (401, 403), late.text
    assert [r["method"] for r in simulator.control("GET", "/_sim/requests")
            if r["path"].endswith(f"/channels/{channel_id}/hold")] == ["POST"]


def test_a_revoked_token_and_a_deactivated_user_stop_at_once(site, ari, simulator):
    browser = site.dashboard.login("cached-noc")
    token = create_token(browser)
    channel_id = in_app(browser, call_in_app(ari, "PJSIP/alice", APP))
    script = httpx.Client(base_url=site.dashboard.url, headers={"Authorization": f"Token {token}"})
    assert hold(script, channel_id).status_code == 204
    revoke_token(browser)
    assert script.post(f"/api/v1/channels/{channel_id}/unhold").status_code == 401
    assert len(holds_sent(simulator, channel_id)) == 1

    other = site.dashboard.login("inactive-sup")
    assert other.post(f"/api/v1/channels/{channel_id}/unhold").status_code == 204
    submit(site.admin, site.user_path("inactive-sup"), {"is_active": None})  # the box unticked
    assert hold(other, channel_id).status_code in (401, 403)
    assert len(holds_sent(simulator, channel_id)) == 1


@pytest.mark.redis
def test_a_demotion_on_one_worker_is_obeyed_by_the_other(simulator, tmp_path_factory, ari):
    prefix = f"sbtest-{uuid.uuid4().hex[:8]}"
    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("async-redis"), app=APP + "-r", listener=True,
                              extra_env={"REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix, **LONG_CACHE})
    try:
        second = dashboard.another_worker()
        site = Site(dashboard, [("worker-sup", "supervisor", "PJSIP/supervisor1")])
        browser = dashboard.login("worker-sup", url=second)
        channel_id = in_app(browser, call_in_app(ari, "PJSIP/alice", APP + "-r"), APP + "-r")
        assert hold(browser, channel_id).status_code == 204
        submit(site.admin, site.user_path("worker-sup"), {"groups": [str(site.groups["agent"])]})
        # The first worker tells the second through Redis: a moment, never a cache lifetime (600 s here).
        time.sleep(0.5)
        assert hold(browser, channel_id).status_code == 403
        assert len(holds_sent(simulator, channel_id)) == 1
    finally:
        dashboard.stop()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


# ---------------------------------------------------------------- the audit writer


def _audited(dashboard: LiveDashboard, channel_id: str) -> int:
    with sqlite3.connect(dashboard.data_dir / "db.sqlite3") as db:
        return db.execute("select count(*) from dashboard_auditentry where channel_id = ?", (channel_id,)).fetchone()[0]


async def _hammer(dashboard: LiveDashboard, browser: httpx.Client, channel_id: str, stop: asyncio.Event) -> list[int]:
    """16 requests in flight, hold and unhold, until `stop` (or the server dies); the statuses answered."""
    answered: list[int] = []

    async def worker(n: int) -> None:
        async with httpx.AsyncClient(base_url=dashboard.url, cookies=dict(browser.cookies),
                                     headers={"X-CSRFToken": browser.headers["X-CSRFToken"]}, timeout=10) as http:
            while not stop.is_set():
                try:
                    response = await http.post(f"/api/v1/channels/{channel_id}/{'hold' if n % 2 else 'unhold'}")
                except httpx.HTTPError:
                    return  # the server is gone: this request was in flight, never answered
                answered.append(response.status_code)
                n += 1

    await asyncio.gather(*(worker(n) for n in range(16)))
    return answered


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
async def test_every_answered_action_is_in_the_audit_log_whatever_stops_the_process(simulator, tmp_path_factory,
                                                                                    ari, how):
    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("audit-crash"), app=APP + "-c")
    try:
        browser = dashboard.login("supervisor")
        channel_id = in_app(browser, call_in_app(ari, "PJSIP/alice", APP + "-c"), APP + "-c")
        before = _audited(dashboard, channel_id)
        stop = asyncio.Event()
        load = asyncio.create_task(_hammer(dashboard, browser, channel_id, stop))
        await asyncio.sleep(1.5)
        server = dashboard.procs[-1]
        os.kill(server.pid, getattr(signal, how))
        answered = await asyncio.wait_for(load, 30)
        stop.set()
        server.wait(30)
        written = _audited(dashboard, channel_id) - before
        assert len(answered) > 50, f"only {len(answered)} answers before the {how}"
        assert all(status in (204, 409, 412) for status in answered), set(answered)
        # Nothing answered is missing; what is beyond the answers was in flight (16 at most).
        assert len(answered) <= written <= len(answered) + 16, (len(answered), written)
    finally:
        dashboard.stop()
