"""The login resists guessing (django-axes: per user and per address), says so, and audits every attempt;
scripts' token calls are throttled with the API's error shape; `next` stays on this site.

A dashboard of its own (a lockout would stop every other test's logins) with a low limit; uvicorn trusts
X-Forwarded-For from the loopback address, so each attempt comes from the address the test names."""
from __future__ import annotations

import re

import httpx
import pytest

from tests.dashboard.test_signout import create_token
from tests.live_server import LiveDashboard
from tests.site_admin import manage

LIMIT = 3
LOCKED = "Too many failed logins for this account or from this address"
WRONG = "Please enter a correct username and password"


@pytest.fixture(scope="module")
def site(simulator, tmp_path_factory):
    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("logins"), app="switchboard-logins", extra_env={
        "LOGIN_FAILURE_LIMIT": str(LIMIT), "LOGIN_LOCKOUT_MINUTES": "15", "API_TOKEN_RATE": "3/minute"})
    yield dashboard
    dashboard.stop()


@pytest.fixture
def dashboard(site):
    yield site
    manage(site, "axes_reset")  # every lockout lifted for the next test


def attempt(dashboard: LiveDashboard, username: str, password: str, address: str, next_url: str = "") -> httpx.Response:
    client = httpx.Client(base_url=dashboard.url, headers={"X-Forwarded-For": address}, timeout=10)
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return client.post("/login/", data={"username": username, "password": password, "csrfmiddlewaretoken": token,
                                        "next": next_url})


def audit(dashboard: LiveDashboard, as_user: str = "admin", **filters) -> list[dict]:
    client = dashboard.login(as_user)
    return client.get("/api/v1/audit", params={"limit": 1000, **filters}).json()["results"]


def test_wrong_passwords_lock_the_account_from_any_address_with_a_clear_message(dashboard):
    for n in range(1, LIMIT):
        refused = attempt(dashboard, "agent", "guess", f"203.0.113.{n}")
        assert refused.status_code == 200 and WRONG in refused.text
    locking = attempt(dashboard, "agent", "guess", f"203.0.113.{LIMIT}")
    assert locking.status_code == 429 and LOCKED in locking.text and "15 minutes" in locking.text
    assert locking.headers["Retry-After"] == "900"
    # Guessing on (the issue: 25 wrong, then the right one logged in) gets nowhere, the right password neither.
    for n in range(25):
        assert attempt(dashboard, "agent", f"guess-{n}", "203.0.113.50").status_code == 429
    right = attempt(dashboard, "agent", "agent", "203.0.113.51")
    assert right.status_code == 429 and LOCKED in right.text and "sessionid" not in right.cookies
    # Someone else from a fresh address is not locked out.
    assert attempt(dashboard, "noc", "noc", "203.0.113.52").status_code == 302

    entries = [e for e in audit(dashboard) if e["username"] == "agent" and e["action"].startswith("login")]
    failed = [e for e in entries if e["action"] == "login_failed"]
    locked = [e for e in entries if e["action"] == "login_locked"]
    assert len(failed) == LIMIT - 1 and len(locked) == 1 + 25 + 1
    assert {e["outcome"] for e in entries} == {"denied"}
    assert {e["params"]["address"] for e in failed} == {f"203.0.113.{n}" for n in range(1, LIMIT)}
    assert not [e for e in entries if e["action"] == "login"]
    # An administrator lifts the lock; the account's owner then sees the attempts in their own audit log.
    manage(dashboard, "axes_reset")
    assert {e["action"] for e in audit(dashboard, "agent", user="agent")} >= {"login_failed", "login_locked"}


def test_wrong_passwords_from_one_address_lock_that_address_for_every_name(dashboard):
    for n in range(LIMIT):
        attempt(dashboard, f"nobody-{n}", "guess", "198.51.100.7")
    locked = attempt(dashboard, "supervisor", "supervisor", "198.51.100.7")
    assert locked.status_code == 429 and LOCKED in locked.text
    assert attempt(dashboard, "supervisor", "supervisor", "198.51.100.8").status_code == 302
    names = {e["username"] for e in audit(dashboard, action="login_failed")}
    assert {f"nobody-{n}" for n in range(LIMIT - 1)} <= names


def test_logins_and_logouts_are_audited(dashboard):
    client = dashboard.login("agent2")
    assert client.post("/logout/").status_code == 302
    mine = audit(dashboard, "agent2", user="agent2")  # a login of its own, newest first
    assert [(e["action"], e["outcome"], e["source"]) for e in mine[:3]] == [
        ("login", "ok", "web"), ("logout", "ok", "web"), ("login", "ok", "web")]
    assert mine[1]["params"]["address"] == "127.0.0.1"


def test_token_calls_are_throttled_with_the_json_error_shape_and_page_calls_are_not(dashboard):
    browser = dashboard.login("supervisor")
    script = httpx.Client(base_url=dashboard.url, headers={"Authorization": f"Token {create_token(browser)}"})
    assert [script.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    throttled = script.get("/api/v1/channels")
    assert throttled.status_code == 429
    body = throttled.json()
    assert body["code"] == "throttled" and "throttled" in body["message"] and set(body) == {"message", "code"}
    assert 0 < int(throttled.headers["Retry-After"]) <= 60
    # The page's own (session) calls of the same user are not counted.
    assert [browser.get("/api/v1/me").status_code for _ in range(6)] == [200] * 6


@pytest.mark.parametrize(("asked", "lands"), [
    ("/audit/?outcome=denied", "/audit/?outcome=denied"),
    ("https://evil.example.com/", "/"),
    ("//evil.example.com/", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_brings_the_user_back_to_a_page_of_this_site_only(dashboard, asked, lands):
    response = attempt(dashboard, "noc", "noc", "192.0.2.1", next_url=asked)
    assert response.status_code == 302 and response.headers["Location"] == lands


def test_a_login_in_code_without_a_request_is_not_refused_by_the_lockout(db):
    """Django's test client (and a shell) authenticate without a request; the lockout needs one to count."""
    from django.contrib.auth import authenticate, get_user_model

    get_user_model().objects.create_user("scripted", password="scripted")
    assert authenticate(username="scripted", password="scripted").username == "scripted"
    assert authenticate(username="scripted", password="wrong") is None
