"""The times the stuck-channel rules read: since when a channel is in its state, in its Stasis
application, in no bridge, and without incoming RTP; kept from events, resyncs and RTP samples."""
from __future__ import annotations

import dataclasses

import orjson
import pytest

from ari_bridge import events as ev
from ari_bridge.models import Bridge, CallerID, Channel, DialplanCEP, epoch
from ari_bridge.registry import Change, ChannelRegistry, LiveChannel

CREATED = "2026-11-26T14:32:40.320+0000"
CREATED_AT = epoch(CREATED)
T0 = 1_800_000_000.0  # the registry's clock, well after CREATED


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def channel(channel_id: str = "c1", state: str = "Up", app: str | None = None, caller: str = "") -> Channel:
    dialplan = (DialplanCEP("default", "100", 1, "Stasis", app) if app
                else DialplanCEP("default", "100", 1, "Echo", ""))
    return Channel(id=channel_id, name=f"PJSIP/{channel_id}-00000001", state=state, dialplan=dialplan,
                   caller=CallerID(name=caller, number=""), creationtime=CREATED)


def get(registry: ChannelRegistry, channel_id: str = "c1") -> LiveChannel:
    found = registry.get(("default", channel_id))
    assert found is not None
    return found


def created(registry: ChannelRegistry, ch: Channel) -> None:
    registry.apply(ev.ChannelCreated("ChannelCreated", "app", "t", None, ch))


def state_change(registry: ChannelRegistry, ch: Channel) -> list[Change]:
    return registry.apply(ev.ChannelStateChange("ChannelStateChange", "app", "t", None, ch))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(clock: Clock) -> ChannelRegistry:
    return ChannelRegistry(clock=clock)


def test_state_since_follows_state_changes_only(registry: ChannelRegistry, clock: Clock) -> None:
    created(registry, channel(state="Down"))
    # Down is a state a channel has only before it is answered: unanswered since its creation.
    assert get(registry).state_since == CREATED_AT
    clock.now += 5
    state_change(registry, channel(state="Ringing"))
    assert get(registry).state_since == T0 + 5
    clock.now += 5
    changes = registry.apply(ev.ChannelCallerId("ChannelCallerId", "app", "t", None,
                                                channel(state="Ringing", caller="Bob")))
    assert len(changes) == 1 and get(registry).state_since == T0 + 5  # a new snapshot, the same state
    clock.now += 5
    state_change(registry, channel(state="Up"))
    assert get(registry).state_since == T0 + 15
    # A state change that comes with a rule's changes (StasisStart) moves it too.
    registry.apply(ev.ChannelCreated("ChannelCreated", "app", "t", None, channel("c2", state="Ring")))
    clock.now += 5
    registry.apply(ev.StasisStart("StasisStart", "dash", "t", None, channel("c2", state="Up", app="dash")))
    assert get(registry, "c2").state_since == T0 + 20


def test_a_channel_first_seen_answered_counts_from_now(registry: ChannelRegistry) -> None:
    created(registry, channel(state="Up"))
    assert get(registry).state_since == T0


def test_app_since_follows_the_application(registry: ChannelRegistry, clock: Clock) -> None:
    created(registry, channel())
    assert get(registry).app_since is None
    clock.now += 3
    registry.apply(ev.StasisStart("StasisStart", "dash", "t", None, channel(app="dash")))
    assert get(registry).app_since == T0 + 3
    clock.now += 3
    registry.apply(ev.ChannelVarset("ChannelVarset", "dash", "t", None, channel(app="dash"), "X", "1"))
    assert get(registry).app_since == T0 + 3  # still in the same app
    clock.now += 3
    registry.apply(ev.ChannelDialplan("ChannelDialplan", "dash", "t", None, channel(app="other"), "Stasis",
                                      "other"))
    assert (get(registry).stasis_app, get(registry).app_since) == ("other", T0 + 9)
    clock.now += 3
    registry.apply(ev.StasisEnd("StasisEnd", "other", "t", None, channel()))
    assert (get(registry).stasis_app, get(registry).app_since) == (None, None)


def test_unbridged_since_follows_bridges(registry: ChannelRegistry, clock: Clock) -> None:
    ch = channel(app="dash")
    created(registry, ch)
    assert get(registry).unbridged_since == T0
    clock.now += 2
    registry.apply(ev.ChannelEnteredBridge("ChannelEnteredBridge", "dash", "t", None, Bridge(id="b1"), ch))
    assert get(registry).unbridged_since is None
    clock.now += 2
    registry.apply(ev.ChannelEnteredBridge("ChannelEnteredBridge", "dash", "t", None, Bridge(id="b2"), ch))
    registry.apply(ev.ChannelLeftBridge("ChannelLeftBridge", "dash", "t", None, Bridge(id="b1"), ch))
    assert get(registry).unbridged_since is None  # still in b2
    clock.now += 2
    registry.apply(ev.ChannelLeftBridge("ChannelLeftBridge", "dash", "t", None, Bridge(id="b2"), ch))
    assert get(registry).unbridged_since == T0 + 6
    clock.now += 2
    registry.apply(ev.ChannelEnteredBridge("ChannelEnteredBridge", "dash", "t", None, Bridge(id="b3"), ch))
    clock.now += 2
    registry.apply(ev.BridgeDestroyed("BridgeDestroyed", "dash", "t", None, Bridge(id="b3")))
    assert (get(registry).bridge_ids, get(registry).unbridged_since) == (frozenset(), T0 + 10)


def test_resync_of_channels_never_seen(registry: ChannelRegistry) -> None:
    registry.resync("default", [channel("ringing", state="Ringing"), channel("up", state="Up", app="dash"),
                                channel("bridged", state="Up", app="dash")],
                    [Bridge(id="b1", channels=("bridged",))])
    ringing, up, bridged = get(registry, "ringing"), get(registry, "up"), get(registry, "bridged")
    # Unanswered since its creation; anything else we cannot know: counted from now (a lower bound).
    assert (ringing.state_since, ringing.app_since, ringing.unbridged_since) == (CREATED_AT, None, T0)
    assert (up.state_since, up.app_since, up.unbridged_since) == (T0, T0, T0)
    assert (bridged.app_since, bridged.unbridged_since) == (T0, None)


def test_resync_of_known_channels_keeps_what_did_not_change(registry: ChannelRegistry, clock: Clock) -> None:
    registry.apply(ev.StasisStart("StasisStart", "dash", "t", None, channel("same", app="dash")))
    registry.apply(ev.StasisStart("StasisStart", "dash", "t", None, channel("moves", state="Ringing", app="dash")))
    registry.apply(ev.ChannelEnteredBridge("ChannelEnteredBridge", "dash", "t", None, Bridge(id="b1"),
                                           channel("moves", state="Ringing", app="dash")))
    clock.now += 60
    registry.resync("default", [channel("same", app="dash", caller="new name"), channel("moves", app=None)], [])
    same, moves = get(registry, "same"), get(registry, "moves")
    assert (same.state_since, same.app_since, same.unbridged_since) == (T0, T0, T0)
    assert (moves.state_since, moves.app_since, moves.unbridged_since) == (T0 + 60, None, T0 + 60)


def test_rtp_idle_since_changes_only_when_the_count_stops_or_starts(registry: ChannelRegistry,
                                                                   clock: Clock) -> None:
    registry.apply(ev.StasisStart("StasisStart", "dash", "t", None, channel(app="dash")))
    heard: list[list[Change]] = []
    registry.subscribe(heard.append)
    assert registry.record_rtp("default", "c1", 100, T0 + 10) == []  # first sample: nothing known yet
    assert registry.record_rtp("default", "c1", 600, T0 + 20) == []  # flowing: nothing to publish
    assert get(registry).rtp_idle_since is None
    changes = registry.record_rtp("default", "c1", 600, T0 + 30)
    assert len(changes) == 1 and changes[0].entry.rtp_idle_since == T0 + 20  # type: ignore[union-attr]
    assert registry.record_rtp("default", "c1", 600, T0 + 40) == []  # still silent: no news
    assert get(registry).rtp_idle_since == T0 + 20
    changes = registry.record_rtp("default", "c1", 700, T0 + 50)
    assert len(changes) == 1 and get(registry).rtp_idle_since is None
    # A smaller count is a new RTP session: it starts over.
    registry.record_rtp("default", "c1", 5, T0 + 60)
    registry.record_rtp("default", "c1", 5, T0 + 70)
    assert get(registry).rtp_idle_since == T0 + 60
    # None forgets the samples (on hold: no RTP is expected).
    registry.record_rtp("default", "c1", None, T0 + 80)
    assert get(registry).rtp_idle_since is None
    assert registry.record_rtp("default", "c1", 5, T0 + 90) == []
    assert len(heard) == 4  # stopped, flowing again, stopped, forgotten
    assert registry.record_rtp("default", "unknown", 5, T0) == []


def test_rtp_samples_go_with_the_channel(registry: ChannelRegistry, clock: Clock) -> None:
    ch = channel(app="dash")
    registry.apply(ev.StasisStart("StasisStart", "dash", "t", None, ch))
    registry.record_rtp("default", "c1", 10)
    registry.apply(ev.ChannelDestroyed("ChannelDestroyed", "dash", "t", None, ch, 16, "Normal Clearing"))
    # The id comes back (originate with channelId): its first sample is a first sample again.
    registry.apply(ev.ChannelCreated("ChannelCreated", "dash", "t", None, ch))
    clock.now += 10
    assert registry.record_rtp("default", "c1", 10) == []
    assert get(registry).rtp_idle_since is None
    registry.record_rtp("default", "c1", 10, T0 + 20)
    registry.clear_server("default")
    registry.apply(ev.ChannelCreated("ChannelCreated", "dash", "t", None, channel("c1", state="Down")))
    assert registry.record_rtp("default", "c1", 10) == []


def test_times_survive_the_wire_and_count_in_equality(registry: ChannelRegistry, clock: Clock) -> None:
    registry.apply(ev.StasisStart("StasisStart", "dash", "t", None, channel(app="dash")))
    registry.record_rtp("default", "c1", 1, T0 + 1)
    registry.record_rtp("default", "c1", 1, T0 + 2)
    e = get(registry)
    assert None not in (e.app_since, e.unbridged_since, e.rtp_idle_since)
    assert LiveChannel.from_dict(orjson.loads(orjson.dumps(e.to_dict()))) == e
    assert dataclasses.replace(e, rtp_idle_since=None) != e
    bridged = dataclasses.replace(e, unbridged_since=None, app_since=None, bridge_ids=frozenset({"b"}))
    assert LiveChannel.from_dict(orjson.loads(orjson.dumps(bridged.to_dict()))) == bridged
