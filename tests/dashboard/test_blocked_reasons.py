"""The dashboard's own reasons an action cannot apply now are in the channel's `blocked` map, so that the
REST API and the live socket say no before a request gets the same no: Listen on a channel of a
click-to-call or monitoring session, or on a snoop channel; and who snoops on a channel."""
from __future__ import annotations

import pytest

from dashboard.monitorable import SESSION_LEG, SNOOP

from .conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def session_state(client, sid: str) -> str | None:
    found = [s for s in client.get("/api/v1/sessions").json()["results"] if s["id"] == sid]
    return found[0]["state"] if found else None


def test_listen_is_blocked_on_the_legs_of_a_click_to_call_with_the_reason_the_api_gives(api, pbx, users):
    agent = api("agent")
    session = agent.post("/api/v1/click-to-call", {"destination": "100"}, format="json").json()
    wait_until(lambda: session_state(agent, session["id"]) == "connected", message="the call connected")
    supervisor = api("supervisor")
    for leg in session["channels"]:
        seen = supervisor.get(f"/api/v1/channels/{leg}").json()
        assert seen["blocked"]["monitor"] == SESSION_LEG, seen["blocked"]
        listed = supervisor.get("/api/v1/channels", {"text": leg}).json()["results"]
        assert [c["blocked"]["monitor"] for c in listed if c["id"] == leg] == [SESSION_LEG]
        refused = supervisor.post("/api/v1/monitor", {"channel": leg}, format="json")
        assert refused.status_code == 400
        assert refused.json()["message"] == SESSION_LEG
    agent.post(f"/api/v1/sessions/{session['id']}/stop")
    wait_until(lambda: session_state(agent, session["id"]) == "cancelled", message="the call cancelled")


def test_a_monitoring_sessions_own_channels_are_blocked_and_the_monitored_call_names_who_listens(api, pbx, users):
    agent_leg = pbx.call_in_app("PJSIP/alice")
    supervisor = api("supervisor")
    sid = supervisor.post("/api/v1/monitor", {"channel": agent_leg}, format="json").json()["id"]
    wait_until(lambda: session_state(supervisor, sid) == "active", message="listening")
    snoop = next(iter(pbx.wait_entry(agent_leg, lambda e: e.snooped_by).snooped_by))
    pbx.wait_entry(snoop)
    assert supervisor.get(f"/api/v1/channels/{snoop}").json()["blocked"]["monitor"] == SNOOP
    assert supervisor.get(f"/api/v1/channels/sb-{sid}-sup").json()["blocked"]["monitor"] == SESSION_LEG
    target = supervisor.get(f"/api/v1/channels/{agent_leg}").json()
    assert "monitor" not in target["blocked"]
    assert target["flags"]["snoopers"] == [{"id": snoop, "name": pbx.entry(snoop).channel.name,
                                            "user": "supervisor"}]
    # The agent is not told (MONITOR_VISIBLE_TO_AGENTS is off).
    assert api("agent").get(f"/api/v1/channels/{agent_leg}").json()["flags"]["snoopers"] == []
    supervisor.post(f"/api/v1/sessions/{sid}/stop")
    wait_until(lambda: session_state(supervisor, sid) == "ended", message="monitoring stopped")
