"""HTTP in front of the PBX: the /ari router (authentication, CORS, 404/405, trailing slashes,
faults, the request log) and the /ari/events WebSocket.

Routing is done here rather than by aiohttp's router because Asterisk's answers for unknown
paths, wrong methods and OPTIONS are part of what clients see.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Awaitable, Callable
from urllib.parse import unquote

import orjson
from aiohttp import WSMsgType, web

from . import bridges, channels, resources
from .errors import AllocationFailed, AriError
from .events import EventSocket
from .params import Params, ast_true
from .responses import BASE_HEADERS, Ctx, error, json_response

if TYPE_CHECKING:  # pragma: no cover
    from .server import Simulator

Handler = Callable[[Ctx], Awaitable[web.Response]]

# Path templates and their methods, in the order Asterisk lists them in `Allow`.
ROUTES: list[tuple[str, list[tuple[str, Handler]]]] = [
    ("/asterisk/info", [("GET", resources.asterisk_info)]),
    ("/asterisk/ping", [("GET", resources.asterisk_ping)]),
    ("/asterisk/modules", [("GET", resources.list_modules)]),
    ("/asterisk/modules/{moduleName}", [("GET", resources.get_module)]),
    ("/asterisk/variable", [("GET", resources.get_global_var), ("POST", resources.set_global_var)]),
    ("/applications", [("GET", resources.list_applications)]),
    ("/applications/{applicationName}", [("GET", resources.get_application)]),
    ("/applications/{applicationName}/subscription",
     [("POST", resources.subscribe), ("DELETE", resources.unsubscribe)]),
    ("/endpoints", [("GET", resources.list_endpoints)]),
    ("/endpoints/{tech}", [("GET", resources.list_endpoints_by_tech)]),
    ("/endpoints/{tech}/{resource}", [("GET", resources.get_endpoint)]),
    ("/bridges", [("GET", bridges.list_bridges), ("POST", bridges.create_bridge)]),
    ("/bridges/{bridgeId}", [("POST", bridges.create_bridge), ("GET", bridges.get_bridge),
                             ("DELETE", bridges.destroy_bridge)]),
    ("/bridges/{bridgeId}/addChannel", [("POST", bridges.add_channel)]),
    ("/bridges/{bridgeId}/removeChannel", [("POST", bridges.remove_channel)]),
    ("/bridges/{bridgeId}/videoSource/{channelId}", [("POST", bridges.set_video_source)]),
    ("/bridges/{bridgeId}/videoSource", [("DELETE", bridges.clear_video_source)]),
    ("/bridges/{bridgeId}/moh", [("POST", bridges.start_moh), ("DELETE", bridges.stop_moh)]),
    ("/bridges/{bridgeId}/play", [("POST", bridges.play)]),
    ("/bridges/{bridgeId}/play/{playbackId}", [("POST", bridges.play)]),
    ("/channels", [("GET", channels.list_channels), ("POST", channels.originate)]),
    ("/channels/create", [("POST", channels.create)]),
    ("/channels/externalMedia", [("POST", channels.external_media)]),
    ("/channels/{channelId}", [("GET", channels.get_channel), ("POST", channels.originate),
                               ("DELETE", channels.hangup)]),
    ("/channels/{channelId}/continue", [("POST", channels.continue_in_dialplan)]),
    ("/channels/{channelId}/move", [("POST", channels.move)]),
    ("/channels/{channelId}/redirect", [("POST", channels.redirect)]),
    ("/channels/{channelId}/answer", [("POST", channels.answer)]),
    ("/channels/{channelId}/ring", [("POST", channels.ring), ("DELETE", channels.ring_stop)]),
    ("/channels/{channelId}/progress", [("POST", channels.progress)]),
    ("/channels/{channelId}/dtmf", [("POST", channels.send_dtmf)]),
    ("/channels/{channelId}/mute", [("POST", channels.mute), ("DELETE", channels.unmute)]),
    ("/channels/{channelId}/hold", [("POST", channels.hold), ("DELETE", channels.unhold)]),
    ("/channels/{channelId}/moh", [("POST", channels.start_moh), ("DELETE", channels.stop_moh)]),
    ("/channels/{channelId}/silence", [("POST", channels.start_silence), ("DELETE", channels.stop_silence)]),
    ("/channels/{channelId}/play", [("POST", channels.play)]),
    ("/channels/{channelId}/play/{playbackId}", [("POST", channels.play)]),
    ("/channels/{channelId}/record", [("POST", channels.record)]),
    ("/channels/{channelId}/variable", [("GET", channels.get_variable), ("POST", channels.set_variable)]),
    ("/channels/{channelId}/variables", [("GET", channels.get_variables), ("POST", channels.set_variables)]),
    ("/channels/{channelId}/snoop", [("POST", channels.snoop)]),
    ("/channels/{channelId}/snoop/{snoopId}", [("POST", channels.snoop)]),
    ("/channels/{channelId}/dial", [("POST", channels.dial)]),
    ("/channels/{channelId}/rtp_statistics", [("GET", channels.rtp_statistics)]),
    ("/channels/{channelId}/transfer_progress", [("POST", channels.transfer_progress)]),
    ("/playbacks/{playbackId}", [("GET", resources.get_playback), ("DELETE", resources.stop_playback)]),
    ("/playbacks/{playbackId}/control", [("POST", resources.control_playback)]),
    ("/recordings/stored", [("GET", resources.list_stored)]),
    ("/recordings/stored/{recordingName}", [("GET", resources.get_stored), ("DELETE", resources.delete_stored)]),
    ("/recordings/stored/{recordingName}/file", [("GET", resources.get_stored_file)]),
    ("/recordings/stored/{recordingName}/copy", [("POST", resources.copy_stored)]),
    ("/recordings/live/{recordingName}", [("GET", resources.get_live), ("DELETE", resources.cancel_live)]),
    ("/recordings/live/{recordingName}/stop", [("POST", resources.stop_live)]),
    ("/recordings/live/{recordingName}/pause", [("POST", resources.pause_live), ("DELETE", resources.unpause_live)]),
    ("/recordings/live/{recordingName}/mute", [("POST", resources.mute_live), ("DELETE", resources.unmute_live)]),
    ("/events", [("GET", None)]),  # the WebSocket, handled before routing
    ("/events/user/{eventName}", [("POST", resources.user_event)]),
]


class _Node:
    __slots__ = ("literals", "param", "param_name", "methods")

    def __init__(self):
        self.literals: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.param_name = ""
        self.methods: dict[str, Handler | None] = {}


class Router:
    def __init__(self, routes=ROUTES):
        self.root = _Node()
        for template, methods in routes:
            node = self.root
            for segment in template.strip("/").split("/"):
                if segment.startswith("{"):
                    if node.param is None:
                        node.param = _Node()
                        node.param_name = segment[1:-1]
                    node = node.param
                else:
                    node = node.literals.setdefault(segment, _Node())
            node.methods.update(methods)

    def match(self, segments: list[str]) -> tuple[_Node, dict] | None:
        """Literal segments win over parameters, without backtracking (as Asterisk resolves)."""
        node, path = self.root, {}
        for segment in segments:
            child = node.literals.get(segment)
            if child is None:
                if node.param is None:
                    return None
                path[node.param_name] = segment
                child = node.param
            node = child
        if not node.methods:
            return None
        return node, path


def allow_header(node: _Node) -> str:
    return ",".join(["OPTIONS", *node.methods])


def _authorized(request: web.Request, expected: str) -> bool:
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            if base64.b64decode(header[6:].strip()).decode("utf-8", "replace") == expected:
                return True
        except (binascii.Error, ValueError):
            pass
    key = request.rel_url.query.get("api_key")
    return key is not None and key == expected


def _last_wins(query) -> dict:
    values = {}
    for key, value in query.items():
        values[key] = value
    return values


class AriApp:
    """The /ari handler bound to one simulator."""

    def __init__(self, sim: "Simulator"):
        self.sim = sim
        self.router = Router()

    def cors_headers(self, request: web.Request) -> dict:
        origin = request.headers.get("Origin")
        if origin and origin in self.sim.config.allowed_origins:
            return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}
        return {}

    def unauthorized(self, request: web.Request) -> web.Response:
        headers = self.cors_headers(request)
        headers["WWW-Authenticate"] = 'Basic realm="Asterisk REST Interface"'
        return error(401, "Authentication required", headers)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        sim = self.sim
        raw_path = request.rel_url.raw_path
        body_text = await request.text() if request.body_exists else ""
        entry = sim.log_request(request, raw_path, body_text)
        response = await self._handle(request, raw_path, body_text)
        if entry is not None:
            entry["status"] = response.status
        return response

    async def _handle(self, request: web.Request, raw_path: str, body_text: str) -> web.StreamResponse:
        sim = self.sim
        faults = sim.faults
        if faults.is_down():
            return error(503, "Service Unavailable")
        if faults.delay_ms:
            await asyncio.sleep(faults.delay_ms / 1000)
        status = faults.error()
        if status is not None:
            return error(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error")
        if not _authorized(request, sim.config.credentials):
            return self.unauthorized(request)
        sub = raw_path[len("/ari"):]
        if sub == "/events" and request.method == "GET":
            return await self.events(request)
        cors = self.cors_headers(request)
        if len(sub) > 1 and sub.endswith("/"):
            return error(404, f"ARI URLs do not end with a slash. Try /ari{sub.rstrip('/')}", cors)
        segments = [unquote(s) for s in sub.strip("/").split("/")] if sub.strip("/") else []
        matched = self.router.match(segments)
        if request.method == "OPTIONS":
            if matched is None:
                return error(404, "Resource not found", cors)
            allow = allow_header(matched[0])
            headers = dict(cors)
            headers["Allow"] = allow
            if cors:
                headers["Access-Control-Allow-Methods"] = allow
                asked = request.headers.get("Access-Control-Request-Headers")
                if asked:
                    headers["Access-Control-Allow-Headers"] = asked
            return web.Response(status=204, headers={**BASE_HEADERS, **headers})
        if matched is None:
            return error(404, "Resource not found", cors)
        node, path = matched
        handler = node.methods.get(request.method)
        if request.method not in node.methods:
            headers = dict(cors)
            headers["Allow"] = allow_header(node)
            return error(405, "Invalid method", headers)
        body = None
        if body_text.strip():
            try:
                body = orjson.loads(body_text)
            except orjson.JSONDecodeError:
                return error(400, "Error parsing request body", cors)
        ctx = Ctx(sim=sim, request=request, params=Params(_last_wins(request.rel_url.query), body), path=path)
        try:
            response = await handler(ctx)
        except AllocationFailed:
            headers = dict(cors)
            headers["Connection"] = "close"
            return json_response(500, {"error": "Allocation failed"}, headers)
        except AriError as failure:
            return error(failure.status, failure.message, cors)
        if cors:
            response.headers.update(cors)
        return response

    async def events(self, request: web.Request) -> web.StreamResponse:
        sim = self.sim
        names = [name for name in request.rel_url.query.get("app", "").split(",") if name]
        if not names:
            body = ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n'
                    "<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n"
                    "<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n<address>Asterisk</address>\r\n"
                    "</body></html>\r\n")
            return web.Response(status=400, text=body, content_type="text/html", headers=BASE_HEADERS)
        ws = web.WebSocketResponse(autoping=True)
        if not ws.can_prepare(request).ok:
            return error(426, "Upgrade Required")
        await ws.prepare(request)
        socket = EventSocket(ws, request.transport)
        sim.bus.register(socket, names, ast_true(request.rel_url.query.get("subscribeAll")))
        socket.writer = asyncio.get_running_loop().create_task(socket.run_writer())
        try:
            async for message in ws:
                if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            socket.closed = True
            socket.wakeup.set()
            sim.bus.unregister(socket)
            if socket.writer is not None:
                socket.writer.cancel()
        return ws


def request_entry(request: web.Request, raw_path: str, body_text: str) -> dict:
    """One line of the control API's request log."""
    query: dict = {}
    for key, value in request.rel_url.query.items():
        if key in query:
            previous = query[key]
            query[key] = previous + [value] if isinstance(previous, list) else [previous, value]
        else:
            query[key] = value
    body = None
    if body_text:
        try:
            body = orjson.loads(body_text)
        except orjson.JSONDecodeError:
            body = body_text
    return {"time": time.time(), "method": request.method, "path": raw_path, "query": query, "json": body,
            "status": None}
