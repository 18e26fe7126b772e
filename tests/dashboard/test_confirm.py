"""No false success: operations that Asterisk answers with a 2xx before they happen (or fail) report
and audit what really happened, told by the event that follows (dashboard/confirm.py)."""
from __future__ import annotations

import asyncio
import threading

import pytest
import websockets

from dashboard.models import AuditEntry

from .conftest import APP, wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def last_audit(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


def act(client, channel_id: str, action: str, body: dict | None = None):
    return client.post(f"/api/v1/channels/{channel_id}/{action}", body or {}, format="json")


class OtherApp:
    """Another Stasis application connected to the simulator (as a second ARI client would be)."""

    def __init__(self, simulator, name: str):
        self.url = f"{simulator.ws_url}?app={name}&api_key={simulator.username}:{simulator.password}"
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self):
        async with websockets.connect(self.url):
            self.ready.set()
            while not self.stop.is_set():
                await asyncio.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(5), "the other application did not connect"
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)


def test_a_move_to_an_application_nobody_serves_is_a_failure_in_words(api, pbx, users, simulator):
    channel = pbx.call_in_app("PJSIP/alice")
    noc = api("noc")
    response = act(noc, channel, "move", {"app": "dashboard2"})
    assert response.status_code == 422, response.content
    assert response.json() == {"message": "the channel stayed where it was: no application called dashboard2 is "
                                          "connected to Asterisk", "code": "move_failed"}
    audit = last_audit("move")
    assert (audit.outcome, audit.status) == ("failed", 422) and "dashboard2" in audit.message
    assert pbx.entry(channel).stasis_app == APP
    # To an application that is connected, the move happens and is reported as such.
    with OtherApp(simulator, "dashboard2"):
        assert act(noc, channel, "move", {"app": "dashboard2"}).status_code == 204
        assert (last_audit("move").outcome, last_audit("move").status) == ("ok", 204)


def test_continue_to_an_extension_that_does_not_exist_reports_the_hangup(api, pbx, users):
    noc = api("noc")
    channel = pbx.call_in_app("PJSIP/alice")
    response = act(noc, channel, "continue_in_dialplan", {"context": "default", "extension": "999"})
    assert response.status_code == 422, response.content
    assert response.json()["message"] == "Asterisk hung the call up: its dialplan has nothing at default,999"
    assert last_audit("continue_in_dialplan").outcome == "failed"
    pbx.wait_gone(channel)
    channel = pbx.call_in_app("PJSIP/alice")
    assert act(noc, channel, "continue_in_dialplan", {"context": "default", "extension": "103"}).status_code == 204
    assert pbx.wait_entry(channel, lambda e: e.stasis_app is None).channel.dialplan.exten == "103"


def test_playing_a_missing_sound_fails_and_a_real_one_plays(api, pbx, users):
    supervisor = api("supervisor")
    channel = pbx.call_in_app("PJSIP/alice")
    response = act(supervisor, channel, "play", {"media": "sound:no-such-sound-file"})
    assert response.status_code == 422, response.content
    assert response.json()["message"] == "Asterisk could not play sound:no-such-sound-file: no such sound or recording"
    assert (last_audit("play").outcome, last_audit("play").status) == ("failed", 422)
    response = act(supervisor, channel, "play", {"media": "sound:hello-world"})
    assert response.status_code == 200 and response.json()["media_uri"] == "sound:hello-world"
    assert last_audit("play").outcome == "ok"


def test_recording_a_bridged_channel_fails_in_words(api, pbx, users):
    supervisor = api("supervisor")
    alone = pbx.call_in_app("PJSIP/alice")
    assert act(supervisor, alone, "record", {"name": "alone", "format": "wav"}).status_code == 200
    bridged = pbx.call_in_app("PJSIP/bob")
    pbx.ari.post("/bridges", params={"type": "mixing", "bridgeId": "rec-bridge"})
    pbx.ari.post("/bridges/rec-bridge/addChannel", params={"channel": bridged})
    pbx.wait_entry(bridged, lambda e: "rec-bridge" in e.bridge_ids)
    response = act(supervisor, bridged, "record", {"name": "bridged", "format": "wav"})
    assert response.status_code == 422, response.content
    assert "cannot record a channel while it is in a bridge" in response.json()["message"]
    assert last_audit("record").outcome == "failed"


def test_a_dial_to_a_busy_number_fails_and_a_ringing_one_succeeds(api, pbx, users):
    noc = api("noc")
    for exten, status in (("105", 422), ("104", 204)):
        created = noc.post("/api/v1/channels/create", {"endpoint": f"Local/{exten}@default", "app": APP},
                           format="json")
        assert created.status_code == 200, created.content
        channel = created.json()["id"]
        pbx.wait_entry(channel)
        response = act(noc, channel, "dial", {"timeout": 30})
        assert response.status_code == status, response.content
        if status == 422:
            assert response.json()["message"] == "the dial failed: the line is busy"
        assert last_audit("dial").outcome == ("failed" if status == 422 else "ok")


def test_a_snoop_into_an_application_nobody_serves_fails(api, pbx, users):
    supervisor = api("supervisor")
    channel = pbx.call_in_app("PJSIP/alice")
    response = act(supervisor, channel, "snoop_channel", {"spy": "both", "app": "nobody-listens"})
    assert response.status_code == 422, response.content
    assert response.json()["message"] == ("the snoop channel ended at once: no application called nobody-listens "
                                          "is connected to Asterisk")
    response = act(supervisor, channel, "snoop_channel", {"spy": "both"})  # into the dashboard's own app
    assert response.status_code == 200, response.content
    assert last_audit("snoop_channel").outcome == "ok"


def test_a_redirect_asterisk_ignores_is_not_reported_as_done(api, pbx, users):
    noc = api("noc")
    local = pbx.call_in_app("Local/100@default")
    response = act(noc, local, "redirect", {"endpoint": "Local/101@default"})
    assert response.status_code == 422, response.content
    assert "only SIP and PJSIP phones can be redirected" in response.json()["message"]
    phone = pbx.call_in_app("PJSIP/alice")
    # Another technology is refused before Asterisk is asked, naming the parameter (Asterisk: 422).
    refused = act(noc, phone, "redirect", {"endpoint": "SIP/bob"})
    assert refused.status_code == 400 and refused.json()["parameter"] == "endpoint", refused.content
    assert "must be a PJSIP endpoint" in refused.json()["message"]
    assert not [r for r in pbx.sim.control("GET", "/_sim/requests") if r["path"].endswith(f"/{phone}/redirect")]
    assert act(noc, phone, "redirect", {"endpoint": "PJSIP/bob"}).status_code == 204
    pbx.wait_gone(phone)
    wait_until(lambda: last_audit("redirect").outcome == "ok", message="the redirect audited as done")


def test_an_originate_that_ends_at_once_is_reported_as_failed(api, pbx, users):
    noc = api("noc")
    response = noc.post("/api/v1/channels", {"endpoint": "Local/nosuch@nosuchctx", "app": APP}, format="json")
    assert response.status_code == 422, response.content
    assert response.json()["message"].startswith("the call ended at once"), response.content
    assert (last_audit("originate").outcome, last_audit("originate").status) == ("failed", 422)
    made = noc.post("/api/v1/channels", {"endpoint": "PJSIP/alice", "app": APP}, format="json")
    assert made.status_code == 200, made.content
    assert last_audit("originate").outcome == "ok"
    pbx.wait_entry(made.json()["id"])


def test_a_snoop_or_external_media_id_already_taken_is_refused_before_asterisk(api, pbx, users):
    """Asterisk answers a taken id there with a bare 500 ("Snoop channel could not be created")."""
    supervisor, noc = api("supervisor"), api("noc")
    target, taken = pbx.call_in_app("PJSIP/alice"), pbx.call_in_app("PJSIP/bob")
    snoop = act(supervisor, target, "snoop_channel_with_id", {"spy": "in", "app": APP, "snoopId": taken})
    assert snoop.status_code == 400 and snoop.json()["parameter"] == "snoopId", snoop.content
    media = noc.post("/api/v1/channels/external_media", {"app": APP, "external_host": "127.0.0.1:40000",
                                                          "format": "ulaw", "channelId": taken}, format="json")
    assert media.status_code == 400 and media.json()["parameter"] == "channelId", media.content
    assert "exists already" in media.json()["message"]
    sent = [r["path"] for r in pbx.sim.control("GET", "/_sim/requests")]
    assert not [p for p in sent if p.endswith("/snoop/" + taken) or p.endswith("/externalMedia")], sent
