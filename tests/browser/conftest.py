"""Real-browser acceptance tests: headless Chromium (Debian's) against a real uvicorn dashboard.

The browser suite has its own simulator and dashboard (session-scoped) instead of the shared
`simulator`/`live_dashboard`: other tests register the Stasis application "switchboard" on the
shared simulator from an in-process runtime, which takes the application over (ApplicationReplaced)
and would leave the shared uvicorn dashboard deaf to events, so results would depend on test order.

No ORM here: audit checks go through the dashboard's HTTP API as admin.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.live_server import ROOT, LiveDashboard

APP = "switchboard"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
QUICK_PHONE = {"ring_after": 0.02, "answer_after": 0.05, "busy": False, "reject": False, "never_answer": False,
               "offline": False, "hangup_after": None}
PHONES = ("alice", "bob", "carol", "dave", "erin", "supervisor1", "noc1", "admin1")

expect.set_options(timeout=8_000)


# ---------------------------------------------------------------- Chromium

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "headless": True,
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "en-GB",
            "timezone_id": "UTC", "color_scheme": "light", "accept_downloads": True}


# ---------------------------------------------------------------- artefacts

@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


class Shots:
    """Screenshots for one test: shots.take(page, "what") -> test-artifacts/browser/<test>--<what>.png"""

    def __init__(self, test_name: str):
        self.prefix = _slug(test_name)
        self.taken: list[Path] = []

    def path(self, what: str) -> Path:
        return ARTIFACTS / f"{self.prefix}--{_slug(what)}.png"

    def take(self, page: Page, what: str, *, full_page: bool = False) -> Path:
        path = self.path(what)
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        self.taken.append(path)
        return path


@pytest.fixture
def shots(request):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{_slug(request.node.name)}--*.png"):
        old.unlink()
    return Shots(request.node.name)


# ---------------------------------------------------------------- the stack

@pytest.fixture(scope="session")
def browser_sim():
    from ari_sim.testing import running_simulator

    with running_simulator() as sim:
        yield sim


@pytest.fixture(scope="session")
def dashboard(browser_sim, tmp_path_factory):
    live = LiveDashboard(browser_sim, tmp_path_factory.mktemp("browser-dashboard"))
    yield live
    live.stop()


@pytest.fixture(scope="session")
def admin_api(dashboard):
    """The dashboard's REST API as admin (sees every channel and every audit entry)."""
    client = dashboard.login("admin")
    yield client
    client.close()


def wait_until(predicate, timeout: float = 8.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Pbx:
    """The simulator seen from a browser test: place calls over ARI, drive phones, and clean up."""

    def __init__(self, sim, admin_api: httpx.Client):
        self.sim = sim
        self.admin_api = admin_api
        self.ari = httpx.Client(base_url=sim.ari_url, auth=(sim.username, sim.password), timeout=10)

    def call(self, endpoint: str = "PJSIP/alice", **params) -> str:
        """A call answered by `endpoint` and put in the dashboard's Stasis application."""
        response = self.ari.post("/channels", params={"endpoint": endpoint, "app": APP, **params})
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def dialplan_call(self, endpoint: str = "PJSIP/alice", extension: str = "103", **params) -> str:
        response = self.ari.post("/channels", params={"endpoint": endpoint, "extension": extension,
                                                      "context": "default", **params})
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def channels(self) -> list[dict]:
        response = self.ari.get("/channels")
        assert response.status_code == 200, response.text
        return response.json()

    def channel(self, channel_id: str) -> dict | None:
        response = self.ari.get(f"/channels/{channel_id}")
        return response.json() if response.status_code == 200 else None

    def set_var(self, channel_id: str, variable: str, value: str) -> None:
        """Set a variable or function (e.g. CALLERID(name)) on a channel in the application."""
        response = self.ari.post(f"/channels/{channel_id}/variable", params={"variable": variable, "value": value})
        assert response.status_code == 204, response.text

    def hangup(self, channel_id: str) -> None:
        self.ari.delete(f"/channels/{channel_id}")

    def dashboard_channels(self) -> list[dict]:
        response = self.admin_api.get("/api/v1/channels", params={"limit": 1000})
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def wait_in_app(self, channel_id: str) -> dict:
        """Until the dashboard knows the call, Up and in the application."""
        return wait_until(lambda: next((c for c in self.dashboard_channels()
                                        if c["id"] == channel_id and c["state"] == "Up" and c["app"] == APP), None),
                          what=f"channel {channel_id} Up in {APP}")

    def control(self, method: str, path: str, json=None):
        return self.sim.control(method, path, json)

    def clear(self) -> None:
        """Hang up everything over ARI (so the dashboard sees the events) and wait until both agree."""
        for bridge in self.ari.get("/bridges").json():
            self.ari.delete(f"/bridges/{bridge['id']}")
        for channel in self.channels():
            self.hangup(channel["id"])
        wait_until(lambda: not self.channels(), what="the simulator to have no channel")
        wait_until(lambda: not self.dashboard_channels(), what="the dashboard to show no channel")


@pytest.fixture
def pbx(browser_sim, dashboard, admin_api):
    """An idle PBX with quick phones; at the end every call is hung up and none may be left."""
    p = Pbx(browser_sim, admin_api)
    browser_sim.control("DELETE", "/_sim/faults")
    wait_until(lambda: admin_api.get("/api/v1/channels").status_code == 200, what="the dashboard API")
    p.clear()
    for phone in PHONES:
        browser_sim.control("POST", f"/_sim/phones/PJSIP/{phone}", json=QUICK_PHONE)
    yield p
    p.clear()
    assert p.channels() == [], "leaked calls"
    p.ari.close()


# ---------------------------------------------------------------- pages

def login_with_form(page: Page, dashboard: LiveDashboard, username: str, password: str | None = None) -> None:
    """Log in through the form and wait for the live feed."""
    page.goto(dashboard.url + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or username)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(dashboard.url + "/")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "live")


@pytest.fixture(scope="session")
def session_cookies(dashboard):
    """username -> the cookies of one logged-in session, made once: hashing a password costs about a
    second, so only the login test goes through the form every time."""
    cache: dict[str, list[dict]] = {}

    def get(username: str) -> list[dict]:
        if username not in cache:
            client = dashboard.login(username)
            cache[username] = [{"name": name, "value": value, "url": dashboard.url}
                               for name, value in client.cookies.items()]
            client.close()
        return cache[username]

    return get


class Ui:
    """What a browser test drives: `page` (the first user's), more users in their own browser contexts,
    the dashboard, the PBX and the screenshots."""

    def __init__(self, page: Page, browser, context_args: dict, dashboard: LiveDashboard, pbx: Pbx, shots: Shots,
                 cookies):
        self.page, self.browser, self.context_args, self.cookies = page, browser, context_args, cookies
        self.dashboard, self.pbx, self.shots = dashboard, pbx, shots
        self.url = dashboard.url
        self.errors: list[str] = []
        self.pages: list[Page] = []
        self.contexts = []
        self.watch(page)

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        self.pages.append(page)
        return page

    def login(self, username: str, page: Page | None = None, path: str = "/") -> Page:
        """Open `path` as `username` (a session made once per user) and wait for the live feed."""
        page = page or self.page
        page.context.clear_cookies()
        page.context.add_cookies(self.cookies(username))
        page.goto(self.url + path)
        expect(page.locator(".who-name")).to_have_text(username)
        expect(page.locator("#connection-state")).to_have_attribute("data-state", "live")
        return page

    def new_page(self, **context_args) -> Page:
        """A page in a fresh browser context (its own cookies: another user)."""
        context = self.browser.new_context(**{**self.context_args, **context_args})
        self.contexts.append(context)
        return self.watch(context.new_page())

    def as_user(self, username: str, path: str = "/", **context_args) -> Page:
        return self.login(username, self.new_page(**context_args), path)

    def finish(self, failed: bool) -> None:
        for index, page in enumerate(self.pages):
            if page.is_closed():
                continue
            try:
                if failed:
                    self.shots.take(page, f"FAILED-page{index}", full_page=True)
                elif not self.shots.taken:
                    self.shots.take(page, f"end-page{index}")
            except Exception as exc:  # noqa: BLE001 - a screenshot must never hide the real failure
                print(f"screenshot of page {index} failed: {exc}")
        for context in self.contexts:
            context.close()


@pytest.fixture
def ui(request, page: Page, browser, browser_context_args, dashboard, pbx, shots, session_cookies):
    """At least one screenshot per test (each page's last state if the test took none), and a full-page
    screenshot of every open page when the test fails; no uncaught error in any page."""
    u = Ui(page, browser, browser_context_args, dashboard, pbx, shots, session_cookies)
    yield u
    report = getattr(request.node, "rep_call", None)
    u.finish(failed=report is not None and report.failed)
    assert not u.errors, f"uncaught errors in the page: {u.errors}"


def row(page: Page, channel_id: str, server: str = "default"):
    return page.locator(f'#channel-rows tr[data-uid="{server}:{channel_id}"]')
