"""Models and events parsed from real ARI JSON (the recorded stream), tolerant both ways."""
from __future__ import annotations

import copy
import dataclasses
from datetime import datetime, timezone

import orjson
import pytest

from ari_bridge import events as ev
from ari_bridge.models import (
    AsteriskInfo,
    Bridge,
    CallerID,
    Channel,
    DialplanCEP,
    LiveRecording,
    Playback,
    RTPstat,
    Variable,
    channel_from_json,
    epoch,
    parse_time,
)

from .conftest import recorded_events

RECORDED = [row["event"] for row in recorded_events(ws=None)]


def test_every_recorded_event_of_a_known_type_parses_to_its_class() -> None:
    seen = set()
    for data in RECORDED:
        event = ev.parse_event(data)
        if data["type"] in ev.EVENT_TYPES:
            assert type(event).__name__ == data["type"]
            seen.add(data["type"])
        else:
            assert isinstance(event, ev.UnknownEvent)
            assert event.raw == data
        assert (event.type, event.application, event.timestamp) == (
            data["type"], data["application"], data["timestamp"])
    # The recording holds 23 of the typed kinds (no hold, recording failure, endpoint or peer event,
    # bridge/app event gaps).
    assert len(seen) == 23


def test_fields_come_from_the_json() -> None:
    by_type = {}
    for data in RECORDED:
        by_type.setdefault(data["type"], data)

    destroyed = ev.parse_event(by_type["ChannelDestroyed"])
    assert isinstance(destroyed, ev.ChannelDestroyed)
    assert (destroyed.cause, destroyed.cause_txt) == (16, "Normal Clearing")

    start = ev.parse_event(by_type["StasisStart"])
    assert isinstance(start, ev.StasisStart)
    assert start.args == ("arg1", "arg2") and start.replace_channel is None
    assert start.channel.dialplan == DialplanCEP("default", "100", 1, "Stasis", "dashboard,arg1,arg2")

    dial = ev.parse_event(by_type["Dial"])
    assert isinstance(dial, ev.Dial)
    assert dial.peer.id == by_type["Dial"]["peer"]["id"] and dial.dialstring == "100@default"

    dtmf = ev.parse_event(by_type["ChannelDtmfReceived"])
    assert isinstance(dtmf, ev.ChannelDtmfReceived) and dtmf.digit == "1" and dtmf.duration_ms == 100

    playback = ev.parse_event(by_type["PlaybackContinuing"])
    assert isinstance(playback, ev.PlaybackContinuing)
    assert playback.playback.next_media_uri == "digits:12"
    assert playback.playback.target_channel == "media-a6dd8f6a"

    entered = ev.parse_event(by_type["ChannelEnteredBridge"])
    assert isinstance(entered, ev.ChannelEnteredBridge)
    assert entered.bridge.channels == ("extmedia-e6526811",) and entered.channel is not None

    moved = ev.parse_event(by_type["ApplicationMoveFailed"])
    assert isinstance(moved, ev.ApplicationMoveFailed)
    assert moved.destination == "no-such-app" and moved.args == ()

    hangup = ev.parse_event(by_type["ChannelHangupRequest"])
    assert isinstance(hangup, ev.ChannelHangupRequest) and hangup.cause == 32 and hangup.soft is True

    varset = ev.parse_event(by_type["ChannelVarset"])
    assert isinstance(varset, ev.ChannelVarset) and varset.variable == "STASISSTATUS"

    recording = ev.parse_event(by_type["RecordingFinished"])
    assert isinstance(recording, ev.RecordingFinished)
    assert recording.recording == LiveRecording("test1", "wav", "channel:ops-6faa8900", "done", 0)


def _with_extras(value: object) -> object:
    """The same JSON with an unknown key added to every object (a newer Asterisk), but for
    channelvars, whose keys are the channel's own variables."""
    if isinstance(value, dict):
        out = {k: v if k == "channelvars" else _with_extras(v) for k, v in value.items()}
        out["added_by_a_newer_asterisk"] = {"nested": [1, 2]}
        return out
    if isinstance(value, list):
        return [_with_extras(v) for v in value]
    return value


def test_unknown_fields_are_ignored() -> None:
    for data in RECORDED:
        plain = ev.parse_event(copy.deepcopy(data))
        extended = ev.parse_event(_with_extras(data))
        assert type(extended) is type(plain)
        if not isinstance(plain, ev.UnknownEvent):
            assert extended == plain


def test_missing_optional_fields_take_defaults() -> None:
    event = ev.parse_event({
        "type": "ChannelDestroyed",
        "application": "dashboard",
        "timestamp": "2026-11-26T14:32:41.328+0000",
        "channel": {"id": "x"},
    })
    assert isinstance(event, ev.ChannelDestroyed)
    assert event.asterisk_id is None and event.cause == 0 and event.cause_txt == ""
    assert event.channel == Channel(id="x")
    assert event.channel.caller == CallerID() and event.channel.dialplan == DialplanCEP()

    varset = ev.parse_event({"type": "ChannelVarset", "application": "a", "timestamp": "t",
                             "variable": "G", "value": "1"})
    assert isinstance(varset, ev.ChannelVarset) and varset.channel is None

    entered = ev.parse_event({"type": "ChannelEnteredBridge", "application": "a", "timestamp": "t",
                              "bridge": {"id": "b"}})
    assert isinstance(entered, ev.ChannelEnteredBridge) and entered.channel is None
    assert entered.bridge == Bridge(id="b")


def test_channel_optional_fields() -> None:
    data = dict(RECORDED[0]["channel"], channelvars={"A": "1"}, caller_rdnis="100", tenantid="t1")
    channel = channel_from_json(data)
    assert dict(channel.channelvars or {}) == {"A": "1"}
    assert (channel.caller_rdnis, channel.tenantid) == ("100", "t1")
    assert channel_from_json(channel.to_dict()) == channel
    assert orjson.loads(orjson.dumps(channel.to_dict())) == data


def test_malformed_events_become_unknown_not_errors() -> None:
    missing_channel = ev.parse_event({"type": "StasisStart", "application": "a", "timestamp": "t"})
    assert isinstance(missing_channel, ev.UnknownEvent) and missing_channel.type == "StasisStart"
    not_an_object = ev.loads_event(b"[1, 2]")
    assert isinstance(not_an_object, ev.UnknownEvent)
    no_type = ev.parse_event({"something": 1})
    assert isinstance(no_type, ev.UnknownEvent) and no_type.type == ""
    with pytest.raises(orjson.JSONDecodeError):
        ev.loads_event(b"{not json")


def test_an_unknown_event_keeps_its_channel() -> None:
    data = {"type": "ChannelTalkingStarted", "application": "a", "timestamp": "t",
            "channel": RECORDED[0]["channel"]}
    event = ev.parse_event(data)
    assert isinstance(event, ev.UnknownEvent)
    assert event.channel is not None and event.channel.id == RECORDED[0]["channel"]["id"]


def test_fast_built_instances_are_ordinary_frozen_dataclasses() -> None:
    data = RECORDED[0]["channel"]
    fast = channel_from_json(dict(data))
    slow = Channel(
        id=data["id"], name=data["name"], state=data["state"], protocol_id=data["protocol_id"],
        caller=CallerID(**data["caller"]), connected=CallerID(**data["connected"]),
        accountcode=data["accountcode"], dialplan=DialplanCEP(**data["dialplan"]),
        creationtime=data["creationtime"], language=data["language"],
    )
    assert type(fast) is Channel and fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.state = "Up"  # type: ignore[misc]
    event = ev.parse_event(RECORDED[0])
    assert type(event) is ev.ChannelCreated
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.type = "x"  # type: ignore[misc]
    assert dataclasses.replace(fast, state="Up").state == "Up"


def test_a_changed_snapshot_is_not_served_from_the_cache() -> None:
    data = dict(RECORDED[0]["channel"])
    first = channel_from_json(data)
    assert channel_from_json(dict(data)) is first  # same content: the same instance
    changed = dict(data, state="Up", dialplan=dict(data["dialplan"], exten="999"))
    second = channel_from_json(changed)
    assert second.state == "Up" and second.dialplan.exten == "999"
    assert second.caller is first.caller  # unchanged parts are shared


def test_times() -> None:
    moment = parse_time("2026-11-26T14:26:39.393+0000")
    assert moment == datetime(2026, 11, 26, 14, 26, 39, 393000, tzinfo=timezone.utc)
    assert epoch("2026-11-26T14:26:39.393+0000") == pytest.approx(moment.timestamp())
    assert parse_time("") is None and parse_time("garbage") is None and epoch(None) is None
    assert Channel(id="x", creationtime="2026-11-26T14:26:39.393+0000").created == moment


def test_small_models() -> None:
    assert Variable.from_json({"value": "Up"}) == Variable("Up")
    playback = Playback.from_json({"id": "p", "media_uri": "tone:ring", "target_uri": "bridge:b",
                                   "state": "playing", "language": "en"})
    assert playback.target_channel is None and playback.to_dict()["target_uri"] == "bridge:b"
    rtp = RTPstat.from_json({"channel_uniqueid": "c", "txcount": 5, "rtt": 0.1, "new_field": 1})
    assert (rtp.txcount, rtp.rtt, rtp.rxcount) == (5, 0.1, 0)
    info = AsteriskInfo.from_json({"system": {"version": "20", "entity_id": "e"},
                                   "status": {"startup_time": "s", "last_reload_time": "r"}})
    assert (info.version, info.entity_id, info.startup_time) == ("20", "e", "s")
    assert orjson.dumps(info.to_dict())
