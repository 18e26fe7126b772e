"""Each stuck rule on constructed channels and a fixed clock: caught just past its threshold, not at
it, not when the condition does not hold, and never when the rule is off (threshold 0)."""
from __future__ import annotations

import dataclasses

import pytest

from ari_bridge import LiveChannel
from ari_bridge.models import Channel, DialplanCEP
from dashboard.stuck import describe_rules, duration, explain, find_stuck, reasons_in_words, stuck_reasons
from switchboard.env import StuckRules

NOW = 1_800_000_000.0
RULES = StuckRules(max_age_minutes=240, ringing_seconds=120, stasis_unbridged_minutes=30, silent_minutes=60,
                   rtp_silence_seconds=60)


def live(state: str = "Up", name: str = "PJSIP/alice-00000001", **fields) -> LiveChannel:
    """A channel that no rule catches at NOW unless `fields` say otherwise."""
    channel = Channel(id=fields.pop("id", "c1"), name=name, state=state,
                      dialplan=DialplanCEP("default", "100", 1, "Echo", ""))
    base = dict(server="default", channel=channel, created_at=NOW - 10, last_event_at=NOW - 1,
                state_since=NOW - 10, unbridged_since=NOW - 10)
    return LiveChannel(**{**base, **fields})


def test_a_quiet_healthy_channel_is_not_stuck():
    assert stuck_reasons(live(), RULES, NOW) == []


def test_too_old():
    limit = 240 * 60
    assert stuck_reasons(live(created_at=NOW - limit), RULES, NOW) == []
    assert stuck_reasons(live(created_at=NOW - limit - 1, last_event_at=NOW), RULES, NOW) == ["too_old"]


@pytest.mark.parametrize("state", ["Down", "Ring", "Ringing"])
def test_ringing_too_long_in_each_watched_state(state):
    assert stuck_reasons(live(state, state_since=NOW - 120), RULES, NOW) == []
    assert stuck_reasons(live(state, state_since=NOW - 121), RULES, NOW) == ["ringing_too_long"]


def test_ringing_too_long_ignores_other_states_and_follows_the_settings():
    assert stuck_reasons(live("Up", state_since=NOW - 3600), RULES, NOW) == []
    assert stuck_reasons(live("Busy", state_since=NOW - 3600), RULES, NOW) == []
    only_ring = dataclasses.replace(RULES, ringing_states=("Ring",))
    assert stuck_reasons(live("Ringing", state_since=NOW - 3600), only_ring, NOW) == []
    assert stuck_reasons(live("Ring", state_since=NOW - 3600), only_ring, NOW) == ["ringing_too_long"]


def test_stasis_unbridged_counts_from_the_later_of_entering_the_app_and_leaving_a_bridge():
    limit = 30 * 60
    in_app = dict(stasis_app="switchboard", app_since=NOW - limit - 1, unbridged_since=NOW - 5 * limit)
    assert stuck_reasons(live(**in_app), RULES, NOW) == ["stasis_unbridged"]
    # Left a bridge lately: it has not waited that long.
    assert stuck_reasons(live(**{**in_app, "unbridged_since": NOW - limit}), RULES, NOW) == []
    # Entered the app lately, after a long time unbridged in the dialplan.
    assert stuck_reasons(live(**{**in_app, "app_since": NOW - 60}), RULES, NOW) == []
    # In a bridge, or in no application: not this rule.
    assert stuck_reasons(live(**{**in_app, "bridge_ids": frozenset({"b1"}), "unbridged_since": None}),
                         RULES, NOW) == []
    assert stuck_reasons(live(app_since=None, unbridged_since=NOW - 5 * limit), RULES, NOW) == []


def test_no_events():
    limit = 60 * 60
    assert stuck_reasons(live(last_event_at=NOW - limit), RULES, NOW) == []
    assert stuck_reasons(live(last_event_at=NOW - limit - 1), RULES, NOW) == ["no_events"]


def test_rtp_silent_only_for_answered_rtp_channels_not_on_hold():
    silent = dict(rtp_idle_since=NOW - 61)
    assert stuck_reasons(live(**silent), RULES, NOW) == ["rtp_silent"]
    assert stuck_reasons(live(rtp_idle_since=NOW - 60), RULES, NOW) == []
    assert stuck_reasons(live(rtp_idle_since=None), RULES, NOW) == []  # flowing, or never sampled
    assert stuck_reasons(live(**silent, held=True, held_by="phone"), RULES, NOW) == []  # no RTP expected
    assert stuck_reasons(live("Ringing", **silent), RULES, NOW) == []
    assert stuck_reasons(live(name="Local/100@default-00000001;1", **silent), RULES, NOW) == []
    assert stuck_reasons(live(name="SIP/bob-00000001", **silent), RULES, NOW) == ["rtp_silent"]


def test_zero_turns_each_rule_off():
    everything = live("Ringing", created_at=NOW - 10**6, state_since=NOW - 10**6, stasis_app="app",
                      app_since=NOW - 10**6, unbridged_since=NOW - 10**6, last_event_at=NOW - 10**6,
                      rtp_idle_since=NOW - 10**6)
    assert stuck_reasons(everything, RULES, NOW) == ["too_old", "ringing_too_long", "stasis_unbridged",
                                                     "no_events"]  # Ringing: no RTP rule
    off = StuckRules(0, 0, 0, 0, 0)
    assert stuck_reasons(everything, off, NOW) == []
    up = dataclasses.replace(everything, channel=dataclasses.replace(everything.channel, state="Up"))
    assert "rtp_silent" in stuck_reasons(up, RULES, NOW)
    assert all(not r["enabled"] and r["text"] == "off" for r in describe_rules(off))


def test_find_stuck_lists_only_the_stuck_ones_oldest_first():
    young = live(id="young", state="Ringing", created_at=NOW - 200, state_since=NOW - 200)
    old = live(id="old", created_at=NOW - 10**5)
    fine = live(id="fine")
    found = find_stuck([young, fine, old], RULES, NOW)
    assert [(e.id, reasons) for e, reasons in found] == [("old", ["too_old"]), ("young", ["ringing_too_long"])]


def test_words():
    assert [duration(s) for s in (0, 59, 60, 125, 3600, 3661, 86400, 90000)] == [
        "0 s", "59 s", "1 min", "2 min 5 s", "1 h", "1 h 1 min", "1 d", "1 d 1 h"]
    ringing = live("Ringing", state_since=NOW - 185)
    assert explain(ringing, "ringing_too_long", RULES, NOW) == "Ringing for 3 min 5 s (limit 2 min)"
    assert reasons_in_words(ringing, RULES, NOW) == [
        {"rule": "ringing_too_long", "label": "Ringing too long", "text": "Ringing for 3 min 5 s (limit 2 min)"}]
    texts = {r["rule"]: r["text"] for r in describe_rules(RULES)}
    assert texts == {
        "too_old": "older than 4 h",
        "ringing_too_long": "in Down, Ring or Ringing for more than 2 min",
        "stasis_unbridged": "in a Stasis application and in no bridge for more than 30 min",
        "no_events": "no event for more than 1 h",
        "rtp_silent": "an answered SIP/PJSIP channel has received no RTP packet for more than 1 min",
    }
