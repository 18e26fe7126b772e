"""Dashboard tests run the real stack in-process: the dashboard's runtime (ARI client, event stream,
runner, replica) against the session's simulator, over real HTTP and WebSocket."""
from __future__ import annotations

import time

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from ari_bridge import AriServerConfig
from dashboard import runtime
from dashboard.models import Profile

# Not "switchboard": the live_dashboard server registers that app on the same simulator, and a
# second socket for an app takes it over (ApplicationReplaced), as on Asterisk.
APP = "switchboard-inproc"
ROLE_USERS = {
    # username: (role, endpoint, extension)
    "agent": ("agent", "PJSIP/alice", "1001"),
    "agent2": ("agent", "PJSIP/bob", "1002"),
    "supervisor": ("supervisor", "PJSIP/supervisor1", "2001"),
    "noc": ("noc", "PJSIP/noc1", "3001"),
    "admin": ("admin", "PJSIP/admin1", "9001"),
}


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.02, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


@pytest.fixture(scope="session")
def dashboard_runtime(simulator):
    settings.ARI_SERVERS = [AriServerConfig(name="default", url=simulator.url, username=simulator.username,
                                            password=simulator.password, app=APP)]
    rt = runtime.get()
    wait_until(lambda: rt.replica.servers.get("default", {}).get("state") == "live", message="the stream to be live")
    yield rt
    runtime.close()


class Pbx:
    """The simulator seen from a test: place calls straight over ARI, wait for the dashboard to see them."""

    def __init__(self, sim, rt):
        self.sim = sim
        self.rt = rt
        self.ari = httpx.Client(base_url=sim.ari_url, auth=(sim.username, sim.password), timeout=10)

    def entry(self, channel_id: str):
        return self.rt.replica.registry.get(("default", channel_id))

    def wait_entry(self, channel_id: str, predicate=lambda e: True, timeout: float = 5.0):
        return wait_until(lambda: (e := self.entry(channel_id)) is not None and predicate(e) and e,
                          timeout, message=f"channel {channel_id} in the dashboard")

    def wait_gone(self, channel_id: str, timeout: float = 5.0) -> None:
        wait_until(lambda: self.entry(channel_id) is None, timeout, message=f"channel {channel_id} to go")

    def call_in_app(self, endpoint: str = "PJSIP/alice", **params) -> str:
        """A call answered by `endpoint` and sitting in the dashboard's Stasis application."""
        r = self.ari.post("/channels", params={"endpoint": endpoint, "app": APP, **params})
        assert r.status_code == 200, r.text
        channel_id = r.json()["id"]
        self.wait_entry(channel_id, lambda e: e.stasis_app == APP and e.channel.state == "Up")
        return channel_id

    def call_in_dialplan(self, endpoint: str = "PJSIP/alice", exten: str = "103") -> str:
        r = self.ari.post("/channels", params={"endpoint": endpoint, "extension": exten, "context": "default"})
        assert r.status_code == 200, r.text
        channel_id = r.json()["id"]
        self.wait_entry(channel_id, lambda e: e.channel.state == "Up")
        return channel_id

    def clear(self) -> None:
        """Hang up everything through ARI (so the dashboard sees the events) and wait until it agrees."""
        for bridge in self.ari.get("/bridges").json():
            self.ari.delete(f"/bridges/{bridge['id']}")
        for channel in self.ari.get("/channels").json():
            self.ari.delete(f"/channels/{channel['id']}")
        wait_until(lambda: not self.ari.get("/channels").json(), message="the simulator to be idle")
        wait_until(lambda: len(self.rt.replica.registry) == 0, message="the dashboard to see no channel")


@pytest.fixture
def pbx(simulator, dashboard_runtime):
    p = Pbx(simulator, dashboard_runtime)
    p.clear()
    # Nothing is left to forget silently, so a reset only restores the phones' behaviour and faults.
    simulator.control("POST", "/_sim/reset")
    for phone in ("alice", "bob", "supervisor1", "noc1", "admin1", "carol"):
        simulator.control("POST", f"/_sim/phones/PJSIP/{phone}", json={"answer_after": 0.05})
    yield p
    p.clear()
    simulator.control("POST", "/_sim/reset")  # phones back to their usual behaviour for whoever is next


@pytest.fixture
def users(django_db_serialized_rollback, transactional_db):
    """The demo roles' users, committed: the REST actions audit through the process's batching writer, whose
    thread has a connection of its own (it would wait on a test's open transaction)."""
    from django.contrib.auth import get_user_model

    made = {}
    for username, (role, endpoint, extension) in ROLE_USERS.items():
        user = get_user_model().objects.create_user(username=username, password=username)
        user.groups.add(Group.objects.get(name=role))
        Profile.objects.create(user=user, endpoint=endpoint, extension=extension)
        made[username] = user
    return made


@pytest.fixture
def api(users):
    """api("agent") -> a DRF client logged in as that user (CSRF is tested on its own)."""
    def make(username: str) -> APIClient:
        client = APIClient()
        client.force_login(users[username])
        return client
    return make
