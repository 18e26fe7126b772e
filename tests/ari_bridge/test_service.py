"""ChannelService: listing over the registry, details, actions with their flags, and which
actions apply to a channel now (checked against what the simulator answers)."""
from __future__ import annotations

import itertools
from typing import Any

import pytest

from ari_bridge import (
    AriClient,
    AriError,
    Channel,
    ChannelRegistry,
    ChannelService,
    Conflict,
    Forbidden,
    InvalidState,
    LiveChannel,
    NotFound,
    NotInStasis,
    ValidationError,
)
from ari_bridge import events as ev
from ari_bridge.models import CallerID, DialplanCEP
from ari_bridge.service import CHANNEL_ACTIONS

from .conftest import APP, StasisFactory, eventually


def _channel(channel_id: str, *, name: str, state: str = "Up", app: str | None = None, created: str,
             caller: tuple[str, str] = ("", ""), exten: str = "100") -> Channel:
    dialplan = DialplanCEP("default", exten, 1, "Stasis" if app else "Echo", app or "")
    return Channel(id=channel_id, name=name, state=state, caller=CallerID(*caller), dialplan=dialplan,
                   creationtime=created)


def _listing_registry() -> ChannelRegistry:
    registry = ChannelRegistry(clock=lambda: 1795703600.0)
    rows = [
        ("pbx1", _channel("a", name="PJSIP/alice-1", app=APP, created="2026-11-26T14:33:10.000+0000",
                          caller=("Alice", "1001"))),
        ("pbx1", _channel("b", name="PJSIP/bob-2", state="Ring", created="2026-11-26T14:32:30.000+0000",
                          caller=("Bob", "1002"), exten="555")),
        ("pbx2", _channel("c", name="Local/100@default-3;1", app="other", created="2026-11-26T14:33:19.000+0000")),
    ]
    for server, channel in rows:
        if channel.dialplan.app_name == "Stasis":
            registry.apply(ev.StasisStart("StasisStart", channel.dialplan.app_data, "t", None, channel, (), None),
                           server)
        else:
            registry.apply(ev.ChannelCreated("ChannelCreated", APP, "t", None, channel), server)
    return registry


def test_list_channels_filters_sorts_and_pages() -> None:
    service = ChannelService({}, _listing_registry(), clock=lambda: 1795703600.0)

    def ids(**query: Any) -> list[str]:
        return [e.id for e in service.list_channels(**query)[1]]

    assert ids() == ["c", "a", "b"]  # newest first
    assert ids(sort="created") == ["b", "a", "c"]
    assert ids(sort="name") == ["c", "a", "b"] and ids(sort="-name") == ["b", "a", "c"]
    assert ids(text="ALICE") == ["a"] and ids(text="1002") == ["b"] and ids(text="555") == ["b"]
    assert ids(text="other") == ["c"] and ids(text="local/100") == ["c"]
    assert ids(state="ring") == ["b"] and ids(state=["Up", "Ring"]) == ["c", "a", "b"]
    assert ids(in_app=True) == ["c", "a"] and ids(in_app=False) == ["b"]
    assert ids(server="pbx2") == ["c"]
    # 1795703600 is 14:33:20: ages are 1 s (c), 10 s (a) and 50 s (b)
    assert ids(min_age=5) == ["a", "b"] and ids(max_age=5) == ["c"] and ids(min_age=5, max_age=20) == ["a"]
    total, page = service.list_channels(offset=1, limit=1)
    assert total == 3 and [e.id for e in page] == ["a"]
    assert service.list_channels(text="nobody") == (0, [])
    with pytest.raises(ValidationError) as caught:
        service.list_channels(sort="colour")
    assert caught.value.parameter == "sort"


def test_an_unknown_server_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        ChannelService({}, ChannelRegistry()).client("elsewhere")
    assert caught.value.parameter == "server"


@pytest.fixture
def service(client: AriClient, registry: ChannelRegistry) -> ChannelService:
    return ChannelService({"default": client}, registry)


async def test_details(service: ChannelService, client: AriClient, in_stasis: StasisFactory) -> None:
    phone = await in_stasis("PJSIP/alice")
    await client.set_channel_var(phone.id, variable="DASH", value="yes")
    details = await service.details("default", phone.id, variables=["DASH", "NOT_SET", "CHANNEL(state)"])
    assert details.channel.id == phone.id and details.entry is not None and details.entry.stasis_app == APP
    assert dict(details.variables) == {"DASH": "yes", "NOT_SET": None, "CHANNEL(state)": "Up"}
    assert details.rtp is not None and details.rtp.channel_uniqueid == phone.id
    assert details.to_dict()["entry"]["server"] == "default"
    local = await in_stasis()
    assert (await service.details("default", local.id)).rtp is None  # Local channels carry no RTP


async def test_actions_record_the_flags_asterisk_does_not_report(
        service: ChannelService, in_stasis: StasisFactory, registry: ChannelRegistry) -> None:
    channel_id = (await in_stasis()).id
    key = ("default", channel_id)
    await service.hold("default", channel_id)
    await service.mute("default", channel_id, direction="in")
    await service.start_moh("default", channel_id, moh_class="jazz")
    await service.start_silence("default", channel_id)
    await service.ring("default", channel_id)
    entry = registry.get(key)
    assert entry is not None
    assert (entry.held_by, entry.muted, entry.moh_class, entry.silence, entry.ringing) == (
        "dashboard", {"in"}, "jazz", True, True)
    await service.unhold("default", channel_id)
    await service.unmute("default", channel_id)
    await service.stop_moh("default", channel_id)
    await service.stop_silence("default", channel_id)
    await service.ring_stop("default", channel_id)
    entry = registry.get(key)
    assert entry is not None and not entry.dashboard_flags and not entry.held and not entry.muted


async def test_a_failed_action_records_nothing(service: ChannelService, client: AriClient,
                                               registry: ChannelRegistry, stream: Any) -> None:
    channel = await client.originate(endpoint="Local/100@default", extension="100")
    await eventually(lambda: registry.get(("default", channel.id)))
    with pytest.raises(NotInStasis):
        await service.hold("default", channel.id)
    assert registry.get(("default", channel.id)).held is False  # type: ignore[union-attr]


async def test_a_custom_recorder_gets_the_action_and_its_parameters(
        client: AriClient, registry: ChannelRegistry, in_stasis: StasisFactory) -> None:
    calls: list[tuple[str, str, str, dict[str, Any]]] = []

    async def record(server: str, channel_id: str, action: str, params: dict[str, Any]) -> None:
        calls.append((server, channel_id, action, params))

    service = ChannelService({"default": client}, registry, record_flag=record)
    channel_id = (await in_stasis()).id
    await service.mute("default", channel_id, direction="out")
    await service.answer("default", channel_id)  # not a flag: not recorded
    assert calls == [("default", channel_id, "mute", {"direction": "out"})]
    assert registry.get(("default", channel_id)).muted == frozenset()  # type: ignore[union-attr]


# What to send for each action when checking it against the simulator.
_ids = itertools.count()


def _params(action: str) -> dict[str, Any]:
    n = next(_ids)
    return {
        "move": {"app": APP},
        "redirect": {"endpoint": "Local/101@default"},
        "send_dtmf": {"dtmf": "1"},
        "play": {"media": "sound:beep"},
        "play_with_id": {"playback_id": f"pb-{n}", "media": "sound:beep"},
        "record": {"name": f"rec-{n}", "format": "wav"},
        "get_channel_var": {"variable": "CHANNEL(state)"},
        "set_channel_var": {"variable": "X", "value": "1"},
        "snoop_channel": {"app": APP, "spy": "in"},
        "snoop_channel_with_id": {"snoop_id": f"snoop-{n}", "app": APP, "spy": "in"},
    }.get(action, {})


# Actions that change what the channel is (checked only where they must be refused), and the
# order that keeps one action from spoiling the next (answer waits for a playback to end).
_DESTRUCTIVE = {"hangup", "continue_in_dialplan", "move", "redirect", "dial"}
_ORDER = sorted(CHANNEL_ACTIONS, key=lambda a: (a in ("play", "play_with_id", "record"), a))
_REFUSAL = {"not in a Stasis": NotInStasis, "dialled first": InvalidState, "not answered": InvalidState,
            "can be dialled": Conflict, "no RTP": (Forbidden, NotFound)}


async def _check_against_asterisk(service: ChannelService, entry: LiveChannel,
                                  skip: frozenset[str] = frozenset()) -> dict[str, str | None]:
    verdicts = service.applicable_actions(entry)
    assert set(verdicts) == set(CHANNEL_ACTIONS)
    for action in _ORDER:
        reason = verdicts[action]
        if (reason is None and action in _DESTRUCTIVE) or action in skip:
            continue
        call = getattr(service, action)("default", entry.id, **_params(action))
        if reason is None:
            await call
            continue
        expected = next(cls for words, cls in _REFUSAL.items() if words in reason)
        with pytest.raises(AriError) as refused:
            await call
        assert isinstance(refused.value, expected), (action, reason, refused.value)
        if isinstance(refused.value, NotInStasis):
            assert str(refused.value) == reason
    return verdicts


async def test_applicable_actions_match_what_asterisk_answers(
        service: ChannelService, client: AriClient, registry: ChannelRegistry,
        in_stasis: StasisFactory) -> None:
    def settled(channel_id: str, state: str, in_app: bool) -> Any:
        return lambda: (e := registry.get(("default", channel_id))) and e.state == state and \
            (e.stasis_app is not None) == in_app and e

    in_dialplan = await client.originate(endpoint="Local/100@default", extension="100")
    verdicts = await _check_against_asterisk(service, await eventually(settled(in_dialplan.id, "Up", False)))
    assert verdicts["hold"] == "not in a Stasis application: ARI cannot hold a channel that is in the dialplan"
    assert verdicts["get_channel_var"] is None and verdicts["snoop_channel"] is None

    answered = await in_stasis()
    verdicts = await _check_against_asterisk(service, answered)
    assert all(verdicts[a] is None for a in ("hold", "mute", "play", "answer", "move", "redirect"))
    assert verdicts["dial"] is not None and verdicts["rtp_statistics"] is not None

    await client.create(endpoint="Local/100@default", app=APP, channel_id="created-x")
    created = await eventually(settled("created-x", "Down", True))
    # A recording runs in the channel's own thread, as in Asterisk: started here it would hold
    # up the dial below until it ends. (It is accepted; the answered channel above shows it.)
    verdicts = await _check_against_asterisk(service, created, skip=frozenset({"record"}))
    assert verdicts["hold"] == "a created channel must be dialled first" and verdicts["dial"] is None
    await service.dial("default", "created-x", timeout=10)
    await eventually(settled("created-x", "Up", True))

    await client.create(endpoint="Local/104@default", app=APP, channel_id="ringing-x")
    await service.dial("default", "ringing-x", timeout=30)
    ringing = await eventually(settled("ringing-x", "Ringing", True))
    verdicts = await _check_against_asterisk(service, ringing)
    assert verdicts["answer"] == "the channel is not answered yet"

    phone = await in_stasis("PJSIP/bob")
    assert (await _check_against_asterisk(service, phone))["rtp_statistics"] is None
