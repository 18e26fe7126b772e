"""A phone that sends no RTP (`rtp_silent`): its channel's received-packet count stops growing,
as a one-way-audio call's does on a real Asterisk, while what Asterisk sends keeps growing.
Each change of the setting shows from the first RTP statistics request after it."""
import asyncio

import httpx

from .helpers import EventStream, aclient, error_of, stasis_channel


async def rx_tx(ari, channel_id: str) -> tuple[int, int]:
    stats = (await ari.get(f"/channels/{channel_id}/rtp_statistics")).json()
    assert stats["rxoctetcount"] == stats["rxcount"] * 160
    return stats["rxcount"], stats["txcount"]


async def test_a_silent_phone_stops_the_received_count_and_resumes_it(fast):
    fast.control("POST", "/_sim/phones/PJSIP/alice", json={"answer_after": 0.0})
    async with EventStream(fast) as events, aclient(fast) as ari:
        await stasis_channel(ari, events, endpoint="PJSIP/alice", channel_id="talks")
        await asyncio.sleep(0.05)  # a tenth of the fast clock: 25 packets a sample at 50 a second
        first = await rx_tx(ari, "talks")
        await asyncio.sleep(0.05)
        second = await rx_tx(ari, "talks")
        assert second[0] > first[0] and second[1] > first[1]

        assert fast.control("POST", "/_sim/phones/PJSIP/alice", json={"rtp_silent": True})["behaviour"]["rtp_silent"] is True
        frozen = await rx_tx(ari, "talks")
        await asyncio.sleep(0.05)
        still = await rx_tx(ari, "talks")
        assert still[0] == frozen[0] and still[1] > frozen[1]

        fast.control("POST", "/_sim/phones/PJSIP/alice", json={"rtp_silent": False})
        resumed = await rx_tx(ari, "talks")
        await asyncio.sleep(0.05)
        again = await rx_tx(ari, "talks")
        # It grows from where it stopped: the packets never sent stay missing.
        assert resumed[0] == frozen[0] and again[0] > resumed[0]
        assert again[1] - again[0] >= still[1] - frozen[1]


def test_rtp_silent_is_a_phone_setting(sim):
    assert sim.control("GET", "/_sim/phones/PJSIP/bob")["behaviour"]["rtp_silent"] is False
    with httpx.Client(base_url=sim.url, auth=(sim.username, sim.password), timeout=5) as control:
        response = control.post("/_sim/phones/PJSIP/bob", json={"rtp_silent": "yes"})
    assert error_of(response) == (400, "rtp_silent must be true or false")
    assert sim.control("GET", "/_sim/phones/PJSIP/bob")["behaviour"]["rtp_silent"] is False
