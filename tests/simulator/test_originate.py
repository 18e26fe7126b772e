"""list, get, originate, originateWithId, create, dial and hangup."""
import pytest

from .helpers import EventStream, aclient, client, created_channel, error_of, stasis_channel

S02_ORDER = [
    ("ChannelCreated", ";1"), ("ChannelCreated", ";2"), ("ChannelDialplan", ";1"), ("ChannelCallerId", ";1"),
    ("ChannelConnectedLine", ";1"), ("ChannelCallerId", ";2"), ("ChannelConnectedLine", ";2"), ("Dial", ";1"),
    ("ChannelDialplan", ";2"), ("ChannelDialplan", ";2"), ("ChannelStateChange", ";2"),
    ("ChannelStateChange", ";1"), ("Dial", ";1"), ("ChannelVarset", ";1"), ("StasisStart", ";1"),
]
S02_HANGUP = [
    ("ChannelHangupRequest", ";1"), ("StasisEnd", ";1"), ("ChannelVarset", ";1"), ("ChannelHangupRequest", ";2"),
    ("ChannelDestroyed", ";1"), ("ChannelHangupRequest", ";2"), ("ChannelDialplan", ";2"),
    ("ChannelDestroyed", ";2"),
]


def _half(event: dict) -> str:
    channel = event.get("channel") or event.get("peer")
    return channel["name"][-2:]


async def test_originate_into_app_event_order_matches_capture(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        response = await ari.post("/channels", params={"endpoint": "Local/100@default", "app": "dashboard",
                                                       "appArgs": "arg1,arg2", "callerId": '"Dash Board" <1000>'})
        assert response.status_code == 200
        body = response.json()
        assert body["state"] == "Down"
        assert body["dialplan"] == {"context": "default", "exten": "100", "priority": 1, "app_name": "AppDial2",
                                    "app_data": "(Outgoing Line)"}
        assert body["caller"] == body["connected"] == {"name": "Dash Board", "number": "1000"}
        start = await events.next("StasisStart", channel=body["id"])
        assert start["args"] == ["arg1", "arg2"]
        assert start["channel"]["dialplan"]["app_data"] == "dashboard,arg1,arg2"
        got = [(e["type"], _half(e)) for e in events.events if e["type"] != "DeviceStateChanged"]
        assert got == S02_ORDER
        listed = (await ari.get("/channels")).json()
        assert sorted(c["name"][-2:] for c in listed) == [";1", ";2"]
        assert (await ari.get(f"/channels/{body['id']}")).json()["state"] == "Up"
        assert (await ari.delete(f"/channels/{body['id']}")).status_code == 204
        second = next(c["id"] for c in listed if c["name"].endswith(";2"))
        await events.next("ChannelDestroyed", channel=second)
        # Music on hold on ;2 starts half a second after its Answer: not part of the hangup.
        hangup = [(e["type"], _half(e)) for e in events.events[events.events.index(start) + 1:]
                  if e["type"] != "DeviceStateChanged" and e.get("dialplan_app") != "MusicOnHold"]
        assert hangup == S02_HANGUP
        requests = [e for e in events.events if e["type"] == "ChannelHangupRequest"]
        assert [(r.get("cause"), r.get("soft")) for r in requests] == [(32, True), (16, None), (16, True)]
        destroyed = [e for e in events.events if e["type"] == "ChannelDestroyed"]
        assert [(d["cause"], d["cause_txt"]) for d in destroyed] == [(16, "Normal Clearing")] * 2
        assert (await ari.get(f"/channels/{body['id']}")).json() == {"message": "Channel not found"}
        assert (await ari.get("/channels")).json() == []


async def test_originate_with_ids_variables_and_callerid(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        response = await ari.post("/channels", params={"endpoint": "Local/101@default", "app": "dashboard",
                                                       "channelId": "my-1", "otherChannelId": "my-2",
                                                       "callerId": "Alice <2001>"},
                                  json={"variables": {"CALLERID(name)": "Var Alice", "MYVAR": "hello",
                                                      "CDR(userfield)": "x"}})
        body = response.json()
        assert body["id"] == "my-1"
        assert body["caller"] == {"name": "Var Alice", "number": "2001"}
        assert body["connected"] == {"name": "Alice", "number": "2001"}
        await events.next("StasisStart", channel="my-1")
        other = (await ari.get("/channels/my-2")).json()
        assert other["caller"] == {"name": "Alice", "number": "2001"}
        assert other["connected"] == {"name": "Var Alice", "number": "2001"}
        assert (await ari.get("/channels/my-1/variable", params={"variable": "MYVAR"})).json() == {"value": "hello"}
        varsets = [(e["channel"]["id"], e["variable"]) for e in events.events if e["type"] == "ChannelVarset"]
        assert ("my-1", "MYVAR") in varsets and ("my-2", "MYVAR") in varsets
        assert not any(v == "CDR(userfield)" or v == "CALLERID(name)" for _, v in varsets)
        # A Local ;2 id defaults to "<channelId>;2".
        solo = await ari.post("/channels", params={"endpoint": "Local/100@default", "app": "dashboard",
                                                   "channelId": "solo"})
        assert solo.status_code == 200
        await events.next("StasisStart", channel="solo")
        assert (await ari.get("/channels/solo;2")).json()["name"].endswith(";2")


@pytest.mark.parametrize("params, body, status, message", [
    ({"app": "dashboard"}, None, 400, "Endpoint must be specified"),
    ({"endpoint": "Local/101@default"}, None, 400, "Application or extension must be specified"),
    ({"endpoint": "nonsense", "app": "dashboard"}, None, 400, "Invalid endpoint specified"),
    ({"endpoint": "Local/101@default", "app": "dashboard", "originator": "nope"}, None, 400,
     "Provided originator channel was not found"),
    ({"endpoint": "Local/101@default", "app": "dashboard", "formats": "nosuchcodec"}, None, 400,
     "Provided format (nosuchcodec) was not found"),
    ({"endpoint": "Local/101@default", "app": "dashboard", "formats": "ulaw", "originator": "x"}, None, 400,
     "Originator and formats can't both be specified"),
    ({"endpoint": "Local/101@default", "app": "dashboard", "channelId": "x" * 150}, None, 400,
     "Uniqueid length exceeds maximum of 149"),
    ({"endpoint": "Local/101@default", "app": "dashboard"}, {"variables": {"FOO": 5}}, 400,
     "Each value in 'variables' must be a string or an object with 'value' and optional 'report_events'"),
    ({"endpoint": "Local/103@default", "extension": "300", "label": "nolabel"}, None, 404,
     "Requested label can not be found"),
    ({"endpoint": "Local/103@default", "extension": "300", "label": "0"}, None, 400, "Requested priority is illegal"),
])
def test_originate_errors(sim, params, body, status, message):
    with client(sim) as ari:
        assert error_of(ari.post("/channels", params=params, json=body)) == (status, message)
        assert ari.get("/channels").json() == []


@pytest.mark.parametrize("endpoint", ["Bogus/xyz", "SIP/nosuchpeer", "PJSIP/nosuchphone"])
def test_unknown_technology_or_peer_is_allocation_failed(sim, endpoint):
    with client(sim) as ari:
        for path in ("/channels", "/channels/create", "/channels/with-id"):
            response = ari.post(path, params={"endpoint": endpoint, "app": "dashboard"})
            assert response.status_code == 500
            assert response.json() == {"error": "Allocation failed"}


async def test_duplicate_ids_and_originate_with_id(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="dup-1", otherChannelId="dup-2")
        conflict = (409, "Channel with given unique ID already exists")
        assert error_of(await ari.post("/channels", params={"endpoint": "Local/101@default", "app": "dashboard",
                                                            "channelId": "dup-1"})) == conflict
        assert error_of(await ari.post("/channels/dup-1", params={"endpoint": "Local/101@default",
                                                                  "app": "dashboard"})) == conflict
        assert error_of(await ari.post("/channels/create", params={"endpoint": "Local/100@default",
                                                                   "app": "dashboard", "channelId": "dup-1"})) == conflict
        # An otherChannelId already taken is ignored: the ;2 half gets an automatic id.
        reused = await ari.post("/channels", params={"endpoint": "Local/101@default", "app": "dashboard",
                                                     "otherChannelId": "dup-2"})
        assert reused.status_code == 200
        with_id = await ari.post("/channels/with-id-1", params={"endpoint": "Local/100@default", "app": "dashboard"})
        assert with_id.status_code == 200 and with_id.json()["id"] == "with-id-1"
        await events.next("StasisStart", channel="with-id-1")
        assert error_of(await ari.post("/channels/unknown-x", params={"endpoint": "Local/100@default"})) == (
            400, "Application or extension must be specified")


async def test_originate_into_dialplan_label_and_priority(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "300", "context": "default",
                                            "label": "label300", "channelId": "lab"})
        first = await events.next("ChannelDialplan", channel="lab", dialplan_app="NoOp")
        assert first["channel"]["dialplan"]["exten"] == "300" and first["channel"]["dialplan"]["priority"] == 5
        assert first["dialplan_app_data"] == "labelled priority"
        await ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "300", "priority": "-1",
                                            "channelId": "neg"})
        first = await events.next("ChannelDialplan", channel="neg", dialplan_app="NoOp")
        assert first["channel"]["dialplan"]["priority"] == 1
        assert (await ari.post("/channels/lab/hold")).json() == {"message": "Channel not in Stasis application"}


async def test_originate_to_missing_extension_or_context_fails(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        response = await ari.post("/channels", params={"endpoint": "Local/999@default", "app": "dashboard",
                                                       "channelId": "nowhere"})
        assert response.status_code == 200
        gone = await events.next("ChannelDestroyed", channel="nowhere")
        assert (gone["cause"], gone["cause_txt"]) == (0, "Unknown")
        assert "Dial" not in events.types("nowhere")
        await ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "999",
                                            "context": "nocontext", "channelId": "noctx"})
        destroyed = await events.next("ChannelDestroyed", channel="noctx")
        assert destroyed["cause"] == 0
        assert destroyed["channel"]["dialplan"]["context"] == "nocontext"
        # Asterisk restores AppDial2 after destroying it: one more ChannelDialplan follows.
        trailing = await events.next("ChannelDialplan", channel="noctx")
        assert trailing["dialplan_app"] == "AppDial2"


async def test_originate_busy_and_no_answer(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await ari.post("/channels", params={"endpoint": "Local/105@default", "app": "dashboard", "channelId": "busy"})
        dial = await events.next("Dial", channel="busy", dialstatus="BUSY")
        assert dial["peer"]["state"] == "Down"
        destroyed = await events.next("ChannelDestroyed", channel="busy")
        assert destroyed["cause"] == 0
        other = await events.wait("ChannelDestroyed", channel="busy;2")
        assert (other["cause"], other["cause_txt"]) == (17, "User busy")
        await ari.post("/channels", params={"endpoint": "Local/104@default", "app": "dashboard", "timeout": "3",
                                            "channelId": "ring"})
        ringing = await events.next("Dial", channel="ring", dialstatus="RINGING")
        assert ringing["peer"]["state"] == "Ringing"
        destroyed = await events.next("ChannelDestroyed", channel="ring", timeout=3)
        assert (destroyed["cause"], destroyed["cause_txt"]) == (19, "User alerting, no answer")
        assert "StasisStart" not in events.types("ring")


async def test_originate_to_phones(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        response = await ari.post("/channels", params={"endpoint": "PJSIP/alice", "app": "dashboard",
                                                       "channelId": "to-alice", "timeout": "5"})
        body = response.json()
        assert body["name"].startswith("PJSIP/alice-") and body["protocol_id"]
        assert body["caller"] == {"name": "Alice", "number": "1001"}
        await events.next("Dial", channel="to-alice", dialstatus="RINGING")
        await events.next("Dial", channel="to-alice", dialstatus="ANSWER")
        start = await events.next("StasisStart", channel="to-alice")
        assert start["channel"]["state"] == "Up"
        endpoint = (await ari.get("/endpoints/PJSIP/alice")).json()
        assert endpoint["channel_ids"] == ["to-alice"]
        # The recorded PBX's SIP peers never answer: the call ends on its timeout.
        await ari.post("/channels", params={"endpoint": "SIP/alice", "app": "dashboard", "timeout": "2",
                                            "channelId": "to-sip"})
        varset = await events.next("ChannelVarset", channel="to-sip")
        assert varset["variable"] == "SIPCALLID"
        destroyed = await events.next("ChannelDestroyed", channel="to-sip", timeout=3)
        assert destroyed["cause"] == 19
        assert "ChannelStateChange" not in events.types("to-sip")


async def test_originate_timeout_applies_to_phones(fast):
    fast.control("POST", "/_sim/phones/PJSIP/bob", {"never_answer": True})
    async with EventStream(fast) as events, aclient(fast) as ari:
        await ari.post("/channels", params={"endpoint": "PJSIP/bob", "app": "dashboard", "timeout": "1",
                                            "channelId": "late"})
        await events.next("Dial", channel="late", dialstatus="RINGING")
        destroyed = await events.next("ChannelDestroyed", channel="late", timeout=2)
        assert destroyed["cause"] == 19


async def test_create_enters_stasis_before_dial(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        response = await ari.post("/channels/create", params={"endpoint": "Local/100@default", "app": "dashboard",
                                                              "channelId": "cr", "appArgs": "created"})
        body = response.json()
        assert body["state"] == "Down" and body["dialplan"]["app_name"] == ""
        start = await events.next("StasisStart", channel="cr")
        assert start["args"] == ["created"] and start["channel"]["state"] == "Down"
        assert (await ari.get("/channels/cr")).json()["dialplan"]["app_data"] == "dashboard,created"
        assert "Dial" not in events.types("cr")
        for op in ("hold", "answer"):
            assert error_of(await ari.post(f"/channels/cr/{op}")) == (412, "Channel in invalid state")
        assert error_of(await ari.post("/channels/cr/play", params={"media": "sound:hello-world"})) == (
            412, "Channel in invalid state")
        assert error_of(await ari.post("/channels/create", params={"app": "dashboard"})) == (
            400, "Endpoint must be specified")
        assert error_of(await ari.post("/channels/create", params={"endpoint": "nonsense", "app": "dashboard"})) == (
            400, "Invalid endpoint specified")


async def test_create_without_app_is_destroyed(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        response = await ari.post("/channels/create", params={"endpoint": "Local/100@default", "channelId": "noapp"})
        assert response.status_code == 200
        destroyed = await events.next("ChannelDestroyed", channel="noapp")
        assert destroyed["cause"] == 0
        statuses = [e["value"] for e in events.of("noapp") if e["type"] == "ChannelVarset"]
        assert statuses == ["", "FAILED"]


async def test_dial_created_channel(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await created_channel(ari, events, channel_id="cd")
        assert (await ari.post("/channels/cd/dial", params={"timeout": "10"})).status_code == 204
        await events.next("Dial", channel="cd", dialstatus="")
        answer = await events.next("Dial", channel="cd", dialstatus="ANSWER")
        assert answer["peer"]["state"] == "Up"
        assert (await ari.get("/channels/cd")).json()["state"] == "Up"
        assert error_of(await ari.post("/channels/cd/dial")) == (409, "Channel is not in the 'Down' state")
        assert error_of(await ari.post("/channels/cd/dial", params={"caller": "does-not-exist"})) == (
            409, "Channel is not in the 'Down' state")
        assert error_of(await ari.post("/channels/unknown/dial")) == (404, "Channel not found")


async def test_dial_errors_for_dialplan_channel(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "103", "channelId": "dp"})
        await events.next("Dial", channel="dp", dialstatus="ANSWER")
        assert error_of(await ari.post("/channels/dp/dial")) == (409, "Channel not in Stasis application")


async def test_dial_timeout_busy_and_phone(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await created_channel(ari, events, endpoint="Local/104@default", channel_id="dt")
        await ari.post("/channels/dt/dial", params={"timeout": "10"})
        await events.next("Dial", channel="dt", dialstatus="RINGING")
        assert (await ari.get("/channels/dt")).json()["state"] == "Ringing"
        assert error_of(await ari.post("/channels/dt/hold")) == (412, "Channel in invalid state")
        request = await events.next("ChannelHangupRequest", channel="dt", timeout=3)
        assert (request["cause"], request["soft"]) == (32, True)
        await events.next("StasisEnd", channel="dt")
        destroyed = await events.next("ChannelDestroyed", channel="dt")
        assert destroyed["cause"] == 19
        await created_channel(ari, events, endpoint="Local/105@default", channel_id="db")
        await ari.post("/channels/db/dial", params={"timeout": "5"})
        await events.next("Dial", channel="db", dialstatus="BUSY")
        assert (await ari.get("/channels/db")).json()["state"] == "Down"
        await created_channel(ari, events, endpoint="PJSIP/carol", channel_id="dc")
        await ari.post("/channels/dc/dial")
        await events.next("Dial", channel="dc", dialstatus="RINGING")
        await events.next("Dial", channel="dc", dialstatus="ANSWER")
        assert (await ari.get("/channels/dc")).json()["state"] == "Up"


async def test_dial_created_channel_to_a_missing_extension_hangs_it_up(sim):
    """ARI's dial cannot call a Local channel whose extension does not exist: Asterisk queues a soft
    hangup on the created channel (res/stasis/control.c, app_control_dial), which leaves the
    application and is destroyed without a cause, and publishes no Dial. No half stays behind."""
    async with EventStream(sim) as events, aclient(sim) as ari:
        await created_channel(ari, events, endpoint="Local/1002@default", channel_id="nx")
        assert (await ari.post("/channels/nx/dial", params={"timeout": "30"})).status_code == 204
        half = await events.next("ChannelDestroyed", channel="nx;2")
        assert half["cause"] == 0
        request = await events.next("ChannelHangupRequest", channel="nx")
        assert request["soft"] is True
        await events.next("StasisEnd", channel="nx")
        destroyed = await events.next("ChannelDestroyed", channel="nx")
        assert (destroyed["cause"], destroyed["cause_txt"]) == (0, "Unknown")
        assert "Dial" not in events.types("nx")
        assert (await ari.get("/channels")).json() == []


HANGUP_REASONS = [("normal", 16), ("busy", 17), ("congestion", 34), ("no_answer", 19), ("timeout", 18),
                  ("rejected", 21), ("unallocated", 1), ("normal_unspecified", 31), ("number_incomplete", 28),
                  ("codec_mismatch", 58), ("interworking", 127), ("failure", 38), ("answered_elsewhere", 26)]


@pytest.mark.parametrize("reason, cause", HANGUP_REASONS)
async def test_hangup_reasons_set_the_cause(sim, reason, cause):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, endpoint="Local/100@default", channel_id="hr")
        assert (await ari.delete("/channels/hr", params={"reason": reason})).status_code == 204
        request = await events.next("ChannelHangupRequest", channel="hr")
        assert (request["cause"], request["soft"]) == (32, True)
        destroyed = await events.next("ChannelDestroyed", channel="hr")
        assert destroyed["cause"] == cause and destroyed["cause_txt"]


async def test_hangup_reason_code_and_errors(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, endpoint="Local/100@default", channel_id="hc")
        assert error_of(await ari.delete("/channels/hc", params={"reason": "sideways"})) == (
            400, "Invalid reason for hangup reason provided")
        assert error_of(await ari.delete("/channels/hc", params={"reason": "busy", "reason_code": "17"})) == (
            400, "The reason and reason_code can't both be specified")
        assert error_of(await ari.delete("/channels/hc", params={"reason_code": "abc"})) == (
            400, "Invalid reason for hangup reason code provided")
        assert (await ari.delete("/channels/hc", params={"reason_code": "21"})).status_code == 204
        destroyed = await events.next("ChannelDestroyed", channel="hc")
        assert (destroyed["cause"], destroyed["cause_txt"]) == (21, "Call Rejected")
        assert error_of(await ari.delete("/channels/hc")) == (404, "Channel not found")
        assert error_of(await ari.delete("/channels/never", params={"reason": "sideways"})) == (404, "Channel not found")
