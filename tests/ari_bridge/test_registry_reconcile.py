"""`ChannelRegistry.reconcile`: catching up with a `GET /channels` answered while events kept flowing
(no events held), so that a channel Asterisk lost without a ChannelDestroyed does not stay for ever."""
from __future__ import annotations

import dataclasses

from ari_bridge import events as ev
from ari_bridge.models import Channel, DialplanCEP
from ari_bridge.registry import ChannelRegistry

from .test_registry import Clock, _channel, _start, entry


def _known(registry: ChannelRegistry, server: str = "default") -> dict:
    return {e.key: e for e in registry.values(server)}


def test_a_channel_missing_from_the_answer_and_unchanged_since_is_removed_for_good() -> None:
    registry = ChannelRegistry(clock=Clock())
    for channel_id in ("alive", "lost"):
        _start(registry, _channel(channel_id))
    before = _known(registry)
    changes = registry.reconcile("default", [_channel("alive")], before)
    assert [(c.kind, c.key[1]) for c in changes] == [("remove", "lost")]
    assert registry.keys() == [("default", "alive")]
    # A straggler event of the lost channel does not bring it back.
    registry.apply(ev.ChannelStateChange("ChannelStateChange", "a", "t", None, _channel("lost")))
    assert ("default", "lost") not in registry


def test_what_events_changed_while_the_request_was_out_is_left_to_the_events() -> None:
    registry = ChannelRegistry(clock=Clock())
    for channel_id in ("recreated", "renamed"):
        _start(registry, _channel(channel_id))
    before = _known(registry)
    # Meanwhile: "recreated" was hung up and its id used again; "renamed" changed its caller name. The
    # answer was taken before either, and knows neither the new "recreated" nor "born" (created after it).
    registry.apply(ev.ChannelDestroyed("ChannelDestroyed", "a", "t", None, _channel("recreated"), 16, "Normal"))
    registry.apply(ev.ChannelCreated("ChannelCreated", "a", "t", None, _channel("recreated", state="Ring")))
    registry.apply(ev.ChannelCallerId("ChannelCallerId", "a", "t", None,
                                      _with_caller(_channel("renamed"), "New name"), 0, "x"))
    registry.apply(ev.ChannelCreated("ChannelCreated", "a", "t", None, _channel("born", state="Ring")))
    assert registry.reconcile("default", [], before) == []
    assert {k[1] for k in registry.keys()} == {"recreated", "renamed", "born"}


def test_a_channel_the_registry_never_heard_of_is_added_unless_it_was_destroyed_meanwhile() -> None:
    registry = ChannelRegistry(clock=Clock())
    before = _known(registry)
    missed = _channel("missed", app="dashboard")
    destroyed = _channel("destroyed")
    snoop = Channel(id="s1", name="Snoop/missed-00000001", state="Up",
                    dialplan=DialplanCEP("default", "s", 1, "Stasis", "dashboard"))
    # "destroyed" is in the answer but its ChannelDestroyed arrived after the answer was taken.
    registry.apply(ev.ChannelDestroyed("ChannelDestroyed", "a", "t", None, destroyed, 16, "Normal"))
    changes = registry.reconcile("default", [missed, destroyed, snoop], before)
    assert {(c.kind, c.key[1]) for c in changes} == {("upsert", "missed"), ("upsert", "s1")}
    assert entry(registry, "missed").stasis_app == "dashboard" and entry(registry, "missed").snooped_by == {"s1"}
    assert entry(registry, "s1").snoop_of == "missed"
    assert ("default", "destroyed") not in registry


def test_an_unchanged_channel_takes_the_answers_snapshot_and_other_servers_are_left_alone() -> None:
    clock = Clock()
    registry = ChannelRegistry(clock=clock)
    _start(registry, _channel("c1"))
    registry.apply(ev.ChannelCreated("ChannelCreated", "a", "t", None, _channel("x")), "pbx2")
    registry.record_action("default", "c1", "hold")
    before = _known(registry)
    clock.now += 5
    # Its StasisEnd and the dialplan step after it were lost: the answer shows it in the dialplan.
    changes = registry.reconcile("default", [_channel("c1", app=None)], before)
    assert [(c.kind, c.key[1]) for c in changes] == [("upsert", "c1")]
    c1 = entry(registry, "c1")
    assert c1.stasis_app is None and not c1.held and not c1.dashboard_flags
    assert registry.get(("pbx2", "x")) is not None
    assert registry.reconcile("default", [_channel("c1", app=None)], _known(registry)) == []


def _with_caller(channel: Channel, name: str) -> Channel:
    return dataclasses.replace(channel, caller=dataclasses.replace(channel.caller, name=name))
