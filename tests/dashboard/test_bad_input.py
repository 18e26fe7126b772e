"""Bad input to a real dashboard server (uvicorn) over HTTP: every refusal is a 4xx in the API's JSON shape
naming the parameter, reaches no ARI request, quotes no more than a short prefix, and is audited."""
from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.dashboard.test_live_socket import APP, ari  # noqa: F401 - the fixture

HUGE = "x" * 2_000_000


@pytest.fixture
def call(ari):
    """A call answered by PJSIP/alice, in the dashboard's application."""
    channel_id = f"bad-input-{uuid.uuid4().hex[:8]}"
    response = ari.post("/channels", params={"endpoint": "PJSIP/alice", "app": APP, "channelId": channel_id})
    assert response.status_code == 200, response.text
    return channel_id


def ari_requests(simulator, method: str, path: str) -> list[dict]:
    return [r for r in simulator.control("GET", "/_sim/requests") if r["method"] == method and r["path"] == path]


def audit(live_dashboard, **filters) -> list[dict]:
    return live_dashboard.login("admin").get("/api/v1/audit", params={"limit": 1000, **filters}).json()["results"]


def assert_refused(response: httpx.Response, status: int = 400, parameter: str | None = None) -> dict:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"message", "code", "parameter"} and body["message"] and body["code"], body
    if parameter is not None:
        assert body.get("parameter") == parameter, body
    assert len(response.content) < 1000, "a refusal quotes only a short prefix of what it refuses"
    return body


NOT_OBJECTS = ['["reason","normal"]', '"normal"', "null", "42", "true", "[1]"]


def test_a_body_that_is_not_a_json_object_is_refused_and_audited(live_dashboard, simulator, ari, call):
    noc = live_dashboard.login("noc")
    simulator.control("DELETE", "/_sim/requests")
    for raw in NOT_OBJECTS:
        headers = {"Content-Type": "application/json"}
        assert_refused(noc.post(f"/api/v1/channels/{call}/hangup", content=raw, headers=headers))
        assert_refused(noc.post(f"/api/v1/channels/{call}/hold", content=raw, headers=headers))
        assert_refused(noc.post("/api/v1/channels", content=raw, headers=headers))
        assert_refused(noc.post("/api/v1/stuck/hangup", content=raw, headers=headers))
    # Nothing ran with its defaults: the call is still there, never held, and ARI heard nothing of it.
    assert ari.get(f"/channels/{call}").status_code == 200
    assert ari_requests(simulator, "DELETE", f"/ari/channels/{call}") == []
    assert ari_requests(simulator, "POST", f"/ari/channels/{call}/hold") == []
    assert ari_requests(simulator, "POST", "/ari/channels") == []
    entries = [e for e in audit(live_dashboard, user="noc", outcome="invalid") if e["action"] in ("hangup", "hold")]
    on_call = [e for e in entries if e["channel_id"] == call]
    assert {e["action"] for e in on_call} == {"hangup", "hold"}
    assert len(on_call) == 2 * len(NOT_OBJECTS)
    assert all(e["status"] == 400 for e in on_call)


@pytest.mark.parametrize(("username", "path"), [
    ("agent", "/api/v1/click-to-call"),
    ("supervisor", "/api/v1/monitor"),
    ("supervisor", "/api/v1/sessions/0123456789ab/mode"),
    ("supervisor", "/api/v1/sessions/0123456789ab/stop"),
])
def test_the_session_endpoints_refuse_a_body_that_is_not_an_object(live_dashboard, username, path):
    client = live_dashboard.login(username)
    before = len(audit(live_dashboard, user=username, outcome="invalid"))
    for raw in NOT_OBJECTS:
        assert_refused(client.post(path, content=raw, headers={"Content-Type": "application/json"}))
    assert_refused(client.post(path, content="{not json", headers={"Content-Type": "application/json"}))
    assert len(audit(live_dashboard, user=username, outcome="invalid")) == before + len(NOT_OBJECTS) + 1


def test_the_session_endpoints_check_their_fields(live_dashboard):
    agent = live_dashboard.login("agent")
    supervisor = live_dashboard.login("supervisor")
    assert_refused(agent.post("/api/v1/click-to-call", json={"destination": ["100"]}), parameter="destination")
    assert_refused(agent.post("/api/v1/click-to-call", json={"destination": "1" * 100_000}),
                   parameter="destination")
    assert_refused(supervisor.post("/api/v1/monitor", json={"channel": {"id": 1}}), parameter="channel")
    assert_refused(supervisor.post("/api/v1/monitor", json={"channel": "x" * 100_000}), parameter="channel")
    assert_refused(supervisor.post("/api/v1/monitor", json={"channel": "x", "server": ["default"]}),
                   parameter="server")
    assert_refused(supervisor.post("/api/v1/monitor", json={"channel": "x", "mode": HUGE[:5000]}),
                   parameter="mode")
    assert_refused(supervisor.post("/api/v1/sessions/0123456789ab/mode", json={"mode": 5}), parameter="mode")
    assert_refused(live_dashboard.login("noc").post("/api/v1/stuck/hangup", json={
        "channels": ["default:x"], "reason": HUGE[:100_000], "confirm": True}), parameter="reason")


def test_a_5_mb_body_gets_413_in_the_json_shape(live_dashboard, call):
    noc = live_dashboard.login("noc")
    body = json.dumps({"endpoint": "PJSIP/alice", "app": APP, "appArgs": "x" * 5_000_000})
    for path in ("/api/v1/channels", f"/api/v1/channels/{call}/hangup", "/api/v1/click-to-call",
                 "/api/v1/stuck/hangup"):
        response = noc.post(path, content=body, headers={"Content-Type": "application/json"})
        assert_refused(response, 413)
    assert "unhandled API error" not in live_dashboard.log()
    refused, = [e for e in audit(live_dashboard, user="noc", action="hangup") if e["channel_id"] == call]
    assert (refused["outcome"], refused["status"]) == ("invalid", 413)


def test_a_5_mb_form_to_a_page_gets_a_413_page(live_dashboard):
    client = httpx.Client(base_url=live_dashboard.url, timeout=10)
    client.get("/login/")
    response = client.post("/login/", data={"username": "noc", "password": "x" * 5_000_000,
                                            "csrfmiddlewaretoken": client.cookies["csrftoken"]},
                           headers={"Referer": live_dashboard.url + "/login/"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "too large" in response.text.lower()


def test_a_2_mb_reason_is_neither_echoed_nor_stored_whole(live_dashboard, call):
    noc = live_dashboard.login("noc")
    body = assert_refused(noc.post(f"/api/v1/channels/{call}/hangup", json={"reason": HUGE}), parameter="reason")
    assert "must be one of" in body["message"]
    assert_refused(noc.post(f"/api/v1/channels/{call}/hangup", json={HUGE[:10_000]: "normal"}))
    assert_refused(noc.post(f"/api/v1/channels/{call}/set_channel_var",
                            json={"variable": "X", "value": HUGE}), parameter="value")
    entries = [e for e in audit(live_dashboard, user="noc", outcome="invalid") if e["channel_id"] == call]
    assert len(entries) == 3
    for entry in entries:
        stored = json.dumps(entry["params"])
        assert len(stored) < 2000, f"{len(stored)} characters of params stored"
        assert len(entry["message"]) <= 500


@pytest.mark.parametrize(("action", "params", "parameter"), [
    ("send_dtmf", {"dtmf": "1", "between": 1.5}, "between"),
    ("send_dtmf", {"dtmf": "1", "duration": 10**30}, "duration"),
    ("send_dtmf", {"dtmf": "1", "after": "1e3"}, "after"),
    ("send_dtmf", {"dtmf": "1", "before": True}, "before"),
    ("continue_in_dialplan", {"priority": -1}, "priority"),
    ("continue_in_dialplan", {"priority": "1.0"}, "priority"),
    ("record", {"name": "r", "format": "wav", "beep": "yes"}, "beep"),
    ("record", {"name": "r", "format": "wav", "beep": 1}, "beep"),
    ("play", {"media": "sound:/etc/passwd"}, "media"),
    ("play", {"media": "sound:../../../../etc/passwd"}, "media"),
    ("play", {"media": "recording:../../etc/passwd"}, "media"),
    ("play", {"media": "sound:beep", "lang": "../../../etc"}, "lang"),
    ("redirect", {"endpoint": "PJSIP/bob,PJSIP/carol"}, "endpoint"),
    ("redirect", {"endpoint": "PJSIP/bob\r\nX"}, "endpoint"),
    ("mute", {"direction": ["in"]}, "direction"),
    ("hangup", {"reason": {"x": 1}}, "reason"),
])
def test_bad_values_are_refused_before_ari(live_dashboard, simulator, call, action, params, parameter):
    admin = live_dashboard.login("admin")
    simulator.control("DELETE", "/_sim/requests")
    assert_refused(admin.post(f"/api/v1/channels/{call}/{action}", json=params), parameter=parameter)
    assert [r for r in simulator.control("GET", "/_sim/requests") if r["path"].startswith(f"/ari/channels/{call}/")
            and r["method"] == "POST"] == []


@pytest.mark.parametrize(("path", "params", "parameter"), [
    ("/api/v1/channels", {"endpoint": "PJSIP/alice", "extension": "100", "priority": 1.5}, "priority"),
    ("/api/v1/channels", {"endpoint": "PJSIP/alice", "extension": "100", "priority": 0}, "priority"),
    ("/api/v1/channels", {"endpoint": "PJSIP/alice,PJSIP/bob", "app": APP}, "endpoint"),
    ("/api/v1/channels", {"endpoint": "PJSIP/alice&PJSIP/bob", "app": APP}, "endpoint"),
    ("/api/v1/channels", {"endpoint": "PJSIP/alice\n", "app": APP}, "endpoint"),
    ("/api/v1/channels", {"endpoint": "PJSIP/al\rice", "app": APP}, "endpoint"),
    ("/api/v1/channels", {"endpoint": "PJSIP/alice", "app": APP, "callerId": "x" * 10_000}, "callerId"),
    ("/api/v1/channels", {"endpoint": "PJSIP/alice", "extension": "1" * 81}, "extension"),
    ("/api/v1/channels", {"endpoint": "PJSIP/alice", "app": APP, "timeout": 10**30}, "timeout"),
    ("/api/v1/channels/create", {"endpoint": "PJSIP/alice\x00", "app": APP}, "endpoint"),
    ("/api/v1/channels/originate_with_id", {"channelId": "new\r\n1", "endpoint": "PJSIP/alice", "app": APP},
     "channelId"),
])
def test_bad_originations_create_no_channel(live_dashboard, simulator, ari, path, params, parameter):
    simulator.control("DELETE", "/_sim/requests")
    before = {c["id"] for c in ari.get("/channels").json()}
    assert_refused(live_dashboard.login("admin").post(path, json=params), parameter=parameter)
    assert {c["id"] for c in ari.get("/channels").json()} == before
    assert [r for r in simulator.control("GET", "/_sim/requests") if r["method"] == "POST"] == []


def test_query_parameters_of_actions_are_checked(live_dashboard, call):
    admin = live_dashboard.login("admin")
    assert_refused(admin.get(f"/api/v1/channels/{call}/variable", params={"variable": "X\nY"}),
                   parameter="variable")
    assert_refused(admin.get(f"/api/v1/channels/{call}/variable", params=[("variable", "A"), ("variable", "B")]),
                   parameter="variable")
    assert_refused(admin.get(f"/api/v1/channels/{call}/variable", params={"variable": "X", "server": HUGE[:5000]}),
                   parameter="server")
    twice = [("server", "other"), ("server", "default")]  # the last alone would pass
    for path in (f"/api/v1/channels/{call}", "/api/v1/stuck", f"/api/v1/channels/{call}/hold"):
        response = admin.post(path, params=twice) if path.endswith("hold") else admin.get(path, params=twice)
        assert_refused(response, parameter="server")


@pytest.mark.parametrize("query", [
    {"limit": "abc"}, {"limit": "0.5"}, {"limit": "0"}, {"limit": "100000"}, {"offset": "-1"}, {"offset": "x"},
    {"min_age": "1.5"}, {"max_age": "ten"}, {"min_age": "9" * 5000}, {"sort": "colour"}, {"sort": "x" * 5000},
    {"in_app": "yes"}, {"state": "Sleeping"}, {"server": "mars"}, {"text": "x" * 5000},
    [("limit", "10"), ("limit", "20")],
])
def test_the_channel_list_checks_its_query(live_dashboard, query):
    response = live_dashboard.login("supervisor").get("/api/v1/channels", params=query)
    name = query[0][0] if isinstance(query, list) else next(iter(query))
    assert_refused(response, parameter=name)


# JSON that Python decodes but nothing downstream takes: a lone surrogate (no UTF-8 for it), NUL (PostgreSQL
# refuses it in text and JSON), 1e400 (infinite: JSON has no word for it).
ODD_BODIES = [
    ("hangup", "[" * 100_000 + "]" * 100_000, None),
    ("hangup", '{"reason": "\\ud800"}', "reason"),
    ("hangup", '{"\\ud800": "normal"}', "\ufffd"),
    ("hangup", '{"reason": "nor\\u0000mal"}', "reason"),
    ("send_dtmf", '{"dtmf": "1", "between": 1e400}', "between"),
    ("set_channel_var", '{"variable": "X", "value": "a\\u0000b"}', "value"),
    ("set_channel_var", '{"variable": "X\\udfff", "value": "b"}', "variable"),
]


def odd_input_is_refused_and_audited(dashboard, channel_id: str) -> None:
    """Shared with the PostgreSQL test: the audit row must be storable there too."""
    noc = dashboard.login("noc")
    for action, raw, parameter in ODD_BODIES:
        response = noc.post(f"/api/v1/channels/{channel_id}/{action}", content=raw.encode("utf-8", "surrogatepass"),
                            headers={"Content-Type": "application/json"})
        assert_refused(response, parameter=parameter)
        response.content.decode("utf-8")  # strict: nothing unencodable was echoed
    assert_refused(noc.post(f"/api/v1/channels/{channel_id}/hangup", data={"reason": "normal"}), 415)
    assert_refused(noc.get("/api/v1/channels", params=[(f"p{n}", "1") for n in range(1500)]))
    entries = [e for e in audit(dashboard, user="noc") if e["channel_id"] == channel_id]
    assert len(entries) == len(ODD_BODIES) + 1
    assert {e["outcome"] for e in entries} == {"invalid"}


def test_odd_json_is_refused_and_audited(live_dashboard, call):
    odd_input_is_refused_and_audited(live_dashboard, call)


def test_a_chunked_body_without_a_length_is_refused_not_ignored(live_dashboard, simulator, call):
    noc = live_dashboard.login("noc")
    simulator.control("DELETE", "/_sim/requests")

    def chunks():  # httpx sends a generator chunked, without Content-Length
        yield b'["reason",'
        yield b'"normal"]'

    for path in (f"/api/v1/channels/{call}/hold", "/api/v1/click-to-call", "/api/v1/stuck/hangup"):
        assert_refused(noc.post(path, content=chunks(), headers={"Content-Type": "application/json"}), 411)
    assert ari_requests(simulator, "POST", f"/ari/channels/{call}/hold") == []
    refused, = [e for e in audit(live_dashboard, user="noc", action="hold") if e["channel_id"] == call]
    assert (refused["outcome"], refused["status"]) == ("invalid", 411)
