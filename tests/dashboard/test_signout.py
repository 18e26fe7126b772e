"""A live socket lives as long as its sign-in, with the role it had (dashboard/authstate.py): logout, a role,
profile, password or active-flag change, deletion, a revoked token and an expired session end it, in every
process. Real uvicorn servers and real WebSockets; the admin is driven over HTTP as a person would."""
from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
import uuid

import httpx
import pytest
import redis
import websockets

from tests.site_admin import manage_shell, submit
from tests.dashboard.test_live_socket import LivePage
from tests.live_server import LiveDashboard

SIGNED_OUT, ROLE_CHANGED = 4401, 4409
REDIS_URL = "redis://127.0.0.1:6379/0"
# Long enough that a socket closed within CLOSE_WITHIN was closed by the signal, not the periodic re-check.
NO_RECHECK = {"LIVE_AUTH_RECHECK_SECONDS": "600"}
CLOSE_WITHIN = 5.0

CREATE_USERS = """
import json
from django.contrib.auth.models import Group, User
from dashboard.models import Profile
users, profiles = {}, {}
for name, role, endpoint in %r:
    user = User.objects.create_user(name, password=name)
    user.groups.add(Group.objects.get(name=role))
    users[name] = user.pk
    profiles[name] = Profile.objects.create(user=user, endpoint=endpoint).pk
print(json.dumps({"users": users, "profiles": profiles, "groups": {g.name: g.pk for g in Group.objects.all()}}))
"""


class Site:
    """A dashboard with its own users: ids by name, group ids by role."""

    def __init__(self, dashboard: LiveDashboard, users: list[tuple[str, str, str]]):
        self.dashboard = dashboard
        made = json.loads(manage_shell(dashboard, CREATE_USERS % (users,)).strip().splitlines()[-1])
        self.ids, self.profiles, self.groups = made["users"], made["profiles"], made["groups"]
        self.admin = dashboard.login("admin")

    def user_path(self, name: str, page: str = "change") -> str:
        return f"/admin/auth/user/{self.ids[name]}/{page}/"


async def open_socket(url: str, *, cookies: str | None = None, token: str | None = None) -> LivePage:
    headers = {"Cookie": cookies} if cookies else {}
    if token:
        headers["Authorization"] = f"Token {token}"
    ws = await websockets.connect(url.replace("http", "ws", 1) + "/ws/live/", origin=url, additional_headers=headers)
    page = LivePage(ws)
    await page.until(lambda p: any(m["type"] == "snapshot" and m.get("last", True) for m in p.messages),
                     what="the snapshot")
    return page


async def tab(dashboard: LiveDashboard, client: httpx.Client, url: str | None = None) -> LivePage:
    """A page of the browser whose session `client` holds."""
    return await open_socket(url or dashboard.url, cookies=dashboard.cookie_header(client))


async def close_code(page: LivePage, timeout: float = CLOSE_WITHIN) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            await page.next(max(0.05, deadline - time.monotonic()))
        except websockets.ConnectionClosed:
            return page.ws.close_code
        except TimeoutError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the socket is still open after {timeout} s")


async def assert_open(page: LivePage) -> None:
    """The socket still answers (and so was not closed with the others)."""
    await page.ws.send(json.dumps({"type": "unwatch"}))
    await page.ws.send(json.dumps({"type": "nonsense"}))
    await page.until(lambda p: p.messages[-1]["type"] == "error", what="an answer on the socket")


async def refused_handshake(url: str, cookies: str, token: str | None = None) -> int:
    """The close code a socket opened with these cookies gets before any message (the page reads it:
    4401 sends it to the login page at once, where a refused handshake only shows as a lost connection)."""
    headers = {"Cookie": cookies, **({"Authorization": f"Token {token}"} if token else {})}
    async with websockets.connect(url.replace("http", "ws", 1) + "/ws/live/", origin=url,
                                  additional_headers=headers) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), CLOSE_WITHIN)
        return ws.close_code


def create_token(client: httpx.Client) -> str:
    page = client.post("/account/token/", data={"do": "create", "csrfmiddlewaretoken": client.cookies["csrftoken"]})
    assert page.status_code == 200, page.status_code
    return re.search(r'id="api-token-key">([0-9a-f]{40})<', page.text).group(1)


def revoke_token(client: httpx.Client) -> None:
    page = client.post("/account/token/", data={"do": "revoke", "csrfmiddlewaretoken": client.cookies["csrftoken"]})
    assert page.status_code == 200 and "You have no token." in page.text


# ---------------------------------------------------------------- one process (in-memory layer)

APP = "switchboard-signout"
USERS = [
    ("logout-sup", "supervisor", "PJSIP/supervisor1"),
    ("demoted-sup", "supervisor", "PJSIP/dave"),
    ("inactive-agent", "agent", "PJSIP/alice"),
    ("password-agent", "agent", "PJSIP/alice"),
    ("deleted-agent", "agent", "PJSIP/alice"),
    ("moved-agent", "agent", "PJSIP/alice"),
    ("token-noc", "noc", "PJSIP/noc1"),
    ("wallboard-sup", "supervisor", "PJSIP/supervisor1"),
    ("wallboard-demoted", "supervisor", "PJSIP/supervisor1"),
]


@pytest.fixture(scope="module")
def site(simulator, tmp_path_factory):
    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("signout"), app=APP, extra_env=NO_RECHECK)
    yield Site(dashboard, USERS)
    dashboard.stop()


@pytest.fixture
def ari(simulator):
    client = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password), timeout=10)
    for phone in ("alice", "dave"):
        simulator.control("POST", f"/_sim/phones/PJSIP/{phone}", json={"answer_after": 0.05})
    yield client
    for channel in client.get("/channels").json():
        if channel["name"].startswith(("PJSIP/alice", "PJSIP/dave")):
            client.delete(f"/channels/{channel['id']}")


def call_in_app(ari: httpx.Client, endpoint: str, app: str) -> str:
    response = ari.post("/channels", params={"endpoint": endpoint, "app": app})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def holds_sent(simulator, channel_id: str) -> list[dict]:
    return [r for r in simulator.control("GET", "/_sim/requests")
            if r["method"] == "POST" and r["path"].endswith(f"/channels/{channel_id}/hold")]


async def test_logout_closes_every_socket_of_that_session_and_no_action_runs_after_it(site, ari, simulator):
    dashboard = site.dashboard
    browser = dashboard.login("logout-sup")
    other_browser = dashboard.login("logout-sup")
    first, second = await tab(dashboard, browser), await tab(dashboard, browser)
    elsewhere = await tab(dashboard, other_browser)
    channel_id = call_in_app(ari, "PJSIP/alice", APP)
    await first.until(lambda p: p.by_id(channel_id) and p.by_id(channel_id)["app"] == APP, what="the call")

    assert browser.post("/logout/").status_code == 302
    # A page that did not notice yet sends an action: it must not reach Asterisk.
    try:
        await first.ws.send(json.dumps({"type": "action", "id": "late", "action": "hold",
                                        "uid": f"default:{channel_id}", "params": {}}))
    except websockets.ConnectionClosed:
        pass
    assert await close_code(first) == SIGNED_OUT
    assert await close_code(second) == SIGNED_OUT
    assert not any(m.get("id") == "late" for m in first.messages)
    assert holds_sent(simulator, channel_id) == []
    # The same user's other session (another browser) is not logged out, and still acts.
    await assert_open(elsewhere)
    assert (await elsewhere.action("hold", channel_id))["ok"] is True
    assert len(holds_sent(simulator, channel_id)) == 1
    # The logged-out session cannot open a socket again.
    assert await refused_handshake(dashboard.url, dashboard.cookie_header(browser)) == SIGNED_OUT
    await elsewhere.ws.close()


async def test_a_demoted_supervisor_loses_the_socket_and_reconnects_with_the_agents_view(site, ari):
    dashboard = site.dashboard
    browser = dashboard.login("demoted-sup")
    someone_elses = call_in_app(ari, "PJSIP/alice", APP)
    page = await tab(dashboard, browser)
    await page.until(lambda p: p.by_id(someone_elses) is not None, what="a call the supervisor may see")

    submit(site.admin, site.user_path("demoted-sup"), {"groups": [str(site.groups["agent"])]})
    assert await close_code(page) == ROLE_CHANGED

    # The page reloads: the same session now gets an agent's socket.
    again = await tab(dashboard, browser)
    assert again.by_id(someone_elses) is None
    denied = await again.action("hold", someone_elses)
    assert denied["ok"] is False and denied["status"] == 403
    assert (await again.action("start_moh", someone_elses))["status"] == 403
    assert browser.get("/api/v1/me").json()["roles"] == ["agent"]
    await again.ws.close()


async def _wallboard(dashboard: LiveDashboard, *, cookies: str | None = None, token: str | None = None):
    headers = {"Cookie": cookies} if cookies else {}
    if token:
        headers["Authorization"] = f"Token {token}"
    ws = await websockets.connect(dashboard.url.replace("http", "ws", 1) + "/ws/wallboard/", origin=dashboard.url,
                                  additional_headers=headers)
    while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "board":
        pass
    return ws


async def _wallboard_close_code(ws) -> int:
    deadline = time.monotonic() + CLOSE_WITHIN
    try:
        while time.monotonic() < deadline:
            await asyncio.wait_for(ws.recv(), max(0.05, deadline - time.monotonic()))
    except websockets.ConnectionClosed:
        return ws.close_code
    except TimeoutError:
        pass
    raise AssertionError(f"the wallboard socket is still open after {CLOSE_WITHIN} s")


async def test_the_wallboard_socket_ends_with_its_sign_in_as_the_live_one_does(site):
    dashboard = site.dashboard
    browser = dashboard.login("wallboard-sup")
    key = create_token(browser)
    by_token = await _wallboard(dashboard, token=key)
    by_session = await _wallboard(dashboard, cookies=dashboard.cookie_header(browser))
    revoke_token(browser)
    assert await _wallboard_close_code(by_token) == SIGNED_OUT
    assert browser.post("/logout/").status_code == 302
    assert await _wallboard_close_code(by_session) == SIGNED_OUT

    demoted = dashboard.login("wallboard-demoted")
    board = await _wallboard(dashboard, cookies=dashboard.cookie_header(demoted))
    submit(site.admin, site.user_path("wallboard-demoted"), {"groups": [str(site.groups["agent"])]})
    assert await _wallboard_close_code(board) == ROLE_CHANGED  # the page reloads: agents get no wallboard


async def test_a_changed_profile_endpoint_reloads_the_agents_page(site, ari):
    dashboard = site.dashboard
    browser = dashboard.login("moved-agent")
    page = await tab(dashboard, browser)
    submit(site.admin, f"/admin/dashboard/profile/{site.profiles['moved-agent']}/change/", {"endpoint": "PJSIP/dave"})
    assert await close_code(page) == ROLE_CHANGED
    dave = call_in_app(ari, "PJSIP/dave", APP)
    again = await tab(dashboard, browser)
    await again.until(lambda p: p.by_id(dave) is not None, what="the call of the new endpoint")
    await again.ws.close()


@pytest.mark.parametrize("change", ["deactivate", "password", "delete"])
async def test_a_deactivated_repassworded_or_deleted_user_is_signed_out(site, change):
    dashboard = site.dashboard
    name = {"deactivate": "inactive-agent", "password": "password-agent", "delete": "deleted-agent"}[change]
    browser = dashboard.login(name)
    pages = [await tab(dashboard, browser), await tab(dashboard, dashboard.login(name))]
    if change == "deactivate":
        submit(site.admin, site.user_path(name), {"is_active": None})
    elif change == "password":
        new = f"New-{uuid.uuid4().hex}"
        submit(site.admin, site.user_path(name, "password"), {"password1": new, "password2": new})
    else:
        submit(site.admin, site.user_path(name, "delete"), {"post": "yes"})
    for page in pages:
        assert await close_code(page) == SIGNED_OUT
    assert browser.get("/api/v1/me").status_code in (401, 403)


async def test_a_revoked_token_stops_working_at_once_on_the_api_and_the_socket(site):
    dashboard = site.dashboard
    browser = dashboard.login("token-noc")
    key = create_token(browser)
    script = httpx.Client(base_url=dashboard.url, headers={"Authorization": f"Token {key}"})
    assert script.get("/api/v1/me").json()["username"] == "token-noc"
    by_token = await open_socket(dashboard.url, token=key)
    by_session = await tab(dashboard, browser)
    assert by_token.servers["default"]["state"] == "live"

    revoke_token(browser)
    assert script.get("/api/v1/me").status_code == 401
    assert await close_code(by_token) == SIGNED_OUT
    await assert_open(by_session)  # the user's own session is not the token
    # A wrong token refuses the socket even beside a valid session cookie, as the API does.
    assert await refused_handshake(dashboard.url, dashboard.cookie_header(browser), token=key) == SIGNED_OUT
    await by_session.ws.close()


async def test_expired_sessions_and_changes_behind_djangos_back_end_sockets_at_the_recheck(simulator, tmp_path):
    dashboard = LiveDashboard(simulator, tmp_path, app="switchboard-recheck",
                              extra_env={"LIVE_AUTH_RECHECK_SECONDS": "1"})
    try:
        supervisor, agent = dashboard.login("supervisor"), dashboard.login("agent")
        expiring, deactivated = await tab(dashboard, supervisor), await tab(dashboard, agent)
        untouched = await tab(dashboard, dashboard.login("noc"))
        # Straight in the database, as an expiry or a script would: no Django signal.
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            db.execute("UPDATE django_session SET expire_date = '2000-01-01 00:00:00' WHERE session_key = ?",
                       (supervisor.cookies["sessionid"],))
            db.execute("UPDATE auth_user SET is_active = 0 WHERE username = 'agent'")
        assert await close_code(expiring, timeout=10) == SIGNED_OUT
        assert await close_code(deactivated, timeout=10) == SIGNED_OUT
        await assert_open(untouched)
        await untouched.ws.close()
    finally:
        dashboard.stop()


# ---------------------------------------------------------------- two web processes over Redis

REDIS_USERS = [
    ("r-logout", "supervisor", "PJSIP/supervisor1"),
    ("r-demoted", "supervisor", "PJSIP/dave"),
    ("r-shell", "agent", "PJSIP/alice"),
    ("r-token", "noc", "PJSIP/noc1"),
]


@pytest.fixture(scope="module")
def two_workers(simulator, tmp_path_factory):
    prefix = f"sbtest-{uuid.uuid4().hex[:8]}"
    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("signout-redis"), app="switchboard-signout-redis",
                              listener=True, extra_env={"REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix, **NO_RECHECK})
    second = dashboard.another_worker()
    yield Site(dashboard, REDIS_USERS), second
    dashboard.stop()
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.mark.redis
async def test_logout_on_one_worker_closes_the_sessions_socket_on_the_other(two_workers):
    site, second = two_workers
    browser = site.dashboard.login("r-logout")
    here, there = await tab(site.dashboard, browser), await tab(site.dashboard, browser, second)
    assert browser.post("/logout/").status_code == 302
    assert await close_code(here) == SIGNED_OUT
    assert await close_code(there) == SIGNED_OUT


@pytest.mark.redis
async def test_a_demotion_in_the_admin_of_one_worker_closes_the_socket_on_the_other(two_workers):
    site, second = two_workers
    there = await tab(site.dashboard, site.dashboard.login("r-demoted"), second)
    submit(site.admin, site.user_path("r-demoted"), {"groups": [str(site.groups["agent"])]})
    assert await close_code(there) == ROLE_CHANGED


@pytest.mark.redis
async def test_a_change_from_another_process_reaches_both_workers(two_workers):
    site, second = two_workers
    browser = site.dashboard.login("r-shell")
    here, there = await tab(site.dashboard, browser), await tab(site.dashboard, browser, second)
    # manage.py shell is a third process: only the broadcast over Redis can tell the workers.
    await asyncio.to_thread(manage_shell, site.dashboard,
                            "from django.contrib.auth.models import User\n"
                            "u = User.objects.get(username='r-shell'); u.is_active = False; u.save()")
    assert await close_code(here) == SIGNED_OUT
    assert await close_code(there) == SIGNED_OUT


@pytest.mark.redis
async def test_a_token_revoked_on_one_worker_closes_its_socket_on_the_other(two_workers):
    site, second = two_workers
    browser = site.dashboard.login("r-token")
    key = create_token(browser)
    there = await open_socket(second, token=key)
    revoke_token(browser)
    assert await close_code(there) == SIGNED_OUT
    assert httpx.get(second + "/api/v1/me", headers={"Authorization": f"Token {key}"}).status_code == 401
