"""The registry fed by the recorded Asterisk stream, and its own rules (flags, resync, batches)."""
from __future__ import annotations

from typing import Any, Callable

import orjson
import pytest

from ari_bridge import events as ev
from ari_bridge.models import Bridge, Channel, DialplanCEP, LiveRecording, Playback, channel_from_json
from ari_bridge.registry import Change, ChannelRegistry, LiveChannel

from .conftest import recorded_events

ROWS = recorded_events("dashboard")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def replay(registry: ChannelRegistry, stop: Callable[[dict[str, Any]], bool] | None = None) -> list[Change]:
    """Apply the recorded events in order, up to and including the first row ``stop`` accepts."""
    changes: list[Change] = []
    for row in ROWS:
        changes += registry.apply(ev.parse_event(row["event"]), "default")
        if stop is not None and stop(row):
            return changes
    assert stop is None, "the stop row never came"
    return changes


def replay_after(registry: ChannelRegistry, start: Callable[[dict[str, Any]], bool],
                 stop: Callable[[dict[str, Any]], bool]) -> list[Change]:
    """Continue a replay: apply the rows after the first that ``start`` accepts, up to ``stop``."""
    index = next(i for i, row in enumerate(ROWS) if start(row))
    changes: list[Change] = []
    for row in ROWS[index + 1:]:
        changes += registry.apply(ev.parse_event(row["event"]), "default")
        if stop(row):
            return changes
    raise AssertionError("the stop row never came")


def at(kind: str, **match: str) -> Callable[[dict[str, Any]], bool]:
    def stop(row: dict[str, Any]) -> bool:
        event = row["event"]
        if event["type"] != kind:
            return False
        return all(_dig(event, path) == value for path, value in match.items())

    return stop


def _dig(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for part in path.split("__"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def entry(registry: ChannelRegistry, channel_id: str) -> LiveChannel:
    found = registry.get(("default", channel_id))
    assert found is not None, channel_id
    return found


def test_the_recorded_stream_never_leaves_a_ghost_and_ends_empty() -> None:
    registry = ChannelRegistry()
    alive: set[str] = set()
    last_state: dict[str, str] = {}
    for row in ROWS:
        event = row["event"]
        registry.apply(ev.parse_event(event), "default")
        if event["type"] == "ChannelCreated":
            alive.add(event["channel"]["id"])
        elif event["type"] == "ChannelDestroyed":
            alive.discard(event["channel"]["id"])
        for part in ("channel", "peer", "caller"):
            if isinstance(event.get(part), dict):
                last_state[event[part]["id"]] = event[part]["state"]
        assert {key[1] for key in registry.keys()} == alive, row["seq"]
        for channel_id in alive:
            assert entry(registry, channel_id).state == last_state[channel_id], (row["seq"], channel_id)
    assert len(registry) == 0


def test_late_events_after_destroy_do_not_bring_a_channel_back() -> None:
    registry = ChannelRegistry()
    destroyed = at("ChannelDestroyed", channel__id="cont3-6ff7413f")
    replay(registry, destroyed)
    changes = replay_after(registry, destroyed, at("ChannelDialplan", channel__id="cont3-6ff7413f"))
    assert changes == [] and ("default", "cont3-6ff7413f") not in registry


def test_stasis_app_follows_start_end_and_the_dialplan() -> None:
    registry = ChannelRegistry()
    replay(registry, at("StasisStart", channel__id="ops-6faa8900"))
    assert entry(registry, "ops-6faa8900").stasis_app == "dashboard"
    assert entry(registry, "ops-6faa8900-2").stasis_app is None  # the other Local half runs Echo
    replay_after(registry, at("StasisStart", channel__id="ops-6faa8900"),
                 at("StasisEnd", channel__id="ops-6faa8900"))
    assert entry(registry, "ops-6faa8900").stasis_app is None

    registry = ChannelRegistry()
    # ext 200: ChannelDialplan Stasis(dashboard,from-dialplan) names the app before StasisStart
    replay(registry, at("ChannelDialplan", channel__id="cont-71389f09", dialplan_app="Stasis"))
    assert entry(registry, "cont-71389f09").stasis_app == "dashboard"


def test_snoop_links() -> None:
    registry = ChannelRegistry()
    started = at("StasisStart", channel__id="snoop-f70da7b0")
    replay(registry, started)
    target = entry(registry, "ops-6faa8900")
    assert target.snooped_by == {"1795703611.45", "snoop-f70da7b0"}
    assert entry(registry, "snoop-f70da7b0").snoop_of == "ops-6faa8900"
    assert entry(registry, "snoop-f70da7b0").stasis_app == "dashboard"
    # Asterisk destroys the second snoop first.
    changes = replay_after(registry, started, at("ChannelDestroyed", channel__id="snoop-f70da7b0"))
    assert entry(registry, "ops-6faa8900").snooped_by == {"1795703611.45"}
    assert Change("remove", ("default", "snoop-f70da7b0"), None) in changes
    changes = replay_after(registry, at("ChannelDestroyed", channel__id="snoop-f70da7b0"),
                           at("ChannelDestroyed", channel__id="1795703611.45"))
    assert entry(registry, "ops-6faa8900").snooped_by == frozenset()
    assert any(c.key == ("default", "ops-6faa8900") and c.entry and not c.entry.snooped_by for c in changes)


def test_bridges_from_events() -> None:
    registry = ChannelRegistry()
    entered = at("ChannelEnteredBridge", channel__id="brb-a57adc9b")
    replay(registry, entered)
    assert entry(registry, "bra-012ace13").bridge_ids == {"dash-bridge-1"}
    assert entry(registry, "brb-a57adc9b").bridge_ids == {"dash-bridge-1"}
    replay_after(registry, entered, at("ChannelLeftBridge", channel__id="brb-a57adc9b"))
    assert entry(registry, "brb-a57adc9b").bridge_ids == frozenset()


def test_bridge_destroyed_clears_its_members() -> None:
    registry = ChannelRegistry(clock=Clock())
    channel = Channel(id="a", name="PJSIP/alice-1", state="Up")
    registry.apply(ev.ChannelCreated("ChannelCreated", "app", "t", None, channel))
    bridge = Bridge(id="b1", channels=("a",))
    registry.apply(ev.ChannelEnteredBridge("ChannelEnteredBridge", "app", "t", None, bridge, channel))
    assert entry(registry, "a").bridge_ids == {"b1"}
    changes = registry.apply(ev.BridgeDestroyed("BridgeDestroyed", "app", "t", None, Bridge(id="b1")))
    assert entry(registry, "a").bridge_ids == frozenset() and len(changes) == 1


def test_playbacks_and_recordings_in_progress() -> None:
    registry = ChannelRegistry()
    replay(registry, at("PlaybackStarted", playback__media_uri="tone:ring"))
    ringing = entry(registry, "ringing-aa8b4735")
    assert ringing.playbacks == {"752af8a4-aaa5-4bc0-bdfd-cc5d71146456"}
    replay_after(registry, at("PlaybackStarted", playback__media_uri="tone:ring"),
                    at("PlaybackFinished", playback__id="752af8a4-aaa5-4bc0-bdfd-cc5d71146456"))
    assert entry(registry, "ringing-aa8b4735").playbacks == frozenset()

    registry = ChannelRegistry()
    replay(registry, at("RecordingStarted", recording__name="test1"))
    assert entry(registry, "ops-6faa8900").recordings == {"test1"}
    replay_after(registry, at("RecordingStarted", recording__name="test1"),
                    at("RecordingFinished", recording__name="test1"))
    assert entry(registry, "ops-6faa8900").recordings == frozenset()


def test_changes_are_reported_once_and_only_when_visible() -> None:
    clock = Clock()
    registry = ChannelRegistry(clock=clock)
    heard: list[list[Change]] = []
    registry.subscribe(heard.append)
    created = ev.parse_event(ROWS[0]["event"])
    first = registry.apply(created)
    assert [c.kind for c in first] == ["upsert"] and heard == [first]
    assert registry.apply(created) == [] and len(heard) == 1  # nothing visible changed
    clock.now += 5  # only last_event_at would change: reported, at most once a second
    again = registry.apply(created)
    assert len(again) == 1 and again[0].entry is not None and again[0].entry.last_event_at == clock.now
    assert registry.apply(created) == []
    state_change = ev.parse_event(dict(ROWS[0]["event"], type="ChannelStateChange",
                                       channel=dict(ROWS[0]["event"]["channel"], state="Up")))
    changed = registry.apply(state_change)
    assert len(changed) == 1 and changed[0].entry.state == "Up"  # type: ignore[union-attr]
    assert heard[-1] == changed


def test_every_change_names_the_new_entry_and_the_registry_agrees() -> None:
    registry = ChannelRegistry()
    mirror: dict[Any, LiveChannel] = {}

    def follow(changes: list[Change]) -> None:
        for change in changes:
            if change.kind == "remove":
                assert change.entry is None
                del mirror[change.key]
            else:
                assert change.entry is not None and change.entry.key == change.key
                mirror[change.key] = change.entry

    registry.subscribe(follow)
    for row in ROWS:
        registry.apply(ev.parse_event(row["event"]), "default")
        assert mirror == {key: registry.get(key) for key in registry.keys()}


def _channel(channel_id: str, state: str = "Up", app: str | None = "dashboard", name: str = "") -> Channel:
    dialplan = DialplanCEP("default", "100", 1, "Stasis", app) if app else DialplanCEP("default", "100", 1, "Echo", "")
    return Channel(id=channel_id, name=name or f"PJSIP/{channel_id}-00000001", state=state,
                   dialplan=dialplan, creationtime="2026-11-26T14:32:40.320+0000")


def _start(registry: ChannelRegistry, channel: Channel, app: str = "dashboard") -> None:
    registry.apply(ev.StasisStart("StasisStart", app, "t", None, channel, (), None))


def test_dashboard_flags_from_our_requests_and_their_end() -> None:
    registry = ChannelRegistry(clock=Clock())
    channel = _channel("c1")
    _start(registry, channel)
    assert registry.record_action("default", "c1", "hold")[0].entry.held_by == "dashboard"  # type: ignore[union-attr]
    registry.record_action("default", "c1", "mute", direction="in")
    registry.record_action("default", "c1", "mute", direction="out")
    registry.record_action("default", "c1", "start_moh", moh_class=None)
    registry.record_action("default", "c1", "start_silence")
    registry.record_action("default", "c1", "ring")
    e = entry(registry, "c1")
    assert (e.held, e.held_by, e.muted, e.moh_class, e.silence, e.ringing) == (
        True, "dashboard", {"in", "out"}, "default", True, True)
    assert e.dashboard_flags == {"held", "muted", "moh", "silence", "ringing"}
    assert registry.record_action("default", "c1", "hold") == []  # already so: no change
    registry.record_action("default", "c1", "unmute", direction="in")
    assert entry(registry, "c1").muted == {"out"} and "muted" in entry(registry, "c1").dashboard_flags
    registry.record_action("default", "c1", "unmute", direction="both")
    assert "muted" not in entry(registry, "c1").dashboard_flags

    changes = registry.apply(ev.StasisEnd("StasisEnd", "dashboard", "t", None, channel))
    e = entry(registry, "c1")
    assert len(changes) == 1 and e.stasis_app is None
    assert (e.held, e.held_by, e.muted, e.moh_class, e.silence, e.ringing, e.dashboard_flags) == (
        False, None, frozenset(), None, False, False, frozenset())
    assert registry.record_action("default", "unknown", "hold") == []
    with pytest.raises(ValueError):
        registry.record_action("default", "c1", "answer")


def test_hold_by_the_phone_outlives_stasis_end() -> None:
    registry = ChannelRegistry(clock=Clock())
    channel = _channel("c1")
    _start(registry, channel)
    registry.apply(ev.ChannelHold("ChannelHold", "dashboard", "t", None, channel, "default"))
    assert (entry(registry, "c1").held, entry(registry, "c1").held_by) == (True, "phone")
    registry.apply(ev.StasisEnd("StasisEnd", "dashboard", "t", None, channel))
    assert entry(registry, "c1").held_by == "phone"
    registry.apply(ev.ChannelUnhold("ChannelUnhold", "dashboard", "t", None, channel))
    assert (entry(registry, "c1").held, entry(registry, "c1").held_by) == (False, None)


def test_a_dialplan_step_outside_stasis_takes_the_channel_out_of_its_app() -> None:
    registry = ChannelRegistry(clock=Clock())
    channel = _channel("c1")
    _start(registry, channel, app="other")
    registry.record_action("default", "c1", "hold")
    moved_on = _channel("c1", app=None)
    registry.apply(ev.ChannelDialplan("ChannelDialplan", "dashboard", "t", None, moved_on, "Echo", ""))
    e = entry(registry, "c1")
    assert e.stasis_app is None and not e.held and not e.dashboard_flags


def test_hangup_cause_only_when_it_is_one() -> None:
    registry = ChannelRegistry(clock=Clock())
    channel = _channel("c1")
    _start(registry, channel)
    assert registry.apply(ev.ChannelHangupRequest("ChannelHangupRequest", "a", "t", None, channel, 32, True)) == []
    registry.apply(ev.ChannelHangupRequest("ChannelHangupRequest", "a", "t", None, channel, 17, None))
    assert entry(registry, "c1").hangup_cause == 17
    removal = registry.apply(ev.ChannelDestroyed("ChannelDestroyed", "a", "t", None, channel, 17, "User busy"))
    assert removal == [Change("remove", ("default", "c1"), None)]


def test_resync_adds_removes_and_updates_exactly() -> None:
    clock = Clock()
    registry = ChannelRegistry(clock=clock)
    for channel_id in ("keep", "gone", "changes"):
        _start(registry, _channel(channel_id))
    registry.record_action("default", "keep", "hold")
    registry.record_action("default", "changes", "mute")
    snoop = Channel(id="s1", name="Snoop/keep-00000001", state="Up",
                    dialplan=DialplanCEP("default", "s", 1, "Stasis", "dashboard"))
    changed = _channel("changes", app=None)  # continued into the dialplan meanwhile
    new = _channel("new", state="Ring")
    clock.now += 10
    changes = registry.resync("default", [_channel("keep"), changed, new, snoop],
                              [Bridge(id="b1", channels=("keep", "new"))])
    kinds = {(c.kind, c.key[1]) for c in changes}
    assert kinds == {("remove", "gone"), ("upsert", "keep"), ("upsert", "changes"), ("upsert", "new"),
                     ("upsert", "s1")}
    assert {k[1] for k in registry.keys()} == {"keep", "changes", "new", "s1"}
    keep = entry(registry, "keep")
    assert keep.held_by == "dashboard" and keep.bridge_ids == {"b1"} and keep.snooped_by == {"s1"}
    assert entry(registry, "s1").snoop_of == "keep" and entry(registry, "s1").stasis_app == "dashboard"
    assert entry(registry, "changes").stasis_app is None and entry(registry, "changes").muted == frozenset()
    assert entry(registry, "new").stasis_app == "dashboard" and entry(registry, "new").state == "Ring"
    # The same snapshot again changes nothing.
    clock.now += 10
    assert registry.resync("default", [_channel("keep"), changed, new, snoop],
                           [Bridge(id="b1", channels=("keep", "new"))]) == []
    # Late events of a channel that the resync removed stay away.
    registry.apply(ev.ChannelStateChange("ChannelStateChange", "a", "t", None, _channel("gone")))
    assert ("default", "gone") not in registry


def test_resync_keeps_only_running_playbacks_and_recordings() -> None:
    registry = ChannelRegistry(clock=Clock())
    channel = _channel("c1")
    _start(registry, channel)
    for pid in ("p1", "p2"):
        registry.apply(ev.PlaybackStarted("PlaybackStarted", "a", "t", None,
                                          Playback(id=pid, target_uri="channel:c1", state="playing")))
    registry.apply(ev.RecordingStarted("RecordingStarted", "a", "t", None,
                                       LiveRecording(name="r1", target_uri="channel:c1", state="recording")))
    assert entry(registry, "c1").playbacks == {"p1", "p2"} and entry(registry, "c1").recordings == {"r1"}
    registry.resync("default", [channel], playbacks=[Playback(id="p2")], recordings=[])
    assert entry(registry, "c1").playbacks == {"p2"} and entry(registry, "c1").recordings == frozenset()


def test_resync_touches_only_its_server() -> None:
    registry = ChannelRegistry(clock=Clock())
    registry.apply(ev.ChannelCreated("ChannelCreated", "a", "t", None, _channel("x")), "pbx1")
    registry.apply(ev.ChannelCreated("ChannelCreated", "a", "t", None, _channel("x")), "pbx2")
    assert registry.resync("pbx1", []) == [Change("remove", ("pbx1", "x"), None)]
    assert registry.keys() == [("pbx2", "x")]
    assert registry.clear_server("pbx2") == [Change("remove", ("pbx2", "x"), None)] and len(registry) == 0


def test_batch_reports_the_net_change_once() -> None:
    registry = ChannelRegistry(clock=Clock())
    _start(registry, _channel("stays"))
    heard: list[list[Change]] = []
    registry.subscribe(heard.append)
    with registry.batch() as net:
        brief = _channel("brief")
        registry.apply(ev.ChannelCreated("ChannelCreated", "a", "t", None, brief))
        registry.apply(ev.ChannelDestroyed("ChannelDestroyed", "a", "t", None, brief, 16, "Normal Clearing"))
        registry.record_action("default", "stays", "hold")
        registry.record_action("default", "stays", "unhold")
        registry.record_action("default", "stays", "mute")
        assert heard == []
    assert len(heard) == 1 and heard[0] == net
    assert [(c.kind, c.key[1]) for c in net] == [("upsert", "stays")]
    assert net[0].entry is not None and net[0].entry.muted == {"in", "out"}


def test_replica_put_remove_and_lossless_dicts() -> None:
    source = ChannelRegistry()
    replay(source, at("StasisStart", channel__id="snoop-f70da7b0"))
    replica = ChannelRegistry()
    for e in source.values():
        wire = orjson.loads(orjson.dumps(e.to_dict()))
        copy = LiveChannel.from_dict(wire)
        assert copy == e
        assert replica.put(copy) == [Change("upsert", copy.key, copy)]
        assert replica.put(copy) == []
    assert sorted(replica.keys()) == sorted(source.keys())
    key = replica.keys()[0]
    assert replica.remove(key) == [Change("remove", key, None)] and replica.remove(key) == []


def test_unsubscribe_and_a_failing_subscriber() -> None:
    registry = ChannelRegistry(clock=Clock())
    heard: list[list[Change]] = []

    def broken(changes: list[Change]) -> None:
        raise RuntimeError("boom")

    registry.subscribe(broken)
    stop = registry.subscribe(heard.append)
    _start(registry, _channel("a"))
    assert len(heard) == 1
    stop()
    _start(registry, _channel("b"))
    assert len(heard) == 1


def test_live_channel_created_at_comes_from_the_snapshot() -> None:
    registry = ChannelRegistry(clock=Clock())
    channel = channel_from_json(ROWS[0]["event"]["channel"])
    registry.apply(ev.ChannelCreated("ChannelCreated", "a", "t", None, channel))
    e = entry(registry, channel.id)
    assert e.created_at == pytest.approx(channel.created.timestamp())  # type: ignore[union-attr]
    assert e.last_event_at == 1000.0
