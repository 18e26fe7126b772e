"""Workflows against the simulator, each path ending with no leaked channel or bridge: click-to-call,
supervisor listen/whisper/barge, and the call-routing Stasis app. Failure paths are set up through the
simulated phones' behaviour, not by patching code."""
from __future__ import annotations

import pytest

from dashboard.models import AuditEntry

from .conftest import APP, wait_until

# The workflows write their audit entries from the runner's thread: the test data must be committed.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def sessions(client) -> dict[str, dict]:
    return {s["id"]: s for s in client.get("/api/v1/sessions").json()["results"]}


def wait_session(client, session_id: str, state: str, timeout: float = 5.0) -> dict:
    return wait_until(lambda: (s := sessions(client).get(session_id)) and s["state"] == state and s,
                      timeout, message=f"session {session_id} to be {state} (now {sessions(client).get(session_id)})")


def assert_nothing_left(pbx, session_id: str, keep: set[str] = frozenset()) -> None:
    """Nothing the session made is left on the PBX: no channel, no bridge with its id."""
    def leftovers():
        channels = [c["id"] for c in pbx.ari.get("/channels").json() if session_id in c["id"]]
        bridges = [b["id"] for b in pbx.ari.get("/bridges").json() if session_id in b["id"]]
        return channels + bridges
    wait_until(lambda: not leftovers(), message=f"the session's channels and bridges to go: {leftovers()}")
    others = {c["id"] for c in pbx.ari.get("/channels").json()}
    assert others <= set(keep) | others  # the caller decides what else must survive (see keep)
    for channel_id in keep:
        assert channel_id in others, f"{channel_id} should still be up"


# -- click-to-call --------------------------------------------------------------------------------

def test_click_to_call_rings_the_agent_then_connects_the_destination(api, pbx, users):
    agent = api("agent")
    response = agent.post("/api/v1/click-to-call", {"destination": " 10-0 "}, format="json")
    assert response.status_code == 200, response.content
    session = response.json()
    assert session["number"] == "100" and session["endpoint"] == "PJSIP/alice"
    wait_session(agent, session["id"], "connected")
    agent_leg, out_leg = session["channels"]
    bridge = pbx.ari.get(f"/bridges/sb-{session['id']}-bridge").json()
    assert sorted(bridge["channels"]) == sorted([agent_leg, out_leg])
    assert pbx.entry(agent_leg).channel.name.startswith("PJSIP/alice-")
    # The destination sees the agent's caller id.
    assert pbx.entry(out_leg).channel.caller.number == "1001"
    assert agent.post(f"/api/v1/sessions/{session['id']}/stop").status_code == 200
    wait_session(agent, session["id"], "cancelled")
    assert_nothing_left(pbx, session["id"])
    steps = {"click_to_call", "click_to_call.ring_agent", "click_to_call.dial", "click_to_call.connected",
             "session.stop"}
    wait_until(lambda: steps <= set(AuditEntry.objects.filter(username="agent").values_list("action", flat=True)),
               message="every step audited")


def test_click_to_call_to_a_busy_destination_fails_in_words(api, pbx, users):
    agent = api("agent")
    session = agent.post("/api/v1/click-to-call", {"destination": "105"}, format="json").json()
    ended = wait_session(agent, session["id"], "failed")
    assert "busy" in ended["detail"]
    assert_nothing_left(pbx, session["id"])


def test_click_to_call_when_the_agents_phone_does_not_answer(api, pbx, users, settings, simulator):
    settings.CLICK_TO_CALL_AGENT_RING_SECONDS = 1
    simulator.control("POST", "/_sim/phones/PJSIP/alice", json={"never_answer": True})
    agent = api("agent")
    session = agent.post("/api/v1/click-to-call", {"destination": "100"}, format="json").json()
    ended = wait_session(agent, session["id"], "failed", timeout=6)
    assert ended["detail"] == "your phone: no answer after 1 s"
    assert_nothing_left(pbx, session["id"])
    assert pbx.ari.get("/channels").json() == []


def test_click_to_call_to_an_extension_that_does_not_exist_ends_in_words(api, pbx, users, settings):
    # The case: 1002 dialled in a context that has no such extension. Asterisk hangs the
    # Local channel up at once; the session must end, say why, and leave nothing behind.
    settings.CLICK_TO_CALL_CONTEXT = "default"
    agent = api("agent")
    session = agent.post("/api/v1/click-to-call", {"destination": "1002"}, format="json").json()
    ended = wait_session(agent, session["id"], "failed", timeout=8)
    assert ended["detail"] == "1002: unknown number (no such extension in default)"
    assert ended["step"] == "dialling"
    assert_nothing_left(pbx, session["id"])
    assert pbx.ari.get("/channels").json() == []


def test_click_to_call_that_nobody_answers_times_out(api, pbx, users, settings):
    settings.CLICK_TO_CALL_DEST_RING_SECONDS = 1
    agent = api("agent")
    session = agent.post("/api/v1/click-to-call", {"destination": "104"}, format="json").json()  # rings for ever
    wait_session(agent, session["id"], "dialling")
    ended = wait_session(agent, session["id"], "failed", timeout=8)
    assert ended["detail"] == "104: no answer after 1 s"
    assert_nothing_left(pbx, session["id"])
    assert pbx.ari.get("/channels").json() == []
    wait_until(lambda: AuditEntry.objects.filter(action="click_to_call.timeout", username="agent").exists(),
               message="the timeout audited")


def test_a_call_asterisk_lost_without_a_word_ends_the_session(api, pbx, users, simulator, monkeypatch):
    # An Asterisk restart drops the event stream: no ChannelDestroyed ever comes for the legs.
    from dashboard.workflows import click_to_call

    monkeypatch.setattr(click_to_call, "LIVENESS_SECONDS", 0.3)
    agent = api("agent")
    session = agent.post("/api/v1/click-to-call", {"destination": "100"}, format="json").json()
    wait_session(agent, session["id"], "connected")
    simulator.control("POST", "/_sim/restart", json={"down_seconds": 0.2})
    ended = wait_session(agent, session["id"], "ended", timeout=15)
    assert ended["detail"] == "Asterisk no longer has the call"
    assert pbx.ari.get("/channels").json() == []


def test_who_ended_a_session_is_named_for_its_owner_and_for_others(api, pbx, users):
    agent, supervisor, admin = api("agent"), api("supervisor"), api("admin")
    # The owner hangs up: "you" for them, their name for those who follow everyone's sessions.
    sid = agent.post("/api/v1/click-to-call", {"destination": "100"}, format="json").json()["id"]
    wait_session(agent, sid, "connected")
    agent.post(f"/api/v1/sessions/{sid}/stop")
    assert wait_session(agent, sid, "cancelled")["detail"] == "you hung up from the dashboard"
    assert wait_session(supervisor, sid, "cancelled")["detail"] == "agent hung up from the dashboard"
    assert sessions(agent)[sid]["ended_by"] == "agent"
    # An admin stops it: named for everyone.
    sid = agent.post("/api/v1/click-to-call", {"destination": "100"}, format="json").json()["id"]
    wait_session(agent, sid, "connected")
    assert admin.post(f"/api/v1/sessions/{sid}/stop").status_code == 200
    assert wait_session(agent, sid, "cancelled")["detail"] == "hung up by admin"
    assert wait_session(admin, sid, "cancelled")["detail"] == "hung up by admin"
    assert sessions(agent)[sid]["ended_by"] == "admin"
    assert_nothing_left(pbx, sid)


def test_a_leg_sent_to_the_dialplan_by_an_admin_is_not_blamed_on_the_agent(api, pbx, users):
    agent, admin = api("agent"), api("admin")
    session = agent.post("/api/v1/click-to-call", {"destination": "100"}, format="json").json()
    sid, (agent_leg, out_leg) = session["id"], session["channels"]
    wait_session(agent, sid, "connected")
    response = admin.post(f"/api/v1/channels/{agent_leg}/continue_in_dialplan",
                          {"context": "default", "extension": "103"}, format="json")
    assert response.status_code == 204, response.content
    ended = wait_session(agent, sid, "ended", timeout=8)
    assert ended["detail"] == "ended by admin (continue in dialplan)" and ended["ended_by"] == "admin"
    assert wait_session(admin, sid, "ended")["detail"] == "ended by admin (continue in dialplan)"
    # The agent's phone is where the admin sent it (the session no longer owns it); the rest is gone.
    wait_until(lambda: pbx.ari.get(f"/channels/{out_leg}").status_code == 404, message="the far leg hung up")
    moved = pbx.ari.get(f"/channels/{agent_leg}").json()
    assert moved["dialplan"]["exten"] == "103" and moved["dialplan"]["app_name"] != "Stasis"
    pbx.ari.delete(f"/channels/{agent_leg}")
    assert_nothing_left(pbx, sid)


def test_everyones_sessions_are_for_supervisors_and_admins_only(api, pbx, users, simulator):
    simulator.control("POST", "/_sim/phones/PJSIP/alice", json={"answer_after": 30})
    sid = api("agent").post("/api/v1/click-to-call", {"destination": "100"}, format="json").json()["id"]
    wait_session(api("agent"), sid, "ringing_agent")
    for username, sees in (("supervisor", True), ("admin", True), ("noc", False), ("agent2", False)):
        assert (sid in sessions(api(username))) is sees, username
    shown = sessions(api("supervisor"))[sid]
    assert shown["owner"] == "agent" and shown["detail"] == "ringing agent's phone (PJSIP/alice)"
    assert "detail_others" not in shown
    # Seeing is not steering: only admins may stop someone else's session.
    assert api("supervisor").post(f"/api/v1/sessions/{sid}/stop").status_code == 403
    api("agent").post(f"/api/v1/sessions/{sid}/stop")
    assert_nothing_left(pbx, sid)


def test_click_to_call_can_be_cancelled_while_ringing(api, pbx, users, simulator):
    simulator.control("POST", "/_sim/phones/PJSIP/alice", json={"answer_after": 30})
    agent = api("agent")
    session = agent.post("/api/v1/click-to-call", {"destination": "100"}, format="json").json()
    wait_session(agent, session["id"], "ringing_agent")
    assert agent.post(f"/api/v1/sessions/{session['id']}/stop").status_code == 200
    wait_session(agent, session["id"], "cancelled")
    assert_nothing_left(pbx, session["id"])


@pytest.mark.parametrize("typed,message", [
    ("", "enter a number"),
    ("12ab", "only hold digits"),
    ("0900123456", "blocked"),
    ("+1 900 555 0100", "blocked"),
    ("1", "neither an extension"),
])
def test_click_to_call_rejects_bad_numbers_before_dialling(typed, message, api, pbx, users):
    response = api("agent").post("/api/v1/click-to-call", {"destination": typed}, format="json")
    assert response.status_code == 400
    assert response.json()["parameter"] == "destination"
    assert message in response.json()["message"]
    assert pbx.ari.get("/channels").json() == []
    assert AuditEntry.objects.filter(action="click_to_call", outcome="invalid").count() == 1


def test_another_user_cannot_cancel_an_agents_call(api, pbx, users, simulator):
    simulator.control("POST", "/_sim/phones/PJSIP/alice", json={"answer_after": 30})
    session = api("agent").post("/api/v1/click-to-call", {"destination": "100"}, format="json").json()
    response = api("agent2").post(f"/api/v1/sessions/{session['id']}/stop")
    assert response.status_code == 403
    assert session["id"] not in sessions(api("agent2"))
    api("agent").post(f"/api/v1/sessions/{session['id']}/stop")
    assert_nothing_left(pbx, session["id"])


# -- supervisor monitoring ------------------------------------------------------------------------

def _agent_call(pbx) -> str:
    """An agent (alice) on a call with a customer (carol), both in one bridge, as a routed call is."""
    agent_leg = pbx.call_in_app("PJSIP/alice")
    customer = pbx.call_in_app("PJSIP/carol")
    pbx.ari.post("/bridges", params={"type": "mixing", "bridgeId": "call-bridge"})
    pbx.ari.post("/bridges/call-bridge/addChannel", params={"channel": f"{agent_leg},{customer}"})
    pbx.wait_entry(agent_leg, lambda e: "call-bridge" in e.bridge_ids)
    return agent_leg


def test_listen_then_whisper_then_barge_then_stop(api, pbx, users):
    agent_leg = _agent_call(pbx)
    supervisor = api("supervisor")
    response = supervisor.post("/api/v1/monitor", {"channel": agent_leg, "mode": "listen"}, format="json")
    assert response.status_code == 200, response.content
    sid = response.json()["id"]
    active = wait_session(supervisor, sid, "active")
    assert active["mode"] == "listen" and active["target"] == agent_leg
    sup_leg = f"sb-{sid}-sup"
    bridge = pbx.ari.get(f"/bridges/sb-{sid}-bridge").json()
    snoop = next(c for c in bridge["channels"] if c != sup_leg)
    assert sup_leg in bridge["channels"]
    assert pbx.ari.get(f"/channels/{snoop}").json()["name"].startswith(f"Snoop/{agent_leg}-")
    assert pbx.entry(agent_leg).snooped_by == frozenset({snoop})

    assert supervisor.post(f"/api/v1/sessions/{sid}/mode", {"mode": "whisper"}, format="json").status_code == 200
    wait_until(lambda: sessions(supervisor)[sid]["mode"] == "whisper", message="whisper mode")
    # The supervisor's phone stayed up; a new snoop replaced the old one.
    wait_until(lambda: pbx.ari.get(f"/channels/{snoop}").status_code == 404, message="the old snoop to go")
    assert pbx.ari.get(f"/channels/{sup_leg}").status_code == 200

    assert supervisor.post(f"/api/v1/sessions/{sid}/mode", {"mode": "barge"}, format="json").status_code == 200
    wait_until(lambda: sup_leg in pbx.ari.get("/bridges/call-bridge").json()["channels"],
               message="the supervisor in the call's bridge")

    assert supervisor.post(f"/api/v1/sessions/{sid}/stop").status_code == 200
    wait_session(supervisor, sid, "ended")
    assert_nothing_left(pbx, sid, keep={agent_leg})
    assert sup_leg not in pbx.ari.get("/bridges/call-bridge").json()["channels"]
    steps = ("monitor.start", "monitor.listen", "monitor.whisper", "monitor.barge", "monitor.stop")
    # The workflow writes its steps from the runner's thread, a moment after the session ends.
    wait_until(lambda: set(steps) <= set(AuditEntry.objects.filter(username="supervisor")
                                         .values_list("action", flat=True)), message="every step audited")


def test_the_agent_is_not_told_about_monitoring_by_default(api, pbx, users):
    agent_leg = _agent_call(pbx)
    supervisor = api("supervisor")
    sid = supervisor.post("/api/v1/monitor", {"channel": agent_leg}, format="json").json()["id"]
    wait_session(supervisor, sid, "active")
    seen = api("agent").get(f"/api/v1/channels/{agent_leg}").json()
    assert seen["flags"]["snooped_by"] == []
    assert [s for s in sessions(api("agent")).values() if s["kind"] == "monitor"] == []
    assert supervisor.get(f"/api/v1/channels/{agent_leg}").json()["flags"]["snooped_by"] != []
    supervisor.post(f"/api/v1/sessions/{sid}/stop")
    assert_nothing_left(pbx, sid, keep={agent_leg})


def test_monitoring_ends_cleanly_when_the_monitored_call_ends(api, pbx, users):
    agent_leg = _agent_call(pbx)
    supervisor = api("supervisor")
    sid = supervisor.post("/api/v1/monitor", {"channel": agent_leg}, format="json").json()["id"]
    wait_session(supervisor, sid, "active")
    pbx.ari.delete(f"/channels/{agent_leg}")
    ended = wait_session(supervisor, sid, "ended")
    assert "monitored call ended" in ended["detail"]
    assert_nothing_left(pbx, sid)


def test_monitoring_ends_when_the_supervisor_hangs_up(api, pbx, users, simulator):
    agent_leg = _agent_call(pbx)
    supervisor = api("supervisor")
    sid = supervisor.post("/api/v1/monitor", {"channel": agent_leg}, format="json").json()["id"]
    wait_session(supervisor, sid, "active")
    simulator.control("POST", "/_sim/phones/PJSIP/supervisor1/hangup")
    ended = wait_session(supervisor, sid, "ended")
    assert "you hung up" in ended["detail"]
    assert_nothing_left(pbx, sid, keep={agent_leg})


def test_monitoring_when_the_supervisors_phone_does_not_answer(api, pbx, users, settings, simulator):
    settings.MONITOR_RING_SECONDS = 1
    simulator.control("POST", "/_sim/phones/PJSIP/supervisor1", json={"never_answer": True})
    agent_leg = _agent_call(pbx)
    supervisor = api("supervisor")
    sid = supervisor.post("/api/v1/monitor", {"channel": agent_leg}, format="json").json()["id"]
    ended = wait_session(supervisor, sid, "failed", timeout=6)
    assert ended["detail"] == "your phone: no answer after 1 s"
    assert_nothing_left(pbx, sid, keep={agent_leg})


def test_monitoring_a_call_asterisk_lost_without_a_word_ends(api, pbx, users, simulator, monkeypatch):
    from dashboard.workflows import monitor

    monkeypatch.setattr(monitor, "LIVENESS_SECONDS", 0.3)
    agent_leg = _agent_call(pbx)
    supervisor = api("supervisor")
    sid = supervisor.post("/api/v1/monitor", {"channel": agent_leg}, format="json").json()["id"]
    wait_session(supervisor, sid, "active")
    simulator.control("POST", "/_sim/restart", json={"down_seconds": 0.2})
    ended = wait_session(supervisor, sid, "ended", timeout=15)
    assert ended["detail"] == "Asterisk no longer has the call"
    assert pbx.ari.get("/channels").json() == []


def test_agents_and_noc_cannot_monitor(api, pbx, users):
    agent_leg = _agent_call(pbx)
    for username in ("agent", "noc"):
        response = api(username).post("/api/v1/monitor", {"channel": agent_leg}, format="json")
        assert response.status_code == 403
        assert AuditEntry.objects.filter(username=username, action="monitor.start", outcome="denied").exists()
    assert pbx.entry(agent_leg).snooped_by == frozenset()


# -- the call-routing Stasis app ------------------------------------------------------------------

def _routed_call(pbx, destination: str) -> str:
    """What `Stasis(switchboard,dial,<destination>)` in a dialplan does: a caller enters the app with args."""
    r = pbx.ari.post("/channels", params={"endpoint": "PJSIP/alice", "app": APP, "appArgs": f"dial,{destination}"})
    assert r.status_code == 200
    return r.json()["id"]


def _bridge_of(pbx, channel_id: str):
    entry = pbx.entry(channel_id)
    return next(iter(entry.bridge_ids)) if entry and entry.bridge_ids else None


def test_a_routed_call_is_bridged_and_the_callee_hanging_up_ends_it(pbx, simulator):
    caller = _routed_call(pbx, "PJSIP/bob")
    bridge = wait_until(lambda: _bridge_of(pbx, caller), message="the caller bridged")
    members = pbx.ari.get(f"/bridges/{bridge}").json()["channels"]
    assert len(members) == 2 and caller in members
    callee = next(c for c in members if c != caller)
    assert pbx.entry(callee).channel.name.startswith("PJSIP/bob-")
    assert pbx.entry(caller).stasis_app == APP and pbx.entry(callee).stasis_app == APP
    simulator.control("POST", "/_sim/phones/PJSIP/bob/hangup")
    pbx.wait_gone(caller)
    wait_until(lambda: pbx.ari.get("/bridges").json() == [], message="the bridge destroyed")


def test_a_routed_call_to_a_busy_phone_relays_busy(pbx, simulator):
    simulator.control("POST", "/_sim/phones/PJSIP/bob", json={"busy": True})
    caller = _routed_call(pbx, "PJSIP/bob")
    pbx.wait_entry(caller)
    pbx.wait_gone(caller)
    assert pbx.ari.get("/channels").json() == []
    assert pbx.ari.get("/bridges").json() == []


def test_a_snoop_channel_or_a_sessions_own_leg_cannot_be_monitored(api, pbx, users):
    agent_leg = _agent_call(pbx)
    supervisor = api("supervisor")
    sid = supervisor.post("/api/v1/monitor", {"channel": agent_leg}, format="json").json()["id"]
    wait_session(supervisor, sid, "active")
    snoop = next(iter(pbx.wait_entry(agent_leg, lambda e: e.snooped_by).snooped_by))
    pbx.wait_entry(snoop)
    for target, words in ((snoop, "snoop channel"), (f"sb-{sid}-sup", "belongs to a monitoring")):
        response = api("admin").post("/api/v1/monitor", {"channel": target}, format="json")
        assert response.status_code == 400, target
        assert words in response.json()["message"]
    # Stopping someone else's session is a denial, and audited as one.
    assert api("admin").post(f"/api/v1/sessions/{sid}/stop").status_code == 200  # admins may
    assert wait_session(supervisor, sid, "ended")["detail"] == "stopped by admin"
    sid2 = supervisor.post("/api/v1/monitor", {"channel": agent_leg}, format="json").json()["id"]
    wait_session(supervisor, sid2, "active")
    response = api("agent2").post(f"/api/v1/sessions/{sid2}/stop")
    assert response.status_code == 403
    assert AuditEntry.objects.filter(username="agent2", action="session.stop", outcome="denied").exists()
    assert sessions(supervisor)[sid2]["state"] == "active"
    supervisor.post(f"/api/v1/sessions/{sid2}/stop")
    assert_nothing_left(pbx, sid2, keep={agent_leg})
