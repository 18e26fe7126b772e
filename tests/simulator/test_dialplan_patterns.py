"""Extension patterns as Asterisk matches them, `${...}` substitution, and the demo contexts
(from-phones, from-trunk, queue) that hand calls to the routing app."""
import random

import pytest

from ari_sim.dialplan import DEFAULT_CONTEXTS, _Context, compile_pattern, demo_contexts, pattern_key
from ari_sim.state import Channel
from ari_sim.testing import running_simulator
from ari_sim.variables import expand, substring

from .helpers import EventStream, aclient


def matched(extensions: dict, exten: str):
    steps = _Context({name: [name] for name in extensions}).match(exten)
    return steps[0] if steps else None


@pytest.mark.parametrize("exten, expected", [
    ("1002", "1002"),           # an exact extension before any pattern
    ("1003", "_1XXX"),          # _1XXX before _X.
    ("234", "_NXX"),            # _NXX before _X.
    ("134", "_X."),             # 1 is not N (2-9), and _1XXX wants four digits
    ("5", None),                # `.` needs at least one more character
    ("55", "_X."),
    ("0049301234", "_00X."),
    ("0301234", "_0X."),
    ("7123", "_[5-7]XXX"),      # a range set, more specific than X
    ("8123", "_X."),
    ("*12", None),              # nothing matches a star first
    ("1-800", "_X."),           # `.` matches anything, dashes too
    ("bob", "_[a-z]!"),         # `!` matches zero or more
    ("b", "_[a-z]!"),
])
def test_the_most_specific_pattern_wins(exten, expected):
    extensions = ("1002", "_1XXX", "_NXX", "_X.", "_00X.", "_0X.", "_[5-7]XXX", "_[a-z]!")
    assert matched(extensions, exten) == expected


def test_patterns_sort_position_by_position_as_asterisk_does():
    # A literal first digit beats a set of four: Asterisk tries `_9X.` before `_[1239]00X`,
    # so 9001 goes out through `_9X.` (why the demo context's outbound pattern is longer).
    assert pattern_key("9X.") < pattern_key("[1239]00X")
    assert matched(("_9X.", "_[1239]00X"), "9001") == "_9X."
    assert matched(("_9XXXXX.", "_[1239]00X"), "9001") == "_[1239]00X"
    assert matched(("_9XXXXX.", "_[1239]00X"), "912345678") == "_9XXXXX."
    # N before Z before X; `.` before `!`; a longer match before its own prefix.
    assert sorted(["X", "Z", "N"], key=pattern_key) == ["N", "Z", "X"]
    assert pattern_key("1.") < pattern_key("1!")
    assert pattern_key("1X") < pattern_key("1")
    # Dashes outside sets are ignored (`_1-800-NXX`), lower-case n/x/z are the same classes.
    assert compile_pattern("1-800-NXX").fullmatch("1800234")
    assert compile_pattern("nxx").fullmatch("234") and not compile_pattern("nxx").fullmatch("134")


def _channel(**fields) -> Channel:
    defaults = dict(id="1.1", name="PJSIP/alice-00000001", tech="PJSIP", resource="alice", creationtime="",
                    exten="0301234567", caller_name="Zoë Ångström", caller_number="+4930123456")
    defaults.update(fields)
    return Channel(**defaults)


@pytest.mark.parametrize("text, expected", [
    ("PJSIP/${EXTEN}", "PJSIP/0301234567"),
    ("PJSIP/trunk/${EXTEN:1}", "PJSIP/trunk/301234567"),
    ("${EXTEN:-4}", "4567"),
    ("${EXTEN:1:3}", "301"),
    ("${EXTEN:0:-2}", "03012345"),
    ("${EXTEN:-3:2}", "56"),
    ("${EXTEN:20}", ""),
    ("${CALLERID(num)} / ${CALLERID(name)}", "+4930123456 / Zoë Ångström"),
    ("${CALLERID(num):3}", "30123456"),
    ("${NOT_SET}x", "x"),
    ("${PHONE_${EXTEN:-4}}", "carol"),             # nested: the inside first, then a global
    ("${CUSTOMER}", "from the channel"),          # a channel variable beats a global
    ("keep ${unterminated", "keep ${unterminated"),
    ("no variables", "no variables"),
])
def test_substitution(text, expected):
    channel = _channel()
    channel.vars["CUSTOMER"] = "from the channel"
    globals_ = {"PHONE_4567": "carol", "CUSTOMER": "global"}
    assert expand(channel, text, globals_) == expected


def test_rand_is_in_its_bounds_and_follows_the_seed():
    channel = _channel()
    draws = [int(expand(channel, "${RAND(5,30)}", None, random.Random(3))) for _ in range(3)]
    assert draws == [int(expand(channel, "${RAND(5,30)}", None, random.Random(3))) for _ in range(3)]
    rng = random.Random(1)
    values = {int(expand(channel, "${RAND(30,5)}", None, rng)) for _ in range(300)}
    assert values <= set(range(5, 31)) and len(values) > 20
    assert substring("abc", "-5") == "abc" and substring("abc", "1:-5") == ""


def test_the_default_context_is_the_capture_pbxs():
    assert sorted(DEFAULT_CONTEXTS["default"]) == sorted(
        ["100", "101", "102", "103", "104", "105", "106", "107", "108", "200", "201", "202", "300", "h"])
    assert set(demo_contexts()) == {"from-phones", "from-trunk", "queue"}


def _stasis_data(events: EventStream, channel: str) -> list[str]:
    return [e["dialplan_app_data"] for e in events.of(channel)
            if e["type"] == "ChannelDialplan" and e["dialplan_app"] == "Stasis"]


# Not "context": that name is pytest-playwright's fixture and would drag the test among the browser tests.
@pytest.mark.parametrize("source, dialplan_context, exten, route", [
    ("PJSIP/alice", "from-phones", "1002", "switchboard,dial,PJSIP/bob,20"),
    ("PJSIP/bob", "from-phones", "9001", "switchboard,dial,PJSIP/admin1,20"),
    ("PJSIP/alice", "from-phones", "0301234567", "switchboard,dial,PJSIP/trunk/301234567,60"),
    ("PJSIP/alice", "from-phones", "915551234567", "switchboard,dial,PJSIP/trunk/15551234567,60"),
    ("PJSIP/carol", "from-phones", "dave", "switchboard,dial,PJSIP/dave"),
    ("PJSIP/carol", "from-phones", "4711", "switchboard,dial,PJSIP/4711"),       # the README's _X. line
    ("PJSIP/trunk", "from-trunk", "5550104", "switchboard,dial,PJSIP/dave,20"),  # direct line -> 1004
])
async def test_demo_contexts_route_through_the_app(fast, source, dialplan_context, exten, route):
    # Nobody serves the routing app here: Stasis fails and the call ends, as on Asterisk.
    async with EventStream(fast, apps="watcher") as events:
        fast.control("POST", "/_sim/calls", {"from": source, "context": dialplan_context, "exten": exten, "channel_id": "r",
                                             "caller_number": "+33123456789"})
        destroyed = await events.next("ChannelDestroyed", channel="r", timeout=5)
        assert _stasis_data(events, "r") == [route]
        varsets = [e["value"] for e in events.of("r") if e["type"] == "ChannelVarset"]
        assert varsets[-1] == "FAILED"
        apps = [e["dialplan_app"] for e in events.of("r") if e["type"] == "ChannelDialplan"]
        assert apps[-3:] == ["Stasis", "NoOp", "Hangup"] and destroyed["cause"] == 16


async def test_noops_show_the_substituted_numbers(fast):
    async with EventStream(fast, apps="watcher") as events:
        fast.control("POST", "/_sim/calls", {"from": "PJSIP/trunk", "context": "from-trunk", "exten": "5550102",
                                             "caller_number": "+4930999", "caller_name": "Jürgen", "channel_id": "n"})
        await events.next("ChannelDestroyed", channel="n", timeout=5)
        noops = [e["dialplan_app_data"] for e in events.of("n") if e.get("dialplan_app") == "NoOp"]
        assert noops[:2] == ["direct line 5550102 -> 1002", "internal call +4930999 -> 1002"]
        locations = [(e["channel"]["dialplan"]["context"], e["channel"]["dialplan"]["exten"])
                     for e in events.of("n") if e["type"] == "ChannelDialplan"]
        assert ("from-trunk", "5550102") in locations and ("from-phones", "1002") in locations


async def test_test_extensions_stay_reachable_from_the_phones(fast):
    async with EventStream(fast, apps="watcher") as events, aclient(fast) as ari:
        fast.control("POST", "/_sim/calls", {"from": "PJSIP/alice", "context": "from-phones", "exten": "101",
                                             "channel_id": "t"})
        echo = await events.next("ChannelDialplan", channel="t", dialplan_app="Echo", timeout=5)
        assert (echo["channel"]["dialplan"]["context"], echo["channel"]["dialplan"]["exten"]) == ("default", "101")
        await ari.delete("/channels/t")


async def test_the_queue_announces_then_plays_music_for_a_while(fast):
    async with EventStream(fast, apps="watcher") as events, aclient(fast) as ari:
        fast.control("POST", "/_sim/calls", {"from": "PJSIP/trunk", "context": "from-trunk", "exten": "5550100",
                                             "channel_id": "q"})
        moh = await events.next("ChannelDialplan", channel="q", dialplan_app="MusicOnHold", timeout=5)
        wait = int(moh["dialplan_app_data"].split(",")[1])
        assert moh["dialplan_app_data"].startswith("default,") and 5 <= wait <= 30
        apps = [e["dialplan_app"] for e in events.of("q") if e["type"] == "ChannelDialplan"]
        assert apps == ["NoOp", "Goto", "NoOp", "Answer", "Playback", "MusicOnHold"]
        assert (await ari.get("/channels/q")).json()["state"] == "Up"
        # After the wait an agent is dialled through the app; without it, back to the queue.
        stasis = await events.next("ChannelDialplan", channel="q", dialplan_app="Stasis", timeout=wait / 10 + 5)
        assert stasis["dialplan_app_data"].startswith("switchboard,dial,PJSIP/")
        assert stasis["dialplan_app_data"].split(",")[2][6:] in ("alice", "bob", "carol", "dave", "erin")
        again = await events.next("ChannelDialplan", channel="q", dialplan_app="Playback", timeout=5)
        assert again["channel"]["dialplan"]["context"] == "queue"
        await ari.delete("/channels/q")


async def test_the_dead_line_rings_without_end(fast):
    async with EventStream(fast, apps="watcher") as events, aclient(fast) as ari:
        fast.control("POST", "/_sim/calls", {"from": "PJSIP/trunk", "context": "from-trunk", "exten": "5550199",
                                             "channel_id": "dead"})
        await events.next("ChannelDialplan", channel="dead", dialplan_app="Wait", timeout=5)
        assert (await ari.get("/channels/dead")).json()["state"] == "Ring"
        await ari.delete("/channels/dead")


def test_outbound_numbers_on_the_trunk_fail_by_their_last_digits():
    from ari_sim.phones import Phones

    trunk = Phones().get("PJSIP", "trunk")
    assert trunk.behaviour_for("trunk/0301234517").busy
    assert trunk.behaviour_for("trunk/0301234519").never_answer
    assert trunk.behaviour_for("trunk/0301234521").reject
    assert trunk.behaviour_for("trunk/0301234520").offline
    assert trunk.behaviour_for("trunk/0301234567") is trunk.behaviour
    alice = Phones().get("PJSIP", "alice")
    assert alice.behaviour_for("alice/17") is alice.behaviour


async def test_the_route_app_name_is_an_option():
    with running_simulator(time_scale=0.1, route_app="router2") as sim:
        async with EventStream(sim, apps="watcher") as events:
            sim.control("POST", "/_sim/calls", {"from": "PJSIP/alice", "context": "from-phones", "exten": "1005",
                                                "channel_id": "o"})
            await events.next("ChannelDestroyed", channel="o", timeout=5)
            assert _stasis_data(events, "o") == ["router2,dial,PJSIP/erin,20"]
        assert sim.control("GET", "/_sim/traffic")["route_app"] == "router2"
