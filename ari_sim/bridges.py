"""Bridges: the engine (enter, leave, destroy, BRIDGEPEER) and the /bridges resource."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from aiohttp import web

from .errors import AriError
from .responses import Ctx, created, no_content, ok
from .state import Bridge, Channel
from .timefmt import ast_time

if TYPE_CHECKING:  # pragma: no cover
    from .pbx import Pbx

BRIDGE_TYPES = frozenset(("mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single",
                          "sdp_label"))


class Bridging:
    def __init__(self, pbx: "Pbx"):
        self.pbx = pbx

    def create(self, types: str | None, bridge_id: str | None, name: str | None) -> Bridge:
        parts = tuple(t.strip() for t in (types or "mixing").split(",") if t.strip()) or ("mixing",)
        if any(part not in BRIDGE_TYPES for part in parts):
            raise AriError(500, "Unable to create bridge")
        bridge = Bridge(id=bridge_id or str(uuid.uuid4()), name=name or "", types=parts, creationtime=ast_time())
        self.pbx.bridges[bridge.id] = bridge
        self.pbx.bus.bridge_event("BridgeCreated", bridge)
        return bridge

    def destroy(self, bridge: Bridge) -> None:
        # Asterisk clears BRIDGEPEER on everyone first, then lets the channels go, newest first.
        for channel in bridge.channels:
            self._set_peer(channel, "")
        for channel in reversed(list(bridge.channels)):
            bridge.channels.remove(channel)
            channel.bridge = None
            self.pbx.bus.bridge_channel_event("ChannelLeftBridge", bridge, channel)
        self.pbx.bridges.pop(bridge.id, None)
        self.pbx.bus.bridge_event("BridgeDestroyed", bridge)
        self.pbx.bus.forget_bridge(bridge)

    def add(self, bridge: Bridge, channels: list[Channel]) -> None:
        entered = []
        for channel in channels:
            if channel.bridge is bridge or not channel.alive:
                continue
            if channel.bridge is not None:
                self.leave(channel)
            channel.bridge = bridge
            bridge.channels.append(channel)
            if channel.stasis_app is not None:
                self.pbx.bus.subscribe_bridge(channel.stasis_app, bridge)
            self.pbx.bus.bridge_channel_event("ChannelEnteredBridge", bridge, channel)
            entered.append(channel)
        if entered:
            for channel in bridge.channels:
                others = [c.name for c in bridge.channels if c is not channel]
                self._set_peer(channel, ",".join(others))

    def leave(self, channel: Channel) -> None:
        bridge = channel.bridge
        if bridge is None:
            return
        self._set_peer(channel, "")
        bridge.channels.remove(channel)
        channel.bridge = None
        self.pbx.bus.bridge_channel_event("ChannelLeftBridge", bridge, channel)

    def _set_peer(self, channel: Channel, value: str) -> None:
        if channel.vars.get("BRIDGEPEER", "") == value and (value or "BRIDGEPEER" in channel.vars):
            return
        self.pbx.set_variable_raw(channel, "BRIDGEPEER", value)


# --- /bridges ---------------------------------------------------------------------------------


def _find(ctx: Ctx) -> Bridge:
    bridge = ctx.pbx.bridges.get(ctx.path["bridgeId"])
    if bridge is None:
        raise AriError(404, "Bridge not found")
    return bridge


def _stasis_channels(ctx: Ctx) -> list[Channel]:
    ids = ctx.params.list("channel")
    if not ids:
        raise AriError(400, "Missing parameter channel")
    channels = []
    for cid in ids:
        channel = ctx.pbx.channels.get(cid)
        if channel is None:
            raise AriError(400, "Channel not found")
        if channel.stasis_app is None:
            raise AriError(422, "Channel not in Stasis application")
        channels.append(channel)
    return channels


async def list_bridges(ctx: Ctx) -> web.Response:
    return ok([bridge.to_json() for bridge in ctx.pbx.bridges.values()])


async def create_bridge(ctx: Ctx) -> web.Response:
    p = ctx.params
    bridge_id = ctx.path.get("bridgeId") or p.str("bridgeId")
    existing = ctx.pbx.bridges.get(bridge_id) if bridge_id else None
    if existing is not None:
        if "bridgeId" not in ctx.path:
            raise AriError(409, f"Bridge with id '{bridge_id}' already exists")
        if p.str("name") and p.str("name") != existing.name:
            raise AriError(500, "Changing bridge name is not implemented")
        if p.str("type"):
            raise AriError(500, "Supplying a bridge type when updating a bridge is not allowed.")
        return ok(existing.to_json())
    bridge = ctx.pbx.bridging.create(p.str("type"), bridge_id, p.str("name"))
    return ok(bridge.to_json())


async def get_bridge(ctx: Ctx) -> web.Response:
    return ok(_find(ctx).to_json())


async def destroy_bridge(ctx: Ctx) -> web.Response:
    ctx.pbx.bridging.destroy(_find(ctx))
    return no_content()


async def add_channel(ctx: Ctx) -> web.Response:
    bridge = _find(ctx)
    channels = _stasis_channels(ctx)
    ctx.pbx.bridging.add(bridge, channels)
    return no_content()


async def remove_channel(ctx: Ctx) -> web.Response:
    bridge = _find(ctx)
    channels = _stasis_channels(ctx)
    if any(channel.bridge is not bridge for channel in channels):
        raise AriError(422, "Channel not in this bridge")
    for channel in channels:
        ctx.pbx.bridging.leave(channel)
    return no_content()


async def start_moh(ctx: Ctx) -> web.Response:
    _find(ctx).moh_class = ctx.params.str("mohClass") or "default"
    return no_content()


async def stop_moh(ctx: Ctx) -> web.Response:
    _find(ctx).moh_class = None
    return no_content()


async def play(ctx: Ctx) -> web.Response:
    bridge = _find(ctx)
    p = ctx.params
    if p.int("skipms", 3000) < 0:
        raise AriError(400, "skipms cannot be negative")
    if p.int("offsetms") < 0:
        raise AriError(400, "offsetms cannot be negative")
    media = p.list("media")
    if not media:
        raise AriError(500, "Failed to queue media for playback")
    playback, initial = ctx.pbx.media.play(channel=None, bridge=bridge, media=media,
                                           language=p.str("lang") or "en",
                                           playback_id=ctx.path.get("playbackId") or p.str("playbackId"),
                                           skipms=p.int("skipms", 3000), offsetms=p.int("offsetms"))
    return created(f"/ari/playbacks/{playback.id}", initial)


async def set_video_source(ctx: Ctx) -> web.Response:
    bridge = _find(ctx)
    channel = ctx.pbx.channels.get(ctx.path["channelId"])
    if channel is None:
        raise AriError(404, "Channel not found")
    if channel.stasis_app is None:
        raise AriError(409, "Channel not in Stasis application")
    if channel.bridge is not bridge:
        raise AriError(422, "Channel not in this Bridge")
    bridge.video_source_id = channel.id
    return no_content()


async def clear_video_source(ctx: Ctx) -> web.Response:
    _find(ctx).video_source_id = None
    return no_content()
