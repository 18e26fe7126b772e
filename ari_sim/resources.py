"""The smaller ARI resources: /asterisk, /applications, /endpoints, /playbacks, /recordings and
user events."""
from __future__ import annotations

import platform

from aiohttp import web

from .errors import AriError, bad_request
from .responses import BASE_HEADERS, Ctx, no_content, ok
from .timefmt import ast_time
from .state import StoredRecording
from .variables import split_function

PLAYBACK_OPERATIONS = ("restart", "pause", "unpause", "reverse", "forward")
MODULES = {
    "res_ari.so": "Asterisk RESTful Interface",
    "res_ari_applications.so": "RESTful API module - Stasis application resources",
    "res_ari_asterisk.so": "RESTful API module - Asterisk resources",
    "res_ari_bridges.so": "RESTful API module - Bridge resources",
    "res_ari_channels.so": "RESTful API module - Channel resources",
    "res_ari_endpoints.so": "RESTful API module - Endpoint resources",
    "res_ari_events.so": "RESTful API module - WebSocket resource",
    "res_ari_playbacks.so": "RESTful API module - Playback control resources",
    "res_ari_recordings.so": "RESTful API module - Recording resources",
    "res_stasis.so": "Stasis application support",
    "chan_pjsip.so": "PJSIP Channel Driver",
    "chan_sip.so": "Session Initiation Protocol (SIP)",
    "app_echo.so": "Simple Echo Application",
}


# --- /asterisk --------------------------------------------------------------------------------


async def asterisk_info(ctx: Ctx) -> web.Response:
    config = ctx.sim.config
    pbx = ctx.pbx
    info = {
        "build": {"os": platform.system(), "kernel": platform.release(), "machine": platform.machine(),
                  "options": "OPTIONAL_API", "date": pbx.startup_time[:10] + " 00:00:00 UTC", "user": "root"},
        "system": {"version": config.version, "entity_id": config.asterisk_id},
        "config": {"name": "", "default_language": "en", "setid": {"user": "", "group": ""}},
        "status": {"startup_time": pbx.startup_time, "last_reload_time": pbx.last_reload_time},
    }
    only = ctx.params.list("only")
    if only:
        for part in only:
            if part not in info:
                raise bad_request(f"Unknown 'only' value: {part}")
        info = {key: value for key, value in info.items() if key in only}
    return ok(info)


async def asterisk_ping(ctx: Ctx) -> web.Response:
    return ok({"ping": "pong", "timestamp": ast_time(), "asterisk_id": ctx.sim.config.asterisk_id})


def _module(name: str) -> dict:
    return {"name": name, "description": MODULES[name], "use_count": 0, "status": "Running",
            "support_level": "core"}


async def list_modules(ctx: Ctx) -> web.Response:
    return ok([_module(name) for name in MODULES])


async def get_module(ctx: Ctx) -> web.Response:
    name = ctx.path["moduleName"]
    if name not in MODULES:
        raise AriError(404, "Module could not be found in running modules")
    return ok(_module(name))


async def get_global_var(ctx: Ctx) -> web.Response:
    name = ctx.params.str("variable")
    if not name:
        raise bad_request("Variable name is required")
    if name.endswith(")"):
        parts = split_function(name)
        if parts is None or parts[0] not in ("ASTVERSION", "LEN", "GLOBAL"):
            raise AriError(500, "Unable to read provided function")
        if parts[0] == "GLOBAL":
            return ok({"value": ctx.pbx.global_vars.get(parts[1], "")})
        # The capture PBX answers ASTVERSION() with an empty string.
        return ok({"value": "" if parts[0] == "ASTVERSION" else str(len(parts[1]))})
    return ok({"value": ctx.pbx.global_vars.get(name, "")})


async def set_global_var(ctx: Ctx) -> web.Response:
    name = ctx.params.str("variable")
    if not name:
        raise bad_request("Variable name is required")
    value = ctx.params.raw("value")
    if value:
        ctx.pbx.global_vars[name] = value
    else:
        ctx.pbx.global_vars.pop(name, None)
    return no_content()


# --- /applications ----------------------------------------------------------------------------


async def list_applications(ctx: Ctx) -> web.Response:
    return ok([app.to_json() for app in ctx.sim.bus.apps.values()])


def _application(ctx: Ctx):
    app = ctx.sim.bus.apps.get(ctx.path["applicationName"])
    if app is None:
        raise AriError(404, "Application not found")
    return app


async def get_application(ctx: Ctx) -> web.Response:
    return ok(_application(ctx).to_json())


def _event_sources(ctx: Ctx) -> list[str]:
    sources = ctx.params.list("eventSource")
    if not sources:
        raise bad_request("Missing parameter eventSource")
    return sources


async def subscribe(ctx: Ctx) -> web.Response:
    app = _application(ctx)
    bus, pbx = ctx.sim.bus, ctx.pbx
    for source in _event_sources(ctx):
        scheme, _, name = source.partition(":")
        if scheme == "channel":
            channel = pbx.channels.get(name)
            if channel is None:
                raise AriError(422, "Event source does not exist")
            bus.subscribe_channel(app.name, channel)
        elif scheme == "bridge":
            bridge = pbx.bridges.get(name)
            if bridge is None:
                raise AriError(422, "Event source does not exist")
            bus.subscribe_bridge(app.name, bridge)
        elif scheme == "endpoint":
            tech, _, resource = name.partition("/")
            phone = pbx.phones.get(tech, resource)
            if phone is None:
                raise AriError(422, "Event source does not exist")
            bus.subscribe_endpoint(app.name, phone)
        elif scheme == "deviceState":
            pass
        else:
            raise bad_request("Invalid event source URI scheme")
    return ok(app.to_json())


async def unsubscribe(ctx: Ctx) -> web.Response:
    app = _application(ctx)
    bus, pbx = ctx.sim.bus, ctx.pbx
    for source in _event_sources(ctx):
        scheme, _, name = source.partition(":")
        if scheme == "channel":
            channel = pbx.channels.get(name)
            if channel is None:
                raise AriError(422, "Event source does not exist")
            if app.name not in channel.subscribers:
                raise AriError(409, "Application not subscribed to event source")
            bus.unsubscribe_channel(app.name, channel)
        elif scheme == "bridge":
            bridge = pbx.bridges.get(name)
            if bridge is None:
                raise AriError(422, "Event source does not exist")
            if app.name not in bridge.subscribers:
                raise AriError(409, "Application not subscribed to event source")
            bridge.subscribers.discard(app.name)
            app.bridges.discard(bridge.id)
        elif scheme == "endpoint":
            tech, _, resource = name.partition("/")
            phone = pbx.phones.get(tech, resource)
            if phone is None:
                raise AriError(422, "Event source does not exist")
            if name not in app.endpoints:
                raise AriError(409, "Application not subscribed to event source")
            bus.unsubscribe_endpoint(app.name, phone)
        elif scheme != "deviceState":
            raise bad_request("Invalid event source URI scheme")
    return ok(app.to_json())


# --- /endpoints -------------------------------------------------------------------------------


async def list_endpoints(ctx: Ctx) -> web.Response:
    return ok([endpoint.to_json() for endpoint in ctx.pbx.phones.all()])


async def list_endpoints_by_tech(ctx: Ctx) -> web.Response:
    tech = ctx.path["tech"]
    endpoints = ctx.pbx.phones.by_tech(tech)
    if not endpoints and tech not in ctx.pbx.phones.technologies():
        raise AriError(404, f"No Endpoints found - invalid tech {tech}")
    return ok([endpoint.to_json() for endpoint in endpoints])


async def get_endpoint(ctx: Ctx) -> web.Response:
    # ast_endpoint_latest_snapshot upper-cases the technology of the id it looks up.
    endpoint = ctx.pbx.phones.get(ctx.path["tech"].upper(), ctx.path["resource"])
    if endpoint is None:
        raise AriError(404, "Endpoint not found")
    return ok(endpoint.to_json())


# --- /playbacks -------------------------------------------------------------------------------


def _playback(ctx: Ctx):
    playback = ctx.pbx.playbacks.get(ctx.path["playbackId"])
    if playback is None:
        raise AriError(404, "Playback not found")
    return playback


async def get_playback(ctx: Ctx) -> web.Response:
    return ok(_playback(ctx).to_json())


async def stop_playback(ctx: Ctx) -> web.Response:
    ctx.pbx.media.stop_playback(_playback(ctx))
    return no_content()


async def control_playback(ctx: Ctx) -> web.Response:
    playback = _playback(ctx)
    operation = ctx.params.str("operation") or ""
    if operation not in PLAYBACK_OPERATIONS:
        raise bad_request(f"Invalid operation {operation}")
    ctx.pbx.media.control_playback(playback, operation)
    return no_content()


# --- /recordings ------------------------------------------------------------------------------


def _stored(ctx: Ctx):
    stored = ctx.pbx.stored_recordings.get(ctx.path["recordingName"])
    if stored is None:
        raise AriError(404, "Recording not found")
    return stored


def _live(ctx: Ctx):
    live = ctx.pbx.live_recordings.get(ctx.path["recordingName"])
    if live is None:
        raise AriError(404, "Recording not found")
    return live


async def list_stored(ctx: Ctx) -> web.Response:
    stored = ctx.pbx.stored_recordings
    return ok([stored[name].to_json() for name in sorted(stored)])


async def get_stored(ctx: Ctx) -> web.Response:
    return ok(_stored(ctx).to_json())


async def delete_stored(ctx: Ctx) -> web.Response:
    stored = _stored(ctx)
    del ctx.pbx.stored_recordings[stored.name]
    return no_content()


async def get_stored_file(ctx: Ctx) -> web.Response:
    body, content_type = ctx.pbx.media.stored_file(_stored(ctx))
    headers = dict(BASE_HEADERS)
    headers["Content-Type"] = content_type
    return web.Response(status=200, body=body, headers=headers)


async def copy_stored(ctx: Ctx) -> web.Response:
    stored = _stored(ctx)
    destination = ctx.params.str("destinationRecordingName")
    if not destination:
        raise bad_request("Destination recording name required")
    if destination in ctx.pbx.stored_recordings:
        raise AriError(409, "A recording with the same name already exists on the system")
    copy = StoredRecording(destination, stored.format, stored.seconds)
    ctx.pbx.stored_recordings[destination] = copy
    return ok(copy.to_json())


async def get_live(ctx: Ctx) -> web.Response:
    return ok(_live(ctx).to_json())


async def cancel_live(ctx: Ctx) -> web.Response:
    live = _live(ctx)
    if live.state in ("recording", "paused"):
        ctx.pbx.media.finish_recording(live, "canceled")
    else:
        live.state = "canceled"
        ctx.pbx.media._forget_recording(live)
    return no_content()


async def stop_live(ctx: Ctx) -> web.Response:
    live = _live(ctx)
    if live.state in ("recording", "paused"):
        ctx.pbx.media.finish_recording(live, "done")
    return no_content()


async def pause_live(ctx: Ctx) -> web.Response:
    ctx.pbx.media.pause_recording(_live(ctx), True)
    return no_content()


async def unpause_live(ctx: Ctx) -> web.Response:
    ctx.pbx.media.pause_recording(_live(ctx), False)
    return no_content()


async def mute_live(ctx: Ctx) -> web.Response:
    ctx.pbx.media.mute_recording(_live(ctx), True)
    return no_content()


async def unmute_live(ctx: Ctx) -> web.Response:
    ctx.pbx.media.mute_recording(_live(ctx), False)
    return no_content()


# --- /events/user -----------------------------------------------------------------------------


async def user_event(ctx: Ctx) -> web.Response:
    p = ctx.params
    application = p.str("application")
    if not application:
        raise bad_request("Missing parameter application")
    if application not in ctx.sim.bus.apps:
        raise AriError(404, "Application not found")
    channel = bridge = None
    for source in p.list("source"):
        scheme, _, name = source.partition(":")
        if scheme == "channel":
            channel = ctx.pbx.channels.get(name)
            if channel is None:
                raise AriError(422, "Event source not found")
        elif scheme == "bridge":
            bridge = ctx.pbx.bridges.get(name)
            if bridge is None:
                raise AriError(422, "Event source not found")
        else:
            raise bad_request("Invalid even tsource URI or userevent data.")
    variables = p.variables if isinstance(p.variables, dict) else {}
    ctx.sim.bus.user_event(ctx.path["eventName"], application, variables, channel=channel, bridge=bridge)
    return no_content()

