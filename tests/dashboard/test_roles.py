"""The role table of the dashboard issue, every cell, through the REST API: allowed gets through,
denied gets 403 and an audit entry. The expectations are written out here, not read from the code."""
from __future__ import annotations

import itertools

import pytest

from dashboard.actions import ACTIONS
from dashboard.models import AuditEntry

from .conftest import APP

EVERYDAY = {"hangup", "hold", "unhold", "mute", "unmute", "send_dtmf"}
MEDIA = {"start_moh", "stop_moh", "start_silence", "stop_silence", "ring", "ring_stop", "answer", "play", "play_with_id"}
MONITOR = {"snoop_channel", "snoop_channel_with_id", "record"}
TECHNICAL = {"redirect", "continue_in_dialplan", "move", "dial", "get_channel_var", "set_channel_var",
             "rtp_statistics"}
CREATE = {"originate", "originate_with_id", "create", "external_media"}

ALLOWED = {
    "agent": EVERYDAY,  # own calls only
    "supervisor": EVERYDAY | MEDIA | MONITOR,
    "noc": EVERYDAY | MEDIA | TECHNICAL | CREATE,
    "admin": EVERYDAY | MEDIA | MONITOR | TECHNICAL | CREATE,
}
_n = itertools.count()


def test_the_table_covers_every_action():
    assert EVERYDAY | MEDIA | MONITOR | TECHNICAL | CREATE == set(ACTIONS)


def _params(action: str) -> dict:
    n = next(_n)
    return {
        "mute": {"direction": "both"}, "unmute": {"direction": "both"}, "send_dtmf": {"dtmf": "1"},
        "play": {"media": "sound:beep"}, "play_with_id": {"playbackId": f"pb-{n}", "media": "sound:beep"},
        "snoop_channel": {"spy": "both"}, "snoop_channel_with_id": {"snoopId": f"snoop-{n}", "spy": "in"},
        "record": {"name": f"rec-{n}", "format": "wav"}, "redirect": {"endpoint": "PJSIP/carol"},
        # Asterisk must be able to do them: a move to an application that is connected, a continue to an
        # extension that exists (dashboard/confirm.py reports the others as the failures they are).
        "move": {"app": APP}, "continue_in_dialplan": {"context": "default", "extension": "103"},
        "get_channel_var": {"variable": "CALLERID(num)"},
        "set_channel_var": {"variable": "X", "value": "1"},
        # Into the application this dashboard serves: Asterisk hangs up a call answered for one nobody serves.
        "originate": {"endpoint": "PJSIP/carol", "app": APP},
        "originate_with_id": {"channelId": f"new-{n}", "endpoint": "PJSIP/carol", "app": APP},
        "create": {"endpoint": "PJSIP/carol", "app": APP},
        "external_media": {"app": APP, "external_host": "127.0.0.1:40000", "format": "ulaw"},
    }.get(action, {})


# What a permitted request gets: dial needs a created channel (409 on an answered one), every other
# action succeeds on an answered call in the dashboard's application.
EXPECTED_OK = {"dial": {409}}


def _request(client, action: str, channel_id: str | None):
    spec = ACTIONS[action]
    params = _params(action)
    if not spec.on_channel:
        path = "/api/v1/channels" if action == "originate" else f"/api/v1/channels/{action}"
        return client.post(path, params, format="json")
    if spec.method == "GET":
        return client.get(f"/api/v1/channels/{channel_id}/{action}", params)
    return client.post(f"/api/v1/channels/{channel_id}/{action}", params, format="json")


@pytest.mark.parametrize("username", ["agent", "supervisor", "noc", "admin"])
def test_every_cell_of_the_role_table(username, api, pbx, users):
    client = api(username)
    role = username
    wrong = []
    for action in sorted(ACTIONS):
        # Agents act on their own phone's call; everyone else on someone else's.
        channel_id = pbx.call_in_app("PJSIP/alice" if role == "agent" else "PJSIP/bob") \
            if ACTIONS[action].on_channel else None
        before = AuditEntry.objects.filter(username=username, action=action, outcome="denied").count()
        response = _request(client, action, channel_id)
        allowed = action in ALLOWED[role]
        if allowed and response.status_code not in EXPECTED_OK.get(action, {200, 201, 204}):
            wrong.append(f"{action}: expected success, got {response.status_code} {response.content[:200]!r}")
        if not allowed:
            denied = AuditEntry.objects.filter(username=username, action=action, outcome="denied").count()
            if response.status_code != 403 or denied != before + 1:
                wrong.append(f"{action}: expected 403 + audit entry, got {response.status_code}, {denied - before} entries")
        pbx.clear()
    assert not wrong, "\n".join(wrong)


def test_agents_act_on_their_own_calls_only(api, pbx, users):
    client = api("agent")
    others = pbx.call_in_app("PJSIP/bob")
    for action in sorted(EVERYDAY):
        response = _request(client, action, others)
        assert response.status_code == 403, (action, response.content)
        assert "own calls" in response.json()["message"]
    assert AuditEntry.objects.filter(username="agent", outcome="denied").count() == len(EVERYDAY)
    # The other agent's call is untouched.
    assert pbx.entry(others).held is False


def test_agents_see_their_own_calls_only(api, pbx, users):
    mine = pbx.call_in_app("PJSIP/alice")
    others = pbx.call_in_app("PJSIP/bob")
    ids = {c["id"] for c in api("agent").get("/api/v1/channels").json()["results"]}
    assert ids == {mine}
    assert {c["id"] for c in api("supervisor").get("/api/v1/channels").json()["results"]} >= {mine, others}
    assert api("agent").get(f"/api/v1/channels/{mine}").status_code == 200
    response = api("agent").get(f"/api/v1/channels/{others}")
    assert response.status_code == 403
    assert AuditEntry.objects.filter(username="agent", action="view", outcome="denied", channel_id=others).exists()


def test_agents_see_calls_bridged_to_their_own(api, pbx, users):
    mine = pbx.call_in_app("PJSIP/alice")
    peer = pbx.call_in_app("PJSIP/carol")
    unrelated = pbx.call_in_app("PJSIP/bob")
    assert pbx.ari.post("/bridges", params={"type": "mixing", "bridgeId": "b1"}).status_code == 200
    assert pbx.ari.post("/bridges/b1/addChannel", params={"channel": f"{mine},{peer}"}).status_code == 204
    pbx.wait_entry(peer, lambda e: "b1" in e.bridge_ids)
    ids = {c["id"] for c in api("agent").get("/api/v1/channels").json()["results"]}
    assert ids == {mine, peer}
    assert unrelated not in ids
    # ...and may act on the far end of their own call.
    assert api("agent").post(f"/api/v1/channels/{peer}/hold").status_code == 204


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the workflow audits from its own thread
@pytest.mark.parametrize("username,allowed", [("agent", True), ("supervisor", True), ("noc", False), ("admin", True)])
def test_click_to_call_by_role(username, allowed, api, pbx, users):
    response = api(username).post("/api/v1/click-to-call", {"destination": "100"}, format="json")
    if allowed:
        assert response.status_code == 200, response.content
        session = response.json()
        assert session["endpoint"] == users[username].profile.endpoint
        leg = pbx.wait_entry(session["channels"][0])
        assert leg.channel.name.startswith(users[username].profile.endpoint + "-")
        api(username).post(f"/api/v1/sessions/{session['id']}/stop")
    else:
        assert response.status_code == 403
        assert AuditEntry.objects.filter(username=username, action="click_to_call", outcome="denied").exists()


def test_audit_log_own_entries_for_agents_all_for_others(api, pbx, users):
    mine = pbx.call_in_app("PJSIP/alice")
    api("agent").post(f"/api/v1/channels/{mine}/hold")
    api("supervisor").post(f"/api/v1/channels/{mine}/unhold")
    agent_view = {e["username"] for e in api("agent").get("/api/v1/audit").json()["results"]}
    assert agent_view == {"agent"}
    for username in ("supervisor", "noc", "admin"):
        seen = {e["username"] for e in api(username).get("/api/v1/audit").json()["results"]}
        assert {"agent", "supervisor"} <= seen, username
