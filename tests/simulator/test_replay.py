"""Replays of the scenarios recorded on a real Asterisk (tests/fixtures/captures): every request
again, at the recorded pace (ten times faster), then statuses, messages, body shapes, headers
and each channel's sequence of events compared with the recording. See replay.py."""
import gc

import pytest

from . import replay
from .conftest import FAST_SCALE

SCENARIOS = ["s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09", "s11", "s12", "s13", "s15", "s16"]
# These query media or the dialplan a few (recorded) milliseconds from a playback's or a
# recording's end, after bursts of requests that a client cannot send ten times faster than
# Asterisk answered them: compressed less, so that the margins survive the backlog.
SLOWER = {"s07": 0.25, "s09": 0.25, "s15": 0.25}


# A request sent later than this (in compressed time) may land on the other side of a
# timer than in the recording.
LATE = 0.02


async def _replay(sim, scenario: str, scale: float):
    sim.control("POST", "/_sim/reset")
    sim.control("POST", "/_sim/clock", {"time_scale": scale})
    # A full garbage collection in this process stalls the simulator's timers and this test's
    # requests alike, and can swap two that were a few (compressed) milliseconds apart.
    gc.collect()
    gc.disable()
    try:
        # s16 is the recording made with no events WebSocket connected.
        result = await replay.replay(sim, scenario, scale=scale, sockets=scenario != "s16")
    finally:
        gc.enable()
    problems = (replay.compare_exchanges(result) + replay.compare_events(result, "dashboard")
                + replay.compare_events(result, "dashboard2"))
    return result, problems


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_replay_matches_the_recording(fast, scenario):
    scale = SLOWER.get(scenario, FAST_SCALE)
    result, problems = await _replay(fast, scenario, scale)
    late = max((seconds for _, seconds in result.lateness), default=0.0)
    if problems and late > LATE:
        # The machine was busy and requests went out late: that replay says nothing about the
        # simulator. Once more, with time compressed less.
        result, problems = await _replay(fast, scenario, min(1.0, scale * 4))
        late = max((seconds for _, seconds in result.lateness), default=0.0)
    assert len(result.exchanges) == len(result.scenario["exchanges"])
    assert not problems, "\n".join(problems) + f"\nlatest request: {late:.3f} s late"
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
