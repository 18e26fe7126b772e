"""AriClient against the simulator over real HTTP: every method's success path, every error class."""
from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from ari_bridge import (
    AriClient,
    AriServerConfig,
    AriTimeout,
    AriUnreachable,
    AuthenticationFailed,
    BadRequest,
    Bridge,
    Channel,
    ChannelNotFound,
    ChannelRegistry,
    Conflict,
    DuplicateId,
    Forbidden,
    InvalidState,
    LiveRecording,
    NotFound,
    NotInStasis,
    Playback,
    RTPstat,
    ServerError,
    Unprocessable,
    Variable,
)

from .conftest import APP, StasisFactory, eventually, sim_requests

pytestmark = pytest.mark.usefixtures("stream")


def last(sim: Any, method: str, path_end: str) -> dict[str, Any]:
    return next(r for r in reversed(sim_requests(sim)) if r["method"] == method and r["path"].endswith(path_end))


async def test_originate_list_get_hangup(client: AriClient, registry: ChannelRegistry, sim: Any) -> None:
    channel = await client.originate(endpoint="Local/100@default", app=APP, app_args="arg1,arg2",
                                     caller_id='"Dash Board" <1000>', timeout=10)
    assert isinstance(channel, Channel) and channel.name.startswith("Local/100@default-")
    sent = last(sim, "POST", "/channels")
    assert sent["query"] == {"endpoint": "Local/100@default", "app": APP, "appArgs": "arg1,arg2",
                             "callerId": '"Dash Board" <1000>', "timeout": "10"}
    await eventually(lambda: (e := registry.get(("default", channel.id))) and e.stasis_app == APP)
    listed = await client.list()
    assert channel.id in {c.id for c in listed} and all(isinstance(c, Channel) for c in listed)
    fetched = await client.get(channel.id)
    assert fetched.id == channel.id and fetched.state == "Up"
    assert fetched.caller.name == "Dash Board"
    assert await client.hangup(channel.id, reason="normal") is None
    assert last(sim, "DELETE", f"/channels/{channel.id}")["query"] == {"reason": "normal"}
    with pytest.raises(ChannelNotFound):
        await client.get(channel.id)


async def test_originate_into_the_dialplan_with_ids_and_variables(client: AriClient, sim: Any) -> None:
    channel = await client.originate(
        endpoint="Local/103@default", extension="300", context="default", label="label300",
        channel_id="dp-1", other_channel_id="dp-1-other", variables={"MYVAR": "hello"},
    )
    assert channel.id == "dp-1"
    sent = last(sim, "POST", "/channels")
    assert sent["json"] == {"variables": {"MYVAR": "hello"}}
    assert sent["query"]["otherChannelId"] == "dp-1-other" and sent["query"]["label"] == "label300"
    assert await client.get_channel_var("dp-1", variable="MYVAR") == Variable("hello")
    other = await client.get("dp-1-other")
    assert other.name.endswith(";2")
    again = await client.originate_with_id("dp-2", endpoint="Local/100@default", extension="100",
                                           priority=1, caller_id="Alice <2001>")
    assert again.id == "dp-2"
    await client.hangup("dp-1", reason_code="16")
    assert last(sim, "DELETE", "/channels/dp-1")["query"] == {"reason_code": "16"}
    await client.hangup("dp-2")


async def test_create_then_dial(client: AriClient, registry: ChannelRegistry) -> None:
    created = await client.create(endpoint="Local/100@default", app=APP, app_args="created",
                                  channel_id="created-1", variables={"X": "1"})
    assert (created.id, created.state) == ("created-1", "Down")
    await eventually(lambda: (e := registry.get(("default", "created-1"))) and e.stasis_app == APP)
    assert await client.dial("created-1", timeout=10) is None
    await eventually(lambda: registry.get(("default", "created-1")).state == "Up")  # type: ignore[union-attr]


async def test_calls_on_a_channel_in_the_app(client: AriClient, in_stasis: StasisFactory, sim: Any) -> None:
    channel_id = (await in_stasis()).id
    for call in (client.answer, client.ring, client.ring_stop, client.hold, client.unhold,
                 client.stop_moh, client.start_silence, client.stop_silence):
        assert await call(channel_id) is None
    await client.start_moh(channel_id, moh_class="default")
    assert last(sim, "POST", "/moh")["query"] == {"mohClass": "default"}
    await client.send_dtmf(channel_id, dtmf="1#", before=10, between=20, duration=40, after=10)
    assert last(sim, "POST", "/dtmf")["query"] == {
        "dtmf": "1#", "before": "10", "between": "20", "duration": "40", "after": "10"}
    for direction in ("in", "out", "both"):
        await client.mute(channel_id, direction=direction)
        await client.unmute(channel_id, direction=direction)
    # Asterisk 400s a mute without direction, whatever the spec says: it is always sent.
    await client.mute(channel_id)
    await client.unmute(channel_id)
    assert last(sim, "POST", "/mute")["query"] == {"direction": "both"}
    assert last(sim, "DELETE", "/mute")["query"] == {"direction": "both"}
    await client.set_channel_var(channel_id, variable="CALLERID(name)", value="Dashboard User")
    assert (await client.get_channel_var(channel_id, variable="CALLERID(name)")).value == "Dashboard User"


async def test_media(client: AriClient, in_stasis: StasisFactory, sim: Any) -> None:
    channel_id = (await in_stasis()).id
    playback = await client.play(channel_id, media=["sound:beep", "digits:12"], lang="en", offsetms=0,
                                 skipms=3000, playback_id="pb-1")
    assert isinstance(playback, Playback) and playback.id == "pb-1"
    assert last(sim, "POST", "/play")["query"]["media"] == "sound:beep,digits:12"
    tone = await client.play_with_id(channel_id, playback_id="pb-tone", media="tone:ring")
    assert tone.target_channel == channel_id
    assert (await client.get_playback("pb-tone")).media_uri == "tone:ring"
    assert await client.stop_playback("pb-tone") is None
    with pytest.raises(NotFound):
        await client.get_playback("pb-tone")
    recording = await client.record(channel_id, name="rec-1", format="wav", max_duration_seconds=5,
                                    max_silence_seconds=0, if_exists="overwrite", beep=False, terminate_on="#")
    assert isinstance(recording, LiveRecording) and recording.name == "rec-1"
    assert last(sim, "POST", "/record")["query"] == {
        "name": "rec-1", "format": "wav", "maxDurationSeconds": "5", "maxSilenceSeconds": "0",
        "ifExists": "overwrite", "beep": "false", "terminateOn": "#"}
    assert (await client.get_live_recording("rec-1")).target_channel == channel_id


async def test_snoop(client: AriClient, in_stasis: StasisFactory, registry: ChannelRegistry) -> None:
    channel_id = (await in_stasis()).id
    spy = await client.snoop_channel(channel_id, app=APP, spy="both", app_args="snooping")
    assert spy.name.startswith(f"Snoop/{channel_id}-")
    whisper = await client.snoop_channel_with_id(channel_id, snoop_id="snoop-1", app=APP, whisper="out")
    assert whisper.id == "snoop-1"
    target = ("default", channel_id)
    await eventually(lambda: (e := registry.get(target)) and e.snooped_by == {spy.id, "snoop-1"})


async def test_move_continue_redirect(client: AriClient, in_stasis: StasisFactory,
                                      registry: ChannelRegistry) -> None:
    moving = (await in_stasis()).id
    await client.move(moving, app=APP, app_args="moved,x")
    await client.continue_in_dialplan(moving, context="default", extension="300", priority=1)
    await eventually(lambda: registry.get(("default", moving)).stasis_app is None)  # type: ignore[union-attr]
    redirected = (await in_stasis()).id
    assert await client.redirect(redirected, endpoint="Local/103@default") is None


async def test_rtp_statistics_and_external_media(client: AriClient, in_stasis: StasisFactory) -> None:
    phone = (await in_stasis("PJSIP/alice")).id
    stats = await client.rtp_statistics(phone)
    assert isinstance(stats, RTPstat) and stats.channel_uniqueid == phone
    rtp = await client.external_media(app=APP, external_host="127.0.0.1:40000", format="ulaw",
                                      channel_id="em-1", variables={"A": "b"})
    assert rtp.id == "em-1" and rtp.technology == "UnicastRTP"
    socket_channel = await client.external_media(
        app=APP, external_host="127.0.0.1:40001", format="slin", encapsulation="audiosocket",
        transport="tcp", connection_type="client", direction="both",
        data="00716df2-9dfe-4153-87fb-4ddcd7110668")
    assert socket_channel.technology == "AudioSocket"


async def test_bridges(client: AriClient, in_stasis: StasisFactory, registry: ChannelRegistry) -> None:
    a, b = (await in_stasis()).id, (await in_stasis()).id
    bridge = await client.create_bridge(type="mixing", bridge_id="br-1", name="supervision")
    assert isinstance(bridge, Bridge) and bridge.id == "br-1"
    await client.add_channel("br-1", channel=[a, b], role="participant", mute=False)
    assert set((await client.get_bridge("br-1")).channels) == {a, b}
    assert "br-1" in {x.id for x in await client.list_bridges()}
    await eventually(lambda: registry.get(("default", a)).bridge_ids == {"br-1"})  # type: ignore[union-attr]
    await client.remove_channel("br-1", channel=a)
    await eventually(lambda: not registry.get(("default", a)).bridge_ids)  # type: ignore[union-attr]
    await client.destroy_bridge("br-1")
    with pytest.raises(NotFound):
        await client.get_bridge("br-1")


async def test_asterisk_info_and_ping(client: AriClient) -> None:
    info = await client.asterisk_info()
    assert info.version and info.entity_id
    ping = await client.ping()
    assert ping.ping == "pong" and ping.asterisk_id == info.entity_id


# ------------------------------------------------------------------------------- errors


async def test_channel_not_found(client: AriClient) -> None:
    with pytest.raises(ChannelNotFound) as caught:
        await client.hold("does-not-exist-1234")
    error = caught.value
    assert (error.status, error.message, error.method, error.path) == (
        404, "Channel not found", "POST", "/channels/does-not-exist-1234/hold")
    assert str(error) == "the channel is gone" and error.code == "channel_not_found"


async def test_not_in_stasis(client: AriClient) -> None:
    channel = await client.originate(endpoint="Local/100@default", extension="100", context="default")
    with pytest.raises(NotInStasis) as caught:
        await client.hold(channel.id)
    assert str(caught.value) == ("not in a Stasis application: ARI cannot hold a channel that is in the dialplan")
    with pytest.raises(NotInStasis) as caught:
        await client.send_dtmf(channel.id, dtmf="1")
    assert "cannot send DTMF to a channel" in str(caught.value)
    assert (await client.get_channel_var(channel.id, variable="CHANNEL(state)")).value == "Up"


async def test_duplicate_id_and_conflict(client: AriClient, registry: ChannelRegistry) -> None:
    await client.originate(endpoint="Local/100@default", app=APP, channel_id="dup-1")
    with pytest.raises(DuplicateId) as caught:
        await client.originate(endpoint="Local/100@default", app=APP, channel_id="dup-1")
    assert str(caught.value) == "a channel with this id already exists"
    await client.create(endpoint="Local/100@default", app=APP, channel_id="dialled")
    await client.dial("dialled", timeout=10)
    await eventually(lambda: (e := registry.get(("default", "dialled"))) and e.state == "Up")
    with pytest.raises(Conflict) as conflict:
        await client.dial("dialled")
    assert type(conflict.value) is Conflict and "Down" in conflict.value.message


async def test_invalid_state(client: AriClient, registry: ChannelRegistry) -> None:
    await client.create(endpoint="Local/100@default", app=APP, channel_id="not-dialled")
    with pytest.raises(InvalidState) as caught:
        await client.hold("not-dialled")
    assert caught.value.status == 412 and str(caught.value) == "channel in an invalid state"


async def test_unprocessable_forbidden_bad_request(client: AriClient, in_stasis: StasisFactory) -> None:
    local = (await in_stasis()).id
    with pytest.raises(Unprocessable) as unprocessable:
        await client.redirect(local, endpoint="SIP/alice")
    assert unprocessable.value.status == 422
    with pytest.raises(Forbidden) as forbidden:
        await client.rtp_statistics(local)
    assert forbidden.value.message == "Unsupported channel type"
    with pytest.raises(BadRequest) as bad:
        await client.originate(endpoint="Local/100@default", app=APP, formats="nosuchcodec")
    assert "nosuchcodec" in str(bad.value)
    with pytest.raises(NotFound) as missing:
        await client.get_channel_var(local, variable="NOT_SET_ANYWHERE")
    assert type(missing.value) is NotFound


async def test_server_error_allocation_failed(client: AriClient) -> None:
    with pytest.raises(ServerError) as caught:
        await client.originate(endpoint="Bogus/xyz", app=APP)
    assert caught.value.status == 500 and caught.value.message == "Allocation failed"
    assert "could not create the channel" in str(caught.value)


async def test_authentication_failed(config: AriServerConfig) -> None:
    wrong = AriServerConfig(name="x", url=config.url, username=config.username, password="nope", app=APP)
    async with AriClient(wrong) as client:
        with pytest.raises(AuthenticationFailed) as caught:
            await client.ping()
    assert caught.value.status == 401


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_unreachable(transport: str) -> None:
    nowhere = AriServerConfig(name="x", url=f"http://127.0.0.1:{_free_port()}", username="u", password="p")
    async with AriClient(nowhere, transport=transport, get_tries=2) as client:  # type: ignore[arg-type]
        with pytest.raises(AriUnreachable) as caught:
            await client.ping()
        with pytest.raises(AriUnreachable):
            await client.hold("x")
    assert str(caught.value).startswith("Asterisk is unreachable")


async def test_timeout_and_no_retry_of_writes(config: AriServerConfig, sim: Any) -> None:
    sim.control("POST", "/_sim/faults", {"delay_ms": 400})
    try:
        async with AriClient(config, timeout=0.1) as client:
            sim.control("DELETE", "/_sim/requests")
            with pytest.raises(AriTimeout) as caught:
                await client.hold("whatever")
            await asyncio.sleep(0.5)  # let the delayed request land in the log
            assert [r["method"] for r in sim_requests(sim)] == ["POST"]
            # It reached Asterisk, which did it: a person must not read that it failed.
            assert "may have done it anyway" in caught.value.human()
            with pytest.raises(AriTimeout) as read:
                await client.get("whatever")
            assert read.value.human() == "Asterisk did not answer in time"
    finally:
        sim.control("DELETE", "/_sim/faults")


async def test_reads_are_retried_on_5xx_and_writes_are_not(client: AriClient, sim: Any) -> None:
    sim.control("POST", "/_sim/faults", {"error_status": 503, "error_seconds": 0.08})
    sim.control("DELETE", "/_sim/requests")
    assert isinstance(await client.list(), list)
    gets = [r for r in sim_requests(sim) if r["method"] == "GET"]
    assert len(gets) >= 2 and gets[0]["status"] == 503 and gets[-1]["status"] == 200

    sim.control("POST", "/_sim/faults", {"error_status": 503, "error_seconds": 5})
    try:
        sim.control("DELETE", "/_sim/requests")
        with pytest.raises(ServerError):
            await client.hold("whatever")
        assert [(r["method"], r["status"]) for r in sim_requests(sim)] == [("POST", 503)]
    finally:
        sim.control("DELETE", "/_sim/faults")


async def test_reads_give_up_after_their_tries(config: AriServerConfig, sim: Any) -> None:
    sim.control("POST", "/_sim/faults", {"error_status": 502, "error_seconds": 5})
    try:
        async with AriClient(config, get_tries=3) as client:
            sim.control("DELETE", "/_sim/requests")
            with pytest.raises(ServerError) as caught:
                await client.list()
        assert caught.value.status == 502 and len(sim_requests(sim)) == 3
    finally:
        sim.control("DELETE", "/_sim/faults")
