"""Replays of the scenarios recorded on a real Asterisk (tests/fixtures/captures): every request
again, at the recorded pace (ten times faster), then statuses, messages, body shapes, headers
and each channel's sequence of events compared with the recording. See replay.py."""
import gc

import pytest

from . import replay
from .conftest import FAST_SCALE

SCENARIOS = ["s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09", "s11", "s12", "s13", "s15", "s16"]
# These two query media a few milliseconds after a playback or recording ends in the
# recording: compressed less, so that the simulator's timers keep that margin.
SLOWER = {"s07": 0.25, "s15": 0.25}


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_replay_matches_the_recording(fast, scenario):
    scale = SLOWER.get(scenario, FAST_SCALE)
    fast.control("POST", "/_sim/clock", {"time_scale": scale})
    # A full garbage collection in this process stalls the simulator's timers and this test's
    # requests alike, and can swap two that were a few (compressed) milliseconds apart.
    gc.collect()
    gc.disable()
    try:
        # s16 is the recording made with no events WebSocket connected.
        result = await replay.replay(fast, scenario, scale=scale, sockets=scenario != "s16")
    finally:
        gc.enable()
    assert len(result.exchanges) == len(result.scenario["exchanges"])
    assert replay.compare_exchanges(result) == []
    assert replay.compare_events(result, "dashboard") == []
    assert replay.compare_events(result, "dashboard2") == []
    if scenario != "s16" and result.scenario["events"]:
        assert result.events["dashboard"], "no events were received"


def test_the_comparison_catches_differences():
    recorded = {"id": "1", "state": "Up", "message": "Channel not found", "channels": [{"id": "a"}]}
    assert replay.shape_diff(recorded, dict(recorded)) == []
    assert replay.shape_diff(recorded, {**recorded, "state": "Down"})
    assert replay.shape_diff(recorded, {**recorded, "message": "Other"})
    assert replay.shape_diff(recorded, {**recorded, "extra": 1})
    assert replay.shape_diff(recorded, {**recorded, "id": 1})
    events = [{"type": "ChannelCreated", "channel": {"id": "x", "name": "Local/1@d-00000000;1", "state": "Down",
                                                     "dialplan": {"app_name": ""}}},
              {"type": "ChannelDestroyed", "cause": 16, "cause_txt": "Normal Clearing",
               "channel": {"id": "x", "name": "Local/1@d-00000000;1", "state": "Up", "dialplan": {"app_name": ""}}}]
    assert replay.normalize(events) == replay.normalize([dict(e) for e in events])
    assert replay.normalize(events) != replay.normalize(list(reversed(events)))
