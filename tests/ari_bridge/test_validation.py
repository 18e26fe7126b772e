"""Every validation rule refuses before any request: the simulator's request log stays empty."""
from __future__ import annotations

from typing import Any

import pytest

from ari_bridge import AriClient, ValidationError
from ari_bridge import validation as v
from ari_bridge.operations import OPERATIONS

from .conftest import APP, sim_requests

LONG = "x" * 150
CH = "some-channel"
ORIGINATE = {"endpoint": "Local/100@default"}

# (client method, positional args, keyword args, the parameter the error must name)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    # required
    ("originate", (), {"endpoint": None, "app": APP}, "endpoint"),
    ("create", (), {"endpoint": "Local/100@default", "app": None}, "app"),
    ("get", (None,), {}, "channel_id"),
    ("move", (CH,), {"app": None}, "app"),
    ("redirect", (CH,), {"endpoint": None}, "endpoint"),
    ("send_dtmf", (CH,), {"dtmf": None}, "dtmf"),
    ("play", (CH,), {"media": None}, "media"),
    ("play_with_id", (CH,), {"playback_id": None, "media": "sound:beep"}, "playback_id"),
    ("record", (CH,), {"name": None, "format": "wav"}, "name"),
    ("record", (CH,), {"name": "r", "format": ""}, "format"),
    ("get_channel_var", (CH,), {"variable": None}, "variable"),
    ("set_channel_var", (CH,), {"variable": " "}, "variable"),
    ("snoop_channel", (CH,), {"app": None, "spy": "both"}, "app"),
    ("snoop_channel_with_id", (CH,), {"snoop_id": None, "app": APP, "spy": "in"}, "snoop_id"),
    ("external_media", (), {"app": None, "external_host": "127.0.0.1:1", "format": "ulaw"}, "app"),
    ("external_media", (), {"app": APP, "external_host": None, "format": "ulaw"}, "external_host"),
    ("external_media", (), {"app": APP, "external_host": "127.0.0.1:1", "format": None}, "format"),
    ("add_channel", ("b1",), {"channel": None}, "channel"),
    # allowed values
    ("hangup", (CH,), {"reason": "bogus"}, "reason"),
    ("mute", (CH,), {"direction": "sideways"}, "direction"),
    ("unmute", (CH,), {"direction": "up"}, "direction"),
    ("snoop_channel", (CH,), {"app": APP, "spy": "sideways"}, "spy"),
    ("snoop_channel_with_id", (CH,), {"snoop_id": "s", "app": APP, "whisper": "loud"}, "whisper"),
    ("record", (CH,), {"name": "r", "format": "wav", "if_exists": "maybe"}, "if_exists"),
    ("record", (CH,), {"name": "r", "format": "wav", "terminate_on": "x"}, "terminate_on"),
    ("external_media", (), {"app": APP, "external_host": "h:1", "format": "ulaw", "encapsulation": "bogus"},
     "encapsulation"),
    ("external_media", (), {"app": APP, "external_host": "h:1", "format": "ulaw", "transport": "sctp"}, "transport"),
    ("external_media", (), {"app": APP, "external_host": "h:1", "format": "ulaw", "connection_type": "server"},
     "connection_type"),
    ("external_media", (), {"app": APP, "external_host": "h:1", "format": "ulaw", "direction": "in"}, "direction"),
    ("create_bridge", (), {"type": "mixing,weird"}, "type"),
    # ranges and types
    ("record", (CH,), {"name": "r", "format": "wav", "max_duration_seconds": -5}, "max_duration_seconds"),
    ("record", (CH,), {"name": "r", "format": "wav", "max_silence_seconds": -1}, "max_silence_seconds"),
    ("record", (CH,), {"name": "r", "format": "wav", "beep": "yes"}, "beep"),
    ("dial", (CH,), {"timeout": -1}, "timeout"),
    ("originate", (), {**ORIGINATE, "app": APP, "timeout": -2}, "timeout"),
    ("originate", (), {**ORIGINATE, "app": APP, "timeout": "abc"}, "timeout"),
    ("originate", (), {**ORIGINATE, "extension": "100", "priority": True}, "priority"),
    ("play", (CH,), {"media": "sound:beep", "skipms": -1}, "skipms"),
    ("play", (CH,), {"media": "sound:beep", "offsetms": -1}, "offsetms"),
    ("send_dtmf", (CH,), {"dtmf": "1", "before": -1}, "before"),
    ("send_dtmf", (CH,), {"dtmf": "1", "between": -1}, "between"),
    ("send_dtmf", (CH,), {"dtmf": "1", "duration": -1}, "duration"),
    ("send_dtmf", (CH,), {"dtmf": "1", "after": -1}, "after"),
    # mutual exclusions and what Asterisk needs together
    ("originate", (), {**ORIGINATE, "app": APP, "extension": "100"}, "extension"),
    ("originate", (), {**ORIGINATE, "app": APP, "context": "default"}, "context"),
    ("originate", (), {**ORIGINATE, "app": APP, "priority": 1}, "priority"),
    ("originate", (), {**ORIGINATE, "app": APP, "label": "l"}, "label"),
    ("originate", (), {**ORIGINATE, "extension": "100", "app_args": "a"}, "app_args"),
    ("originate", (), {**ORIGINATE}, "app"),
    ("originate", (), {**ORIGINATE, "context": "default"}, "app"),
    ("originate", (), {**ORIGINATE, "app": APP, "originator": "x", "formats": "ulaw"}, "formats"),
    ("originate_with_id", ("id-1",), {**ORIGINATE, "app": APP, "extension": "100"}, "extension"),
    ("originate_with_id", ("id-1",), {**ORIGINATE}, "app"),
    ("create", (), {**ORIGINATE, "app": APP, "originator": "x", "formats": "ulaw"}, "formats"),
    ("hangup", (CH,), {"reason": "normal", "reason_code": "16"}, "reason_code"),
    ("hangup", (CH,), {"reason_code": "busy"}, "reason_code"),
    ("snoop_channel", (CH,), {"app": APP}, "spy"),
    ("snoop_channel", (CH,), {"app": APP, "spy": "none", "whisper": "none"}, "spy"),
    ("external_media", (), {"app": APP, "external_host": "h:1", "format": "ulaw", "transport": "tcp"}, "transport"),
    ("external_media", (), {"app": APP, "external_host": "h:1", "format": "slin", "encapsulation": "audiosocket",
                            "transport": "tcp"}, "data"),
    ("external_media", (), {"app": APP, "external_host": "h:1", "format": "slin", "encapsulation": "audiosocket",
                            "data": "u"}, "transport"),
    # DTMF digits
    ("send_dtmf", (CH,), {"dtmf": "12w"}, "dtmf"),
    ("send_dtmf", (CH,), {"dtmf": ""}, "dtmf"),
    ("send_dtmf", (CH,), {"dtmf": "1 2"}, "dtmf"),
    # media URIs
    ("play", (CH,), {"media": "bogus:thing"}, "media"),
    ("play", (CH,), {"media": "hello-world"}, "media"),
    ("play", (CH,), {"media": "sound:"}, "media"),
    ("play", (CH,), {"media": "sound:beep,,digits:1"}, "media"),
    ("play", (CH,), {"media": ""}, "media"),
    ("play", (CH,), {"media": ["sound:beep", 5]}, "media"),
    ("play_with_id", (CH,), {"playback_id": "p", "media": "tone:"}, "media"),
    # ids
    ("originate", (), {**ORIGINATE, "app": APP, "channel_id": LONG}, "channel_id"),
    ("originate", (), {**ORIGINATE, "app": APP, "other_channel_id": LONG}, "other_channel_id"),
    ("originate_with_id", (LONG,), {**ORIGINATE, "app": APP}, "channel_id"),
    ("create", (), {**ORIGINATE, "app": APP, "channel_id": ""}, "channel_id"),
    ("get", (LONG,), {}, "channel_id"),
    ("hold", ("..",), {}, "channel_id"),
    ("hold", (".",), {}, "channel_id"),
    ("hold", ("",), {}, "channel_id"),
    ("hold", (5,), {}, "channel_id"),
    ("snoop_channel", (CH,), {"app": APP, "spy": "in", "snoop_id": LONG}, "snoop_id"),
    ("play", (CH,), {"media": "sound:beep", "playback_id": LONG}, "playback_id"),
    ("dial", (CH,), {"caller": LONG}, "caller"),
    ("external_media", (), {"app": APP, "external_host": "h:1", "format": "ulaw", "channel_id": LONG}, "channel_id"),
    ("get_bridge", ("..",), {}, "bridge_id"),
    # variables
    ("originate", (), {**ORIGINATE, "app": APP, "variables": {"FOO": 5}}, "variables"),
    ("originate", (), {**ORIGINATE, "app": APP, "variables": {"": "x"}}, "variables"),
    ("create", (), {**ORIGINATE, "app": APP, "variables": ["FOO=1"]}, "variables"),
    ("external_media", (), {"app": APP, "external_host": "h:1", "format": "ulaw", "variables": {1: "x"}},
     "variables"),
    # endpoints and recording names
    ("originate", (), {"endpoint": "nonsense", "app": APP}, "endpoint"),
    ("originate", (), {"endpoint": "Local/", "app": APP}, "endpoint"),
    ("redirect", (CH,), {"endpoint": "Local"}, "endpoint"),
    ("record", (CH,), {"name": "../escape", "format": "wav"}, "name"),
    ("record", (CH,), {"name": "/etc/passwd", "format": "wav"}, "name"),
    # integers are integers, within ARI's range (priority: a dialplan priority starts at 1)
    ("send_dtmf", (CH,), {"dtmf": "1", "between": 1.5}, "between"),
    ("send_dtmf", (CH,), {"dtmf": "1", "duration": 10**30}, "duration"),
    ("send_dtmf", (CH,), {"dtmf": "1", "before": 2**31}, "before"),
    ("send_dtmf", (CH,), {"dtmf": "1", "after": "100"}, "after"),
    ("continue_in_dialplan", (CH,), {"priority": -1}, "priority"),
    ("continue_in_dialplan", (CH,), {"priority": 0}, "priority"),
    ("originate", (), {**ORIGINATE, "extension": "100", "priority": 1.5}, "priority"),
    ("originate", (), {**ORIGINATE, "extension": "100", "priority": 2.0}, "priority"),
    ("originate", (), {**ORIGINATE, "app": APP, "timeout": 2**31}, "timeout"),
    ("dial", (CH,), {"timeout": 0.5}, "timeout"),
    ("play", (CH,), {"media": "sound:beep", "skipms": float("inf")}, "skipms"),
    ("hangup", (CH,), {"reason_code": "128"}, "reason_code"),
    ("hangup", (CH,), {"reason_code": "\u0661\u0666"}, "reason_code"),  # Arabic-Indic digits
    # media that climbs out of the sounds or recordings folder
    ("play", (CH,), {"media": "sound:/etc/passwd"}, "media"),
    ("play", (CH,), {"media": "sound:../../../../etc/passwd"}, "media"),
    ("play", (CH,), {"media": "recording:../../etc/passwd"}, "media"),
    ("play", (CH,), {"media": "sound:en/../../secret"}, "media"),
    ("play", (CH,), {"media": "sound:beep,recording:/var/spool/x"}, "media"),
    ("play", (CH,), {"media": "sound:..\\..\\x"}, "media"),
    ("play", (CH,), {"media": "SOUND:beep"}, "media"),
    ("play", (CH,), {"media": "sound:be\nep"}, "media"),
    ("play_with_id", (CH,), {"playback_id": "p", "media": "recording:.."}, "media"),
    ("play", (CH,), {"media": "sound:beep", "lang": "../../../etc"}, "lang"),
    ("record", (CH,), {"name": "r", "format": "wav/../../x"}, "format"),
    ("record", (CH,), {"name": "a/../../b", "format": "wav"}, "name"),
    # endpoints: Tech/resource without separators, spaces or control characters
    ("originate", (), {"endpoint": "PJSIP/alice,PJSIP/bob", "app": APP}, "endpoint"),
    ("originate", (), {"endpoint": "PJSIP/alice&PJSIP/bob", "app": APP}, "endpoint"),
    ("originate", (), {"endpoint": "PJSIP/alice\n", "app": APP}, "endpoint"),
    ("originate", (), {"endpoint": "PJSIP/al\rice", "app": APP}, "endpoint"),
    ("originate", (), {"endpoint": "PJSIP/alice\x00", "app": APP}, "endpoint"),
    ("originate", (), {"endpoint": "PJ SIP/alice", "app": APP}, "endpoint"),
    ("originate", (), {"endpoint": "PJSIP/ali ce", "app": APP}, "endpoint"),
    ("originate", (), {"endpoint": "/alice", "app": APP}, "endpoint"),
    ("originate", (), {"endpoint": "PJSIP/" + "a" * 300, "app": APP}, "endpoint"),
    ("create", (), {"endpoint": "Local/100@default|x", "app": APP}, "endpoint"),
    ("redirect", (CH,), {"endpoint": "PJSIP/bob\t"}, "endpoint"),
    ("external_media", (), {"app": APP, "external_host": "h:1\r\nX: y", "format": "ulaw"}, "external_host"),
    ("external_media", (), {"app": APP, "external_host": "127.0.0.1", "format": "ulaw"}, "external_host"),
    ("external_media", (), {"app": APP, "external_host": "127.0.0.1:70000", "format": "ulaw"}, "external_host"),
    # every string has a cap (Asterisk's own where it has one)
    ("originate", (), {**ORIGINATE, "extension": "1" * 81}, "extension"),
    ("originate", (), {**ORIGINATE, "extension": "100", "context": "c" * 81}, "context"),
    ("originate", (), {**ORIGINATE, "extension": "100", "label": "l" * 81}, "label"),
    ("originate", (), {**ORIGINATE, "app": APP, "caller_id": "x" * 300}, "caller_id"),
    ("originate", (), {**ORIGINATE, "app": "a" * 300}, "app"),
    ("originate", (), {**ORIGINATE, "app": "dashboard,injected"}, "app"),
    ("move", (CH,), {"app": "other app"}, "app"),
    ("snoop_channel", (CH,), {"app": "a|b", "spy": "in"}, "app"),
    ("originate", (), {**ORIGINATE, "app": APP, "app_args": "a" * 5000}, "app_args"),
    ("originate", (), {**ORIGINATE, "app": APP, "formats": "ulaw,sl in16"}, "formats"),
    ("originate", (), {**ORIGINATE, "app": APP, "variables": {"V" * 300: "x"}}, "variables"),
    ("originate", (), {**ORIGINATE, "app": APP, "variables": {"V": "x" * 5000}}, "variables"),
    ("originate", (), {**ORIGINATE, "app": APP, "variables": {f"V{n}": "x" for n in range(200)}}, "variables"),
    ("originate", (), {**ORIGINATE, "app": APP, "variables": {"V": "a\r\nb"}}, "variables"),
    ("start_moh", (CH,), {"moh_class": "m" * 81}, "moh_class"),
    ("set_channel_var", (CH,), {"variable": "V" * 300, "value": "1"}, "variable"),
    ("set_channel_var", (CH,), {"variable": "V", "value": "x" * 5000}, "value"),
    ("set_channel_var", (CH,), {"variable": "V", "value": "a\r\nb"}, "value"),
    ("set_channel_var", (CH,), {"variable": "V", "value": "a\ud800"}, "value"),  # no UTF-8 for it
    ("get_channel_var", (CH,), {"variable": "V\n"}, "variable"),
    ("send_dtmf", (CH,), {"dtmf": "1" * 300}, "dtmf"),
    ("play", (CH,), {"media": "sound:" + "b" * 300}, "media"),
    ("play", (CH,), {"media": ["sound:beep"] * 200}, "media"),
    ("move", (CH,), {"app": APP, "app_args": "a" * 5000}, "app_args"),
    ("record", (CH,), {"name": "r" * 300, "format": "wav"}, "name"),
    ("hold", ("a\r\nb",), {}, "channel_id"),
    ("external_media", (), {"app": APP, "external_host": "h:1", "format": "ulaw", "data": "d" * 5000}, "data"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "parameter"), CASES,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CASES)])
async def test_refused_before_any_request(client: AriClient, sim: Any, method: str, args: tuple[Any, ...],
                                          kwargs: dict[str, Any], parameter: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await getattr(client, method)(*args, **kwargs)
    assert caught.value.parameter == parameter
    assert str(caught.value).startswith(f"{parameter}: ")
    assert sim_requests(sim) == []


def test_every_allowed_value_passes() -> None:
    for reason in v.HANGUP_REASONS:
        v.validate("hangup", {"channel_id": CH, "reason": reason})
    for direction in v.MUTE_DIRECTIONS:
        assert v.validate("mute", {"channel_id": CH, "direction": direction})["direction"] == direction
    for spy in v.SNOOP_DIRECTIONS:
        for whisper in v.SNOOP_DIRECTIONS:
            if (spy, whisper) != ("none", "none"):
                v.validate("snoop_channel", {"channel_id": CH, "app": APP, "spy": spy, "whisper": whisper})
    for if_exists in v.RECORD_IF_EXISTS:
        for terminate_on in v.RECORD_TERMINATE_ON:
            v.validate("record", {"channel_id": CH, "name": "r", "format": "wav", "if_exists": if_exists,
                                  "terminate_on": terminate_on, "max_duration_seconds": 0,
                                  "max_silence_seconds": 0, "beep": True})
    for scheme in v.MEDIA_SCHEMES:
        v.validate("play", {"channel_id": CH, "media": f"{scheme}:x"})
    assert v.validate("send_dtmf", {"channel_id": CH, "dtmf": "0123456789ABCDabcd*#,"})["dtmf"]
    v.validate("originate", {**ORIGINATE, "app": APP, "timeout": -1, "channel_id": "x" * 149})
    v.validate("originate", {**ORIGINATE, "extension": "100", "context": "c", "priority": 1, "label": "l"})
    v.validate("dial", {"channel_id": CH, "timeout": 0})
    v.validate("external_media", {"app": APP, "external_host": "h:1", "format": "slin",
                                   "encapsulation": "audiosocket", "transport": "tcp", "data": "u"})


def test_values_are_normalised_for_the_wire() -> None:
    assert v.validate("play", {"channel_id": CH, "media": [" sound:beep ", "digits:1,tone:ring"]})["media"] == \
        "sound:beep,digits:1,tone:ring"
    assert v.validate("add_channel", {"bridge_id": "b", "channel": ["a", "b"]})["channel"] == "a,b"
    assert v.validate("unmute", {"channel_id": CH}) == {"channel_id": CH, "direction": "both"}
    with pytest.raises(ValidationError) as caught:
        v.validate("hold", {"channel_id": CH, "direction": "in"})
    assert caught.value.parameter == "direction"


def test_the_operation_table_covers_the_31_channel_operations() -> None:
    spec_names = {op.spec for op in OPERATIONS.values() if op.spec}
    assert len(spec_names) == 31
    assert {"list", "originate", "create", "get", "originateWithId", "hangup", "continueInDialplan", "move",
            "redirect", "answer", "ring", "ringStop", "sendDTMF", "mute", "unmute", "hold", "unhold",
            "startMoh", "stopMoh", "startSilence", "stopSilence", "play", "playWithId", "record",
            "getChannelVar", "setChannelVar", "snoopChannel", "snoopChannelWithId", "dial", "rtpstatistics",
            "externalMedia"} == spec_names
    for op in OPERATIONS.values():
        assert hasattr(AriClient, op.name), op.name


HUGE = "x" * 2_000_000


@pytest.mark.parametrize(("operation", "params"), [
    ("hangup", {"channel_id": CH, "reason": HUGE}),
    ("hangup", {"channel_id": CH, "reason_code": HUGE}),
    ("play", {"channel_id": CH, "media": HUGE}),
    ("play", {"channel_id": CH, "media": "sound:" + HUGE}),
    ("play", {"channel_id": CH, "media": "bogus:" + HUGE}),
    ("originate", {"endpoint": HUGE, "app": APP}),
    ("originate", {**ORIGINATE, "app": APP, "variables": {HUGE: "x"}}),
    ("create_bridge", {"type": HUGE}),
    ("send_dtmf", {"channel_id": CH, "dtmf": "w" * 100_000}),
    ("hold", {"channel_id": CH, HUGE: 1}),
])
def test_a_refusal_quotes_at_most_a_short_prefix_of_the_value(operation: str, params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        v.validate(operation, params)
    assert len(str(caught.value)) < 300
    assert len(caught.value.parameter) <= 64
