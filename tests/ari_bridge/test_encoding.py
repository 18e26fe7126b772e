"""Ids travel as one percent-encoded path segment, whatever they hold, on both transports."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

import pytest

from ari_bridge import AriClient, AriServerConfig, ChannelNotFound

from .conftest import sim_requests

ODD_IDS = ["../asterisk/modules/res_ari.so", "../../ari/asterisk/info", "a b?c#d%e/f", "x;2", "é&=+", "%2E%2E"]


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_an_id_never_escapes_its_path_segment(config: AriServerConfig, sim: Any, transport: str) -> None:
    async with AriClient(config, transport=transport) as client:  # type: ignore[arg-type]
        for channel_id in ODD_IDS:
            with pytest.raises(ChannelNotFound):
                await client.get(channel_id)
            with pytest.raises(ChannelNotFound):
                await client.hold(channel_id)
    paths = [(r["method"], r["path"]) for r in sim_requests(sim)]
    assert [method for method, _ in paths] == ["GET", "POST"] * len(ODD_IDS)
    for (method, path), channel_id in zip(paths, [i for i in ODD_IDS for _ in (0, 1)]):
        assert path.startswith("/ari/channels/")
        segments = path[len("/ari/channels/"):].split("/")
        assert segments[1:] == ([] if method == "GET" else ["hold"])
        assert unquote(segments[0]) == channel_id
        # Exactly as the client encoded it: neither transport may re-encode the path.
        assert segments[0] == quote(channel_id, safe="")


async def test_a_channel_with_an_odd_id_is_reachable(client: AriClient, sim: Any) -> None:
    odd = "caller/../1 2?#"
    channel = await client.originate(endpoint="Local/100@default", extension="100", channel_id=odd)
    assert channel.id == odd
    assert (await client.get(odd)).id == odd
    await client.hangup(odd)
    assert [r["path"] for r in sim_requests(sim)][-1] == "/ari/channels/" + quote(odd, safe="")
