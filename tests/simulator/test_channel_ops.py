"""Operations on an existing channel: state, indications, flags, DTMF, variables, continue,
move, redirect, snoop, RTP statistics; and the 404/409/412 each one can give."""
import asyncio

import pytest

from .helpers import EventStream, aclient, created_channel, dialplan_channel, error_of, stasis_channel

# (method, path suffix, params) for every operation on /channels/{id}.
OPERATIONS = [
    ("POST", "/answer", None), ("POST", "/ring", None), ("DELETE", "/ring", None), ("POST", "/progress", None),
    ("POST", "/hold", None), ("DELETE", "/hold", None), ("POST", "/mute", {"direction": "both"}),
    ("DELETE", "/mute", {"direction": "both"}), ("POST", "/moh", {"mohClass": "default"}), ("DELETE", "/moh", None),
    ("POST", "/silence", None), ("DELETE", "/silence", None), ("POST", "/play", {"media": "sound:hello-world"}),
    ("POST", "/play/pb-x", {"media": "sound:hello-world"}), ("POST", "/record", {"name": "r", "format": "wav"}),
    ("POST", "/dtmf", {"dtmf": "1"}), ("POST", "/continue", None), ("POST", "/move", {"app": "dashboard2"}),
    ("POST", "/redirect", {"endpoint": "Local/100@default"}), ("POST", "/dial", None),
    ("POST", "/variable", {"variable": "FOO", "value": "bar"}), ("DELETE", "", None), ("GET", "", None),
    ("GET", "/rtp_statistics", None), ("POST", "/transfer_progress", {"states": "channel_progress"}),
]
PROVIDED = {("GET", "/variable"), ("POST", "/snoop")}

STASIS_ONLY = [op for op in OPERATIONS if op[1] not in ("", "/rtp_statistics")]
STATE_CHECKED = [op for op in STASIS_ONLY if op[1] not in ("/move", "/dial", "/variable", "/record",
                                                             "/transfer_progress")]


@pytest.mark.parametrize("method, suffix, params", OPERATIONS + [("GET", "/variable", {"variable": "FOO"}),
                                                                 ("POST", "/snoop", {"spy": "both", "app": "x"})])
async def test_unknown_channel_is_404(sim, method, suffix, params):
    async with aclient(sim) as ari:
        response = await ari.request(method, "/channels/does-not-exist" + suffix, params=params)
        expected = "Provided channel was not found" if (method, suffix) in PROVIDED else "Channel not found"
        assert error_of(response) == (404, expected)


@pytest.mark.parametrize("method, suffix, params", STASIS_ONLY)
async def test_dialplan_channel_is_409_not_in_stasis(sim, method, suffix, params):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await dialplan_channel(ari, events, channel_id="dp")
        response = await ari.request(method, "/channels/dp" + suffix, params=params)
        if suffix == "" and method == "DELETE":
            assert response.status_code == 204
        elif suffix == "":
            assert response.status_code == 200
        else:
            assert error_of(response) == (409, "Channel not in Stasis application")


@pytest.mark.parametrize("method, suffix, params", STATE_CHECKED)
async def test_created_channel_not_dialled_is_412(sim, method, suffix, params):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await created_channel(ari, events, channel_id="down")
        response = await ari.request(method, "/channels/down" + suffix, params=params)
        assert error_of(response) == (412, "Channel in invalid state")


async def test_reading_variables_and_snooping_work_on_any_channel(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await dialplan_channel(ari, events, channel_id="dp")
        assert (await ari.get("/channels/dp/variable", params={"variable": "CHANNEL(state)"})).json() == {"value": "Up"}
        assert error_of(await ari.get("/channels/dp/variable", params={"variable": "NONSTASIS"})) == (
            404, "Provided variable was not found")
        snoop = await ari.post("/channels/dp/snoop", params={"spy": "both", "app": "dashboard"})
        assert snoop.status_code == 200
        assert snoop.json()["name"] == "Snoop/dp-00000000" or snoop.json()["name"].startswith("Snoop/dp-")
        assert error_of(await ari.get("/channels/dp/rtp_statistics")) == (403, "Unsupported channel type")


async def test_answer_ring_and_progress_on_a_ringing_inbound_channel(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await ari.post("/channels", params={"endpoint": "Local/201@default", "extension": "103", "context": "default",
                                            "channelId": "dialer", "otherChannelId": "ringing"})
        start = await events.next("StasisStart", channel="ringing")
        assert start["channel"]["state"] == "Ring" and start["args"] == ["ringing"]
        assert (await ari.post("/channels/ringing/ring")).status_code == 204
        await events.next("Dial", channel="dialer", dialstatus="RINGING")
        assert (await ari.get("/channels/dialer")).json()["state"] == "Ringing"
        assert (await ari.delete("/channels/ringing/ring")).status_code == 204
        assert (await ari.post("/channels/ringing/progress")).status_code == 204
        await events.next("Dial", channel="dialer", dialstatus="PROGRESS")
        for method in ("post", "delete"):
            assert (await getattr(ari, method)("/channels/ringing/hold")).status_code == 204
        assert (await ari.post("/channels/ringing/answer")).status_code == 204
        up = await events.next("ChannelStateChange", channel="ringing")
        far_end_up = await events.next("ChannelStateChange", channel="dialer")
        assert up["channel"]["state"] == far_end_up["channel"]["state"] == "Up"
        await events.next("Dial", channel="dialer", dialstatus="ANSWER")
        await events.next("ChannelDialplan", channel="dialer", dialplan_app="NoOp")
        assert (await ari.get("/channels/ringing")).json()["state"] == "Up"
        # Answering, ringing and stopping the ring on an Up channel are accepted and do nothing.
        before = len(events.events)
        for method, path in (("post", "answer"), ("post", "ring"), ("delete", "ring")):
            assert (await getattr(ari, method)(f"/channels/ringing/{path}")).status_code == 204
        await asyncio.sleep(0.1)
        assert [e for e in events.events[before:] if e["type"] != "DeviceStateChanged"] == []


async def test_answer_waits_for_a_running_playback(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await ari.post("/channels", params={"endpoint": "Local/201@default", "extension": "103",
                                            "channelId": "d2", "otherChannelId": "r2"})
        await events.next("StasisStart", channel="r2")
        playback = (await ari.post("/channels/r2/play", params={"media": "tone:ring"})).json()
        answer = asyncio.create_task(ari.post("/channels/r2/answer"))
        await asyncio.sleep(0.3)
        assert not answer.done()
        assert (await ari.get("/channels/r2")).json()["state"] == "Ring"
        assert (await ari.delete(f"/playbacks/{playback['id']}")).status_code == 204
        assert (await asyncio.wait_for(answer, 2)).status_code == 204
        assert (await ari.get("/channels/r2")).json()["state"] == "Up"


async def test_hold_mute_moh_silence_raise_no_event(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="ops")
        await events.next("ChannelDialplan", dialplan_app="Echo")
        await events.quiet(0.05)
        calls = [("post", "hold", None), ("post", "hold", None), ("delete", "hold", None), ("delete", "hold", None),
                 ("post", "moh", {"mohClass": "default"}), ("post", "moh", None), ("delete", "moh", None),
                 ("post", "moh", {"mohClass": "nosuchclass"}), ("delete", "moh", None),
                 ("post", "silence", None), ("post", "silence", None), ("delete", "silence", None),
                 ("delete", "silence", None)]
        for direction in ("in", "out", "both"):
            calls += [("post", "mute", {"direction": direction}), ("delete", "mute", {"direction": direction})]
        for method, path, params in calls:
            response = await ari.request(method.upper(), f"/channels/ops/{path}", params=params)
            assert response.status_code == 204, (method, path, response.text)
        assert await events.quiet(0.2) == []


@pytest.mark.parametrize("method", ["POST", "DELETE"])
@pytest.mark.parametrize("direction, status, message", [
    ("in", 204, None), ("out", 204, None), ("both", 204, None), (None, 400, "Direction is required"),
    ("", 400, "Direction is required"), ("sideways", 400, "Invalid direction specified"),
    ("BOTH", 400, "Invalid direction specified"),
])
async def test_mute_direction_values(sim, method, direction, status, message):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="m")
        params = None if direction is None else {"direction": direction}
        response = await ari.request(method, "/channels/m/mute", params=params)
        assert response.status_code == status
        if message:
            assert response.json() == {"message": message}


async def test_dtmf_is_echoed_by_extension_101_on_both_halves(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="echo", otherChannelId="echo-2")
        # Echo() starts once Answer()'s media wait is over; digits before that are not echoed.
        await events.next("ChannelDialplan", channel="echo-2", dialplan_app="Echo")
        assert (await ari.post("/channels/echo/dtmf", params={"dtmf": "12"})).status_code == 204
        received = []
        for _ in range(4):
            event = await events.next("ChannelDtmfReceived")
            received.append((event["channel"]["id"], event["digit"], event["duration_ms"]))
        assert received == [("echo-2", "1", 100), ("echo", "1", 100), ("echo-2", "2", 100), ("echo", "2", 100)]
        await ari.post("/channels/echo/dtmf", params={"dtmf": "5", "before": "10", "between": "50",
                                                      "duration": "200", "after": "10"})
        event = await events.next("ChannelDtmfReceived", channel="echo")
        assert (event["digit"], event["duration_ms"]) == ("5", 200)
        assert error_of(await ari.post("/channels/echo/dtmf")) == (400, "DTMF is required")


async def test_hash_ends_the_echo_and_the_call(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="e2", otherChannelId="e2-b")
        await events.next("ChannelDialplan", channel="e2-b", dialplan_app="Echo")
        await ari.post("/channels/e2/dtmf", params={"dtmf": "#"})
        destroyed = await events.next("ChannelDestroyed", channel="e2", timeout=2)
        assert destroyed["cause"] == 16


async def test_variables_and_dialplan_functions(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="v")
        assert (await ari.post("/channels/v/variable", params={"variable": "CALLERID(name)",
                                                               "value": "Dashboard User"})).status_code == 204
        caller_id = await events.next("ChannelCallerId", channel="v")
        assert caller_id["channel"]["caller"]["name"] == "Dashboard User"
        assert (caller_id["caller_presentation"], caller_id["caller_presentation_txt"]) == (
            0, "Presentation Allowed, Not Screened")
        assert (await ari.get("/channels/v/variable", params={"variable": "CALLERID(name)"})).json() == {
            "value": "Dashboard User"}
        await ari.post("/channels/v/variable", params={"variable": "DASH_CUSTOM", "value": "hello world"})
        varset = await events.next("ChannelVarset", channel="v", variable="DASH_CUSTOM")
        assert varset["value"] == "hello world"
        assert (await ari.get("/channels/v/variable", params={"variable": "DASH_CUSTOM"})).json() == {
            "value": "hello world"}
        await ari.post("/channels/v/variable", params={"variable": "DASH_CUSTOM"})
        assert error_of(await ari.get("/channels/v/variable", params={"variable": "DASH_CUSTOM"})) == (
            404, "Provided variable was not found")
        await ari.post("/channels/v/variable", params={"variable": "CALLERID(num)", "value": "5551234",
                                                       "report_events": "true"})
        snapshot = (await ari.get("/channels/v")).json()
        assert snapshot["caller"] == {"name": "Dashboard User", "number": "5551234"}
        assert snapshot["channelvars"] == {"CALLERID(num)": "5551234"}
        assert (await ari.get("/channels/v/variable", params={"variable": "CHANNEL(state)"})).json() == {"value": "Up"}
        assert error_of(await ari.get("/channels/v/variable", params={"variable": "NOSUCHFUNC(x)"})) == (
            500, "Unable to read provided function")
        assert error_of(await ari.post("/channels/v/variable", params={"variable": "NOSUCHFUNC(x)", "value": "1"})) == (
            400, "Failed to execute function")
        for method in ("get", "post"):
            assert error_of(await getattr(ari, method)("/channels/v/variable")) == (400, "Variable name is required")
        assert error_of(await ari.get("/channels/unknown/variable")) == (400, "Variable name is required")
        await ari.post("/channels/v/variables", json={"variables": {"MULTI_A": "1", "MULTI_B": "2"}})
        both = await ari.get("/channels/v/variables", params={"variables": "MULTI_A,MULTI_B"})
        assert both.json() == {"variables": {"MULTI_A": "1", "MULTI_B": "2"}}
        assert error_of(await ari.get("/channels/v/variables", params={"variables": "MULTI_A,NOPE"})) == (
            404, "Provided variable was not found")


async def test_continue_in_dialplan(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, channel_id="c1")
        assert error_of(await ari.post("/channels/c1/continue", params={"context": "default", "extension": "300",
                                                                        "label": "nolabel"})) == (
            404, "Requested label can not be found")
        assert (await ari.post("/channels/c1/continue", params={"context": "default", "extension": "300",
                                                                "priority": "1"})).status_code == 204
        await events.next("StasisEnd", channel="c1")
        noop = await events.next("ChannelDialplan", channel="c1")
        assert (noop["dialplan_app"], noop["channel"]["dialplan"]["exten"]) == ("NoOp", "300")
        await events.next("ChannelDialplan", channel="c1", dialplan_app="Wait", timeout=2)
        assert error_of(await ari.post("/channels/c1/hold")) == (409, "Channel not in Stasis application")
        # No parameters: the next priority of where the channel is.
        await stasis_channel(ari, events, channel_id="c2")
        await ari.post("/channels/c2/continue")
        answer = await events.next("ChannelDialplan", channel="c2")
        assert (answer["dialplan_app"], answer["channel"]["dialplan"]["priority"]) == ("Answer", 2)
        # Back into Stasis through extension 200, then on to its Hangup().
        await stasis_channel(ari, events, channel_id="c3")
        await ari.post("/channels/c3/continue", params={"context": "default", "extension": "200"})
        again = await events.next("StasisStart", channel="c3")
        assert again["args"] == ["from-dialplan"]
        await ari.post("/channels/c3/continue")
        left = await events.next("ChannelDialplan", channel="c3", dialplan_app="NoOp")
        assert left["dialplan_app_data"] == "left Stasis: STASISSTATUS=SUCCESS"
        await events.next("ChannelDestroyed", channel="c3")
        # Nowhere to go: the channel ends.
        await stasis_channel(ari, events, channel_id="c4")
        await ari.post("/channels/c4/continue", params={"context": "nosuchcontext", "extension": "1"})
        gone = await events.next("ChannelDestroyed", channel="c4")
        assert gone["cause"] == 0


async def test_move_between_apps(sim):
    async with EventStream(sim) as events, EventStream(sim, apps="dashboard2", subscribe_all=False) as second, \
            aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="mv")
        assert (await ari.post("/channels/mv/move", params={"app": "dashboard2", "appArgs": "moved,x"})).status_code == 204
        await events.next("StasisEnd", channel="mv")
        start = await second.next("StasisStart", channel="mv")
        assert start["args"] == ["moved", "x"] and start["application"] == "dashboard2"
        assert start["channel"]["dialplan"]["app_data"] == "dashboard"
        assert "StasisStart" not in [e["type"] for e in events.events[events.cursor:]]
        assert (await ari.post("/channels/mv/hold")).status_code == 204
        await ari.post("/channels/mv/move", params={"app": "dashboard"})
        await second.next("StasisEnd", channel="mv")
        back = await events.next("StasisStart", channel="mv")
        assert back["args"] == []
        await ari.post("/channels/mv/move", params={"app": "no-such-app"})
        failed = await events.next("ApplicationMoveFailed", channel="mv")
        assert (failed["destination"], failed["args"]) == ("no-such-app", [])
        assert (await ari.get("/channels/mv")).json()["dialplan"]["app_name"] == "Stasis"
        assert error_of(await ari.post("/channels/mv/move")) == (400, "Required parameter 'app' not provided.")


@pytest.mark.parametrize("endpoint, status, message", [
    ("Local/103@default", 204, None),
    ("SIP/alice", 422, "Endpoint technology 'SIP' does not match channel technology 'Local'"),
    (None, 400, "Required parameter 'endpoint' not provided."),
    ("Local", 422, "Endpoint parameter 'Local' does not contain tech/resource"),
    ("/alice", 422, "Endpoint parameter '/alice' does not contain tech/resource"),
    ("Local/", 422, "No resource provided in endpoint parameter 'Local/'"),
])
async def test_redirect(sim, endpoint, status, message):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="rd")
        response = await ari.post("/channels/rd/redirect", params={"endpoint": endpoint} if endpoint else None)
        assert response.status_code == status
        if message:
            assert response.json() == {"message": message}
        await asyncio.sleep(0.05)
        # Redirecting a Local channel is accepted and changes nothing.
        assert (await ari.get("/channels/rd")).json()["dialplan"]["app_name"] == "Stasis"


async def test_redirect_of_a_phone_ends_its_call(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, endpoint="PJSIP/dave", channel_id="ph")
        assert (await ari.post("/channels/ph/redirect", params={"endpoint": "PJSIP/erin"})).status_code == 204
        destroyed = await events.next("ChannelDestroyed", channel="ph")
        assert destroyed["cause"] == 16


@pytest.mark.parametrize("spy, whisper, status, message", [
    ("both", None, 200, None), ("in", None, 200, None), ("out", None, 200, None), ("none", "both", 200, None),
    (None, "in", 200, None), (None, "out", 200, None),
    ("sideways", None, 400, "Invalid direction specified for spy"),
    (None, "sideways", 400, "Invalid direction specified for whisper"),
    ("none", "none", 400, "Direction must be specified for at least spy or whisper"),
    (None, None, 400, "Direction must be specified for at least spy or whisper"),
])
async def test_snoop_directions(sim, spy, whisper, status, message):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="t")
        params = {"app": "dashboard"}
        if spy is not None:
            params["spy"] = spy
        if whisper is not None:
            params["whisper"] = whisper
        response = await ari.post("/channels/t/snoop", params=params)
        assert response.status_code == status
        if message:
            assert response.json() == {"message": message}


async def test_snoop_channels_enter_the_app_and_end_with_their_target(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="tgt")
        snoop = await ari.post("/channels/tgt/snoop", params={"spy": "both", "app": "dashboard", "appArgs": "snooping"})
        body = snoop.json()
        assert body["state"] == "Up" and body["name"].startswith("Snoop/tgt-")
        assert body["dialplan"] == {"context": "default", "exten": "s", "priority": 1, "app_name": "", "app_data": ""}
        start = await events.next("StasisStart", channel=body["id"])
        assert start["args"] == ["snooping"]
        assert events.types(body["id"]) == ["ChannelCreated", "ChannelDialplan", "ChannelVarset", "StasisStart"]
        with_id = await ari.post("/channels/tgt/snoop/snoop-1", params={"whisper": "out", "app": "dashboard"})
        assert with_id.json()["id"] == "snoop-1"
        assert error_of(await ari.post("/channels/tgt/snoop/snoop-1", params={"spy": "in", "app": "dashboard"})) == (
            500, "Snoop channel could not be created")
        assert error_of(await ari.post("/channels/tgt/snoop", params={"spy": "in"})) == (
            400, "Application name is required")
        await events.next("StasisStart", channel="snoop-1")
        assert (await ari.delete("/channels/snoop-1")).status_code == 204
        request = await events.next("ChannelHangupRequest", channel="snoop-1")
        assert (request["cause"], request["soft"]) == (32, True)
        await ari.delete("/channels/tgt")
        end = await events.next("StasisEnd", channel=body["id"])
        assert end["channel"]["name"] == body["name"]
        destroyed = await events.next("ChannelDestroyed", channel=body["id"])
        assert destroyed["cause"] == 0


async def test_rtp_statistics(fast):
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, endpoint="PJSIP/alice", channel_id="rtp")
        stats = (await ari.get("/channels/rtp/rtp_statistics")).json()
        assert stats["channel_uniqueid"] == "rtp"
        assert stats["txoctetcount"] == stats["txcount"] * 160
        await stasis_channel(ari, events, channel_id="loc")
        assert error_of(await ari.get("/channels/loc/rtp_statistics")) == (403, "Unsupported channel type")


async def test_transfer_progress_states(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="tp")
        for state in ("channel_progress", "channel_answered", "channel_unavailable", "channel_declined"):
            assert (await ari.post("/channels/tp/transfer_progress", params={"states": state})).status_code == 204
        assert error_of(await ari.post("/channels/tp/transfer_progress", params={"states": "weird"})) == (
            400, "Invalid states value")


async def test_operations_on_a_channel_that_just_hung_up(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await stasis_channel(ari, events, channel_id="dead")
        await ari.delete("/channels/dead")
        await events.next("ChannelDestroyed", channel="dead")
        for method, suffix, params in OPERATIONS:
            response = await ari.request(method, "/channels/dead" + suffix, params=params)
            assert error_of(response) == (404, "Channel not found"), (method, suffix)
