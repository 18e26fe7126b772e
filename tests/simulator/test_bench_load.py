"""/_sim/bench/events: caller-id changes at a set rate, each stamped with when it was emitted."""
import asyncio
import time

import pytest

from ari_sim.testing import ControlError

from .helpers import EventStream, aclient


async def test_bench_events_change_caller_ids_at_the_asked_rate(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        ids = []
        for n in range(3):
            channel = (await ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "103",
                                                           "channelId": f"b{n}", "otherChannelId": f"b{n}b"})).json()
            ids.append(channel["id"])
        for channel_id in ids:
            await events.next("ChannelStateChange", channel=channel_id)
        started = time.time()
        answer = sim.control("POST", "/_sim/bench/events", {"rate": 200, "seconds": 0.25, "channels": 2,
                                                             "prefix": "t1"})
        assert answer["planned"] == 50 and answer["channels"] == 2 and answer["running"] is True
        seen = [await events.next("ChannelCallerId", timeout=3) for _ in range(50)]
        elapsed = time.time() - started
        tokens = [event["channel"]["caller"]["name"].split(":") for event in seen]
        assert [int(seq) for _, seq, _ in tokens] == list(range(50))
        assert {prefix for prefix, _, _ in tokens} == {"t1"}
        # Round robin over the two oldest channels only.
        assert {event["channel"]["id"] for event in seen} == {"b0", "b0b"}
        stamps = [int(us) / 1e6 for _, _, us in tokens]
        assert stamps == sorted(stamps) and started - 0.01 <= stamps[0] and stamps[-1] <= time.time()
        assert 0.15 <= elapsed < 2.0  # 50 events at 200/s take about a quarter of a second
        await asyncio.sleep(0.05)
        status = sim.control("GET", "/_sim/bench/events")
        assert status["running"] is False and status["sent"] == 50
        assert status["last"]["b0b"] == seen[-1]["channel"]["caller"]["name"]
        listed = {c["id"]: c["caller"]["name"] for c in (await ari.get("/channels")).json()}
        assert listed["b0"] == status["last"]["b0"]


def test_bench_events_are_refused_without_channels_or_with_bad_values(sim):
    with pytest.raises(ControlError) as no_channel:
        sim.control("POST", "/_sim/bench/events", {"rate": 10, "seconds": 1})
    assert no_channel.value.status == 400
    for body in ({"rate": 0, "seconds": 1}, {"rate": 10}, {"rate": 10, "seconds": 1, "channels": 0},
                 {"rate": 10, "seconds": 1, "prefix": "a:b"}):
        with pytest.raises(ControlError) as bad:
            sim.control("POST", "/_sim/bench/events", body)
        assert bad.value.status == 400
    with pytest.raises(ControlError) as unknown:
        sim.control("GET", "/_sim/bench/nothing")
    assert unknown.value.status == 404
    assert sim.control("DELETE", "/_sim/bench/events") is None
