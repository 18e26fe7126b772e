"""externalMedia: RTP and AudioSocket channels, their events, and every parameter check."""
import asyncio
import uuid

import pytest

from .helpers import EventStream, aclient, error_of

BASE = {"app": "dashboard", "external_host": "127.0.0.1:40000", "format": "ulaw"}


async def test_rtp_external_media_channel(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        response = await ari.post("/channels/externalMedia", params={**BASE, "channelId": "em"})
        assert response.status_code == 200
        body = response.json()
        assert body["name"].startswith("UnicastRTP/127.0.0.1:40000-0x")
        assert body["state"] == "Down" and body["dialplan"]["app_name"] == "AppDial2"
        assert list(body["channelvars"]) == ["UNICASTRTP_LOCAL_PORT", "UNICASTRTP_LOCAL_ADDRESS"]
        assert body["channelvars"]["UNICASTRTP_LOCAL_ADDRESS"] == "127.0.0.1"
        assert int(body["channelvars"]["UNICASTRTP_LOCAL_PORT"]) % 2 == 0
        start = await events.next("StasisStart", channel="em")
        assert start["args"] == [] and start["channel"]["state"] == "Up"
        kinds = [(e["type"], e.get("variable") or e.get("dialstatus")) for e in events.of("em")]
        assert kinds == [("ChannelCreated", None), ("ChannelVarset", "UNICASTRTP_LOCAL_ADDRESS"),
                         ("ChannelVarset", "UNICASTRTP_LOCAL_PORT"), ("ChannelDialplan", None), ("Dial", ""),
                         ("ChannelStateChange", None), ("Dial", "ANSWER"), ("ChannelVarset", "STASISSTATUS"),
                         ("StasisStart", None)]
        assert next(e for e in events.of("em") if e["type"] == "Dial")["dialstring"] == "127.0.0.1:40000/c(ulaw)"
        assert "channelvars" not in (await ari.get("/channels/em")).json()
        assert error_of(await ari.get("/channels/em/rtp_statistics")) == (404, "RTP info not found")
        assert (await ari.post("/channels/em/hold")).status_code == 204
        assert (await ari.post("/channels/em/redirect", params={"endpoint": "UnicastRTP/127.0.0.1:40002"})).status_code == 204
        assert (await ari.delete("/channels/em")).status_code == 204
        destroyed = await events.next("ChannelDestroyed", channel="em")
        assert destroyed["cause"] == 16 and destroyed["channel"]["dialplan"]["app_name"] == "AppDial2"


async def test_audiosocket_connects_sends_its_uuid_and_ends_with_the_connection(sim):
    received = asyncio.get_running_loop().create_future()
    release = asyncio.Event()

    async def serve(reader, writer):
        received.set_result(await reader.readexactly(19))
        await release.wait()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    call = str(uuid.uuid4())
    try:
        async with EventStream(sim) as events, aclient(sim) as ari:
            response = await ari.post("/channels/externalMedia", params={
                "app": "dashboard", "external_host": f"127.0.0.1:{port}", "format": "slin",
                "encapsulation": "audiosocket", "transport": "tcp", "data": call, "channelId": "as"})
            body = response.json()
            assert body["name"] == f"AudioSocket/127.0.0.1:{port}-{call}"
            assert body["channelvars"] == {"AUDIOSOCKET_SERVICE": f"127.0.0.1:{port}", "AUDIOSOCKET_UUID": call}
            start = await events.next("StasisStart", channel="as")
            assert start["args"] == [call]
            frame = await asyncio.wait_for(received, 3)
            assert frame == b"\x01\x00\x10" + uuid.UUID(call).bytes
            assert (await ari.get("/channels/as")).json()["state"] == "Up"
            release.set()
            destroyed = await events.next("ChannelDestroyed", channel="as")
            assert destroyed["cause"] == 0
            assert "ChannelHangupRequest" not in events.types("as")
    finally:
        server.close()


async def test_audiosocket_with_nobody_listening_ends_at_once(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await ari.post("/channels/externalMedia", params={
            "app": "dashboard", "external_host": "127.0.0.1:9", "format": "slin", "encapsulation": "audiosocket",
            "transport": "tcp", "data": str(uuid.uuid4()), "channelId": "as2"})
        await events.next("StasisEnd", channel="as2")
        assert (await events.next("ChannelDestroyed", channel="as2"))["cause"] == 0


@pytest.mark.parametrize("changes, status, message", [
    ({"app": None}, 400, "app cannot be empty"),
    ({"external_host": None}, 400, "external_host is required for all but websocket server connections"),
    ({"external_host": "127.0.0.1"}, 400, "external_host must be <host>:<port>"),
    ({"format": None}, 400, "format cannot be empty"),
    ({"format": "nosuchformat"}, 500, "An internal error prevented this request from being handled"),
    ({"encapsulation": "bogus"}, 501, "The encapsulation and/or transport is not supported"),
    ({"transport": "sctp"}, 501, "The encapsulation and/or transport is not supported"),
    ({"transport": "tcp"}, 400, "transport must be 'udp' for rtp encapsulation"),
    ({"encapsulation": "audiosocket", "transport": "udp", "data": "x"}, 400,
     "transport must be 'tcp' for audiosocket encapsulation"),
    ({"encapsulation": "audiosocket", "transport": "tcp"}, 400, "data can not be empty"),
    ({"direction": "sideways"}, 400, "Invalid direction specified"),
    ({"direction": "both"}, 200, None),
    ({"connection_type": "server"}, 400, "Invalid connection_type specified"),
    ({"connection_type": "client"}, 200, None),
    ({"encapsulation": "rtp", "transport": "udp"}, 200, None),
])
async def test_external_media_parameter_checks(sim, changes, status, message):
    params = {**BASE, **changes}
    params = {key: value for key, value in params.items() if value is not None}
    async with aclient(sim) as ari:
        response = await ari.post("/channels/externalMedia", params=params)
        assert response.status_code == status, response.text
        if message:
            assert response.json() == {"message": message}


async def test_external_media_existing_channel_id(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        await ari.post("/channels/externalMedia", params={**BASE, "channelId": "taken"})
        await events.next("StasisStart", channel="taken")
        assert error_of(await ari.post("/channels/externalMedia", params={**BASE, "channelId": "taken"})) == (
            500, "An internal error prevented this request from being handled")


async def test_external_media_variables_from_the_body(sim):
    async with EventStream(sim) as events, aclient(sim) as ari:
        response = await ari.post("/channels/externalMedia", json={**BASE, "channelId": "emv",
                                                                   "variables": {"TAG": "x"}})
        assert response.status_code == 200
        await events.next("StasisStart", channel="emv")
        assert (await ari.get("/channels/emv/variable", params={"variable": "TAG"})).json() == {"value": "x"}
