"""The Stuck view's REST API against the simulator: the dry-run preview, the bulk hangup (one channel
already gone, one no longer stuck, bad requests), who may use it, the channel JSON's "stuck" field, and
RTP silence found by the runner's sampler. Every test ends with no channel left on the PBX."""
from __future__ import annotations

import dataclasses
import re
import time

import pytest

from dashboard import runtime
from dashboard.models import AuditEntry
from switchboard.env import StuckRules

from .conftest import APP, wait_until

QUIET = StuckRules(max_age_minutes=0, ringing_seconds=0, stasis_unbridged_minutes=0, silent_minutes=0,
                   rtp_silence_seconds=0)
RINGING_1S = dataclasses.replace(QUIET, ringing_seconds=1)
RINGERS = ("carol", "dave", "erin")


@pytest.fixture
def ringers(simulator):
    """Three phones that ring and never answer; back to normal afterwards."""
    for phone in RINGERS:
        simulator.control("POST", f"/_sim/phones/PJSIP/{phone}", json={"never_answer": True, "ring_after": 0.01})
    yield [f"PJSIP/{phone}" for phone in RINGERS]
    for phone in RINGERS:
        simulator.control("POST", f"/_sim/phones/PJSIP/{phone}", json={"never_answer": False, "ring_after": 0.05})


def ring(pbx, endpoint: str) -> str:
    """A call to `endpoint` that rings until someone hangs it up (originate timeout: 10 minutes)."""
    r = pbx.ari.post("/channels", params={"endpoint": endpoint, "app": APP, "timeout": 600})
    assert r.status_code == 200, r.text
    channel_id = r.json()["id"]
    pbx.wait_entry(channel_id, lambda e: e.channel.state == "Ringing")
    return channel_id


def stuck_ids(client) -> dict[str, list[str]]:
    response = client.get("/api/v1/stuck")
    assert response.status_code == 200, response.content
    return {c["id"]: c["stuck"] for c in response.json()["results"]}


def sim_channel_ids(pbx) -> set[str]:
    return {c["id"] for c in pbx.ari.get("/channels").json()}


def hangup_entries(**filters):
    return list(AuditEntry.objects.filter(action="hangup", **filters).order_by("id"))


def test_preview_then_bulk_hangup_with_one_channel_already_gone(api, pbx, ringers, settings):
    settings.STUCK_RULES = RINGING_1S
    noc = api("noc")
    healthy = pbx.call_in_app("PJSIP/alice")
    carol, dave, erin = (ring(pbx, endpoint) for endpoint in ringers)

    # Ringing, but not for a whole second yet: nothing is stuck.
    assert stuck_ids(noc) == {}
    preview = wait_until(lambda: (s := stuck_ids(noc)) and len(s) == 3 and s, timeout=5,
                         message="three ringing channels to be stuck")
    assert preview == {carol: ["ringing_too_long"], dave: ["ringing_too_long"], erin: ["ringing_too_long"]}
    body = noc.get("/api/v1/stuck").json()
    first = body["results"][0]
    assert first["state"] == "Ringing" and first["name"].startswith("PJSIP/")
    assert first["reasons"][0]["rule"] == "ringing_too_long"
    assert re.fullmatch(r"Ringing for \d+ s \(limit 1 s\)", first["reasons"][0]["text"])
    assert {r["rule"]: r["enabled"] for r in body["rules"]} == {
        "too_old": False, "ringing_too_long": True, "stasis_unbridged": False, "no_events": False,
        "rtp_silent": False}
    # The dry run changed nothing.
    assert {carol, dave, erin, healthy} <= sim_channel_ids(pbx)
    assert hangup_entries() == []

    # Between the preview and the hangup, one of them goes.
    assert pbx.ari.delete(f"/channels/{dave}").status_code == 204
    response = noc.post("/api/v1/stuck/hangup", {"channels": [f"default:{c}" for c in (carol, dave, erin)],
                                                 "reason": "normal", "confirm": True}, format="json")
    assert response.status_code == 200, response.content
    summary = response.json()
    assert {item["id"] for item in summary["hung_up"]} == {f"default:{carol}", f"default:{erin}"}
    assert [item["id"] for item in summary["already_gone"]] == [f"default:{dave}"]
    assert summary["failed"] == [] and summary["skipped"] == []
    assert summary["counts"] == {"hung_up": 2, "already_gone": 1, "skipped": 0, "failed": 0}

    # One audit entry per channel, each under the NOC user, from the Stuck view.
    entries = {e.channel_id: e for e in hangup_entries()}
    assert set(entries) == {carol, dave, erin}
    assert all(e.username == "noc" and e.source == "stuck" and e.params == {"reason": "normal"}
               for e in entries.values())
    assert (entries[carol].outcome, entries[erin].outcome) == (AuditEntry.Outcome.OK, AuditEntry.Outcome.OK)
    assert (entries[dave].outcome, entries[dave].status) == (AuditEntry.Outcome.FAILED, 404)

    # Nothing leaked: only the healthy call is left, on the PBX and in the dashboard.
    wait_until(lambda: sim_channel_ids(pbx) == {healthy}, message="the stuck channels to be gone from the PBX")
    pbx.wait_gone(carol)
    pbx.wait_gone(erin)
    assert stuck_ids(noc) == {}


def test_a_channel_no_longer_stuck_is_left_alone(api, pbx, ringers, settings):
    settings.STUCK_RULES = RINGING_1S
    noc = api("admin")
    carol = ring(pbx, ringers[0])
    wait_until(lambda: carol in stuck_ids(noc), message="the ringing channel to be stuck")
    # The limit goes up between the preview and the hangup: the channel is not stuck any more.
    settings.STUCK_RULES = dataclasses.replace(RINGING_1S, ringing_seconds=3600)
    response = noc.post("/api/v1/stuck/hangup", {"channels": [f"default:{carol}"], "confirm": True}, format="json")
    assert response.status_code == 200
    assert response.json()["counts"] == {"hung_up": 0, "already_gone": 0, "skipped": 1, "failed": 0}
    assert carol in sim_channel_ids(pbx)
    entry, = hangup_entries(channel_id=carol)
    assert (entry.outcome, entry.status, entry.message) == (AuditEntry.Outcome.INVALID, 409,
                                                            "no longer stuck: left alone")


BAD_REQUESTS = [  # (body, the parameter the 400 names); "x" stands for a live channel's id
    ({"channels": ["default:x"], "reason": "normal"}, "confirm"),
    ({"channels": ["default:x"], "reason": "normal", "confirm": False}, "confirm"),
    ({"channels": ["default:x"], "reason": "normal", "confirm": "yes"}, "confirm"),
    ({"channels": ["default:x"], "reason": "because", "confirm": True}, "reason"),
    ({"channels": [], "confirm": True}, "channels"),
    ({"channels": "default:x", "confirm": True}, "channels"),
    ({"confirm": True}, "channels"),
    ({"channels": ["elsewhere:x"], "confirm": True}, "channels"),
    ({"channels": ["default:"], "confirm": True}, "channels"),
    ({"channels": [7], "confirm": True}, "channels"),
]


def test_a_bad_request_is_refused_naming_the_parameter(api, pbx, settings):
    settings.STUCK_RULES = RINGING_1S
    channel_id = pbx.call_in_app("PJSIP/alice")
    noc = api("noc")
    for n, (body, parameter) in enumerate(BAD_REQUESTS, start=1):
        channels = body.get("channels")
        if isinstance(channels, list):
            body = {**body, "channels": [c.replace("x", channel_id) if isinstance(c, str) else c for c in channels]}
        response = noc.post("/api/v1/stuck/hangup", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["parameter"] == parameter, body
        entries = hangup_entries()
        assert len(entries) == n, body  # each refusal is audited once
        assert (entries[-1].outcome, entries[-1].status, entries[-1].source) == (
            AuditEntry.Outcome.INVALID, 400, "stuck")
    assert channel_id in sim_channel_ids(pbx)  # nothing was hung up


def test_only_roles_that_may_hang_up_any_call_may_sweep(api, pbx, ringers, settings, client, users):
    settings.STUCK_RULES = RINGING_1S
    carol = ring(pbx, ringers[0])
    wait_until(lambda: carol in stuck_ids(api("supervisor")), message="the ringing channel to be stuck")
    agent = api("agent")
    assert agent.get("/api/v1/stuck").status_code == 403
    response = agent.post("/api/v1/stuck/hangup", {"channels": [f"default:{carol}"], "confirm": True},
                          format="json")
    assert response.status_code == 403 and "cannot sweep" in response.json()["message"]
    assert carol in sim_channel_ids(pbx)
    denied, = AuditEntry.objects.filter(action="hangup", username="agent")
    assert (denied.outcome, denied.status) == (AuditEntry.Outcome.DENIED, 403)
    for username in ("supervisor", "noc", "admin"):
        assert carol in stuck_ids(api(username))
    # The page too.
    client.force_login(users["agent"])
    assert client.get("/stuck/").status_code == 403
    client.force_login(users["noc"])
    page = client.get("/stuck/")
    assert page.status_code == 200 and b"js/stuck.js" in page.content


def test_the_channel_json_names_the_rules_that_catch_it(api, pbx, ringers, settings):
    settings.STUCK_RULES = RINGING_1S
    healthy = pbx.call_in_app("PJSIP/alice")
    carol = ring(pbx, ringers[0])
    time.sleep(1.1)
    channels = {c["id"]: c for c in api("supervisor").get("/api/v1/channels").json()["results"]}
    assert channels[carol]["stuck"] == ["ringing_too_long"]
    assert channels[healthy]["stuck"] == []
    settings.STUCK_RULES = QUIET
    assert api("supervisor").get(f"/api/v1/channels/{carol}").json()["stuck"] == []


def test_rtp_silence_is_found_by_the_runner_sampler(api, pbx, simulator, settings):
    settings.STUCK_RULES = dataclasses.replace(QUIET, rtp_silence_seconds=1)
    rt = runtime.get()
    simulator.control("POST", "/_sim/phones/PJSIP/alice", json={"rtp_silent": True})
    try:
        silent = pbx.call_in_app("PJSIP/alice")
        talking = pbx.call_in_app("PJSIP/bob")
        local = pbx.call_in_app("Local/100@default")
        time.sleep(0.05)
        assert runtime.call(rt.runner.rtp.sample_once()) == 2  # the two PJSIP calls; Local has no RTP
        time.sleep(0.05)
        runtime.call(rt.runner.rtp.sample_once())
        # The source registry knows at once; the page's replica after the next diff.
        source = rt.runner.registry.get(("default", silent))
        assert source.rtp_idle_since is not None
        assert rt.runner.registry.get(("default", talking)).rtp_idle_since is None
        stuck = wait_until(lambda: (s := stuck_ids(api("noc"))) and s, timeout=3,
                           message="the silent call to be caught")
        assert stuck == {silent: ["rtp_silent"]} and local not in stuck
        reasons = api("noc").get("/api/v1/stuck").json()["results"][0]["reasons"]
        assert reasons[0]["label"] == "No incoming audio"
        # Held by the phone: no RTP is expected, so it is not silence.
        simulator.control("POST", "/_sim/phones/PJSIP/alice/hold")
        pbx.wait_entry(silent, lambda e: e.held)
        assert stuck_ids(api("noc")) == {}
    finally:
        simulator.control("POST", "/_sim/phones/PJSIP/alice", json={"rtp_silent": False})
