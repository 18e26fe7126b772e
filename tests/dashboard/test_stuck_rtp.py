"""The runner's RTP sampler on a simulator of its own (its request log then holds only the sampler's
requests): which channels it asks about, what it records, and what it skips."""
from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest

from ari_bridge import AriClient, AriServerConfig, ChannelRegistry, EventStream
from ari_bridge.events import ChannelCreated
from ari_bridge.models import Channel
from dashboard.live.rtp import RtpSampler
from switchboard.env import StuckRules

RULES = StuckRules(max_age_minutes=0, ringing_seconds=0, stasis_unbridged_minutes=0, silent_minutes=0,
                   rtp_silence_seconds=60)


@pytest.fixture(scope="module")
def own_sim():
    from ari_sim.testing import running_simulator

    with running_simulator() as sim:
        yield sim


async def eventually(check, timeout: float = 3.0):
    for _ in range(int(timeout / 0.02)):
        if value := check():
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def rtp_requests(sim) -> list[str]:
    return [r["path"].split("/")[3] for r in sim.control("GET", "/_sim/requests")
            if r["path"].endswith("/rtp_statistics")]


async def test_sampling_answered_rtp_channels_only(own_sim):
    own_sim.control("POST", "/_sim/reset")
    config = AriServerConfig(name="default", url=own_sim.url, username=own_sim.username,
                             password=own_sim.password, app="rtp-test")
    registry = ChannelRegistry()
    rules = RULES
    async with AriClient(config) as client:
        stream = EventStream(config, registry, client=client)
        await stream.start()
        try:
            await eventually(lambda: stream.state == "live")
            ari = httpx.AsyncClient(base_url=own_sim.ari_url, auth=(own_sim.username, own_sim.password))
            own_sim.control("POST", "/_sim/phones/PJSIP/carol", json={"never_answer": True})
            ids = {}
            for name, endpoint in (("alice", "PJSIP/alice"), ("bob", "PJSIP/bob"), ("local", "Local/100@default"),
                                   ("ringing", "PJSIP/carol")):
                response = await ari.post("/channels", params={"endpoint": endpoint, "app": "rtp-test"})
                ids[name] = response.json()["id"]
            await eventually(lambda: all(registry.get(("default", ids[n])) is not None
                                         and registry.get(("default", ids[n])).state == "Up"
                                         for n in ("alice", "bob", "local")))
            await ari.post(f"/channels/{ids['bob']}/hold")  # our hold: no RTP is expected
            registry.record_action("default", ids["bob"], "hold")
            # A channel the registry still lists but Asterisk lost without a ChannelDestroyed: the 404 is
            # checked, and the channel leaves the registry, so nothing asks about it again.
            ghost = Channel(id="ghost", name="PJSIP/alice-00000999", state="Up")
            registry.apply(ChannelCreated("ChannelCreated", "x", "t", None, ghost))
            own_sim.control("DELETE", "/_sim/requests")

            sampler = RtpSampler(registry, {"default": client}, [stream], rules=lambda: rules)
            assert await sampler.sample_once() == 1  # alice; bob is on hold, the ghost is gone
            assert sorted(rtp_requests(own_sim)) == sorted([ids["alice"], "ghost"])
            assert registry.get(("default", "ghost")) is None
            assert registry.get(("default", ids["alice"])).rtp_idle_since is None  # one sample: nothing known
            own_sim.control("DELETE", "/_sim/requests")
            assert await sampler.sample_once() == 1 and rtp_requests(own_sim) == [ids["alice"]]

            # Off: not a single request.
            rules = dataclasses.replace(RULES, rtp_silence_seconds=0)
            own_sim.control("DELETE", "/_sim/requests")
            assert await sampler.sample_once() == 0 and rtp_requests(own_sim) == []

            # A server whose stream is not live is left alone.
            rules = RULES
            await stream.stop()
            assert await sampler.sample_once() == 0 and rtp_requests(own_sim) == []
            await ari.aclose()
        finally:
            await stream.stop()


def test_the_interval_follows_the_setting():
    sampler = RtpSampler(ChannelRegistry(), {}, rules=lambda: RULES)
    assert sampler.interval() == 20
    assert RtpSampler(ChannelRegistry(), {}, rules=lambda: dataclasses.replace(RULES, rtp_silence_seconds=6)
                      ).interval() == 5
