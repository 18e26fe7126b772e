"""The ARI HTTP client: one method per operation, typed answers, one connection pool.

``AriClient`` keeps ONE ``httpx.AsyncClient`` per Asterisk (keep-alive pool, timeouts, basic
auth), so callers never open a connection per request. It lives on one event loop: create and
use it there (``LoopThread`` gives sync code a loop to share). Every method validates its
parameters first (``ValidationError``, nothing sent) and maps error answers to the classes of
``errors``. Only reads (GET) are retried, on connection errors, timeouts and 5xx answers.

Ids in paths are percent-encoded as one path segment (``quote(id, safe="")``): a channel id
such as ``../asterisk/modules/res_ari.so`` is a request for that channel, never another URL.

Spec operation -> method (see ``operations.OPERATIONS`` for paths and parameters):

=====================  ==========================  ==================================
list                   list()                      GET /channels
originate              originate()                 POST /channels
create                 create()                    POST /channels/create
get                    get()                       GET /channels/{channelId}
originateWithId        originate_with_id()         POST /channels/{channelId}
hangup                 hangup()                    DELETE /channels/{channelId}
continueInDialplan     continue_in_dialplan()      POST .../continue
move                   move()                      POST .../move
redirect               redirect()                  POST .../redirect
answer                 answer()                    POST .../answer
ring                   ring()                      POST .../ring
ringStop               ring_stop()                 DELETE .../ring
sendDTMF               send_dtmf()                 POST .../dtmf
mute                   mute()                      POST .../mute
unmute                 unmute()                    DELETE .../mute
hold                   hold()                      POST .../hold
unhold                 unhold()                    DELETE .../hold
startMoh               start_moh()                 POST .../moh
stopMoh                stop_moh()                  DELETE .../moh
startSilence           start_silence()             POST .../silence
stopSilence            stop_silence()              DELETE .../silence
play                   play()                      POST .../play
playWithId             play_with_id()              POST .../play/{playbackId}
record                 record()                    POST .../record
getChannelVar          get_channel_var()           GET .../variable
setChannelVar          set_channel_var()           POST .../variable
snoopChannel           snoop_channel()             POST .../snoop
snoopChannelWithId     snoop_channel_with_id()     POST .../snoop/{snoopId}
dial                   dial()                      POST .../dial
rtpstatistics          rtp_statistics()            GET .../rtp_statistics
externalMedia          external_media()            POST /channels/externalMedia
=====================  ==========================  ==================================

Also: list_bridges, create_bridge, get_bridge, add_channel, remove_channel, destroy_bridge,
get_playback, stop_playback, get_live_recording, asterisk_info, ping, and the endpoints:
list_endpoints (GET /endpoints), list_endpoints_by_tech (GET /endpoints/{tech}),
get_endpoint (GET /endpoints/{tech}/{resource}).
"""
from __future__ import annotations

import asyncio
import base64
import builtins
from typing import Any, Literal, Mapping, Sequence
from urllib.parse import quote, urlencode

import httpx
import orjson

from .config import AriServerConfig
from .errors import AriError, AriTimeout, AriUnreachable, error_for
from .models import (
    AsteriskInfo,
    AsteriskPing,
    Bridge,
    Channel,
    Endpoint,
    LiveRecording,
    Playback,
    RTPstat,
    Variable,
    bridge_from_json,
    channel_from_json,
    endpoint_from_json,
    playback_from_json,
    recording_from_json,
)
from .operations import OPERATIONS, Operation
from .transport import AiohttpTransport
from .validation import validate

TransportName = Literal["httpx", "aiohttp"]
# Chosen by bench/ari_bridge_client.py (results in bench/results-client.json).
DEFAULT_TRANSPORT: TransportName = "aiohttp"
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4)  # between tries of a GET; at most len+1 tries

_PARSERS: dict[str, Any] = {
    "none": lambda body: None,
    "channel": channel_from_json,
    "channels": lambda body: [channel_from_json(c) for c in body],
    "playback": playback_from_json,
    "recording": recording_from_json,
    "variable": Variable.from_json,
    "rtpstat": RTPstat.from_json,
    "bridge": bridge_from_json,
    "bridges": lambda body: [bridge_from_json(b) for b in body],
    "asterisk_info": AsteriskInfo.from_json,
    "ping": AsteriskPing.from_json,
    "endpoint": endpoint_from_json,
    "endpoints": lambda body: [endpoint_from_json(e) for e in body],
}


def _wire(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def make_transport(name: TransportName | None = None, *, max_connections: int = 32) -> httpx.AsyncBaseTransport:
    """httpx's own transport or the lean aiohttp one (``transport.py``), with the same pool limits."""
    if (name or DEFAULT_TRANSPORT) == "aiohttp":
        return AiohttpTransport(max_connections=max_connections)
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    return httpx.AsyncHTTPTransport(limits=limits)


class AriClient:
    def __init__(
        self,
        config: AriServerConfig,
        *,
        transport: TransportName | httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        get_tries: int = 3,
        max_connections: int = 32,
    ) -> None:
        self.config = config
        self._get_tries = max(1, min(get_tries, len(RETRY_DELAYS) + 1))
        if not isinstance(transport, httpx.AsyncBaseTransport):
            transport = make_transport(transport, max_connections=max_connections)
        token = base64.b64encode(f"{config.username}:{config.password}".encode()).decode()
        # Requests go straight to the transport as httpx.Request objects: AsyncClient.send's auth flow,
        # redirect and cookie handling cost more than the request itself and ARI needs none of them.
        self._transport = transport
        self._base = config.ari_url.rstrip("/")
        self._headers = [(b"Authorization", f"Basic {token}".encode())]
        self._json_headers = [*self._headers, (b"Content-Type", b"application/json")]
        self._timeout = {"timeout": httpx.Timeout(timeout, connect=min(timeout, 5.0)).as_dict()}
        self._urls: dict[str, httpx.URL] = {}

    @property
    def server(self) -> str:
        return self.config.name

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ core
    def _url(self, path: str) -> httpx.URL:
        # Parsing a URL is a tenth of a request's CPU, and the same few repeat (hold, then unhold).
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= 4096:
                self._urls.clear()
            url = self._urls[path] = httpx.URL(self._base + path)
        return url

    async def _call(self, operation: str, **params: Any) -> Any:
        op = OPERATIONS[operation]
        values = validate(operation, params)
        path, query, body = self._request_parts(op, values)
        data = await self.request(op.method, path, params=query, body=body, operation=operation)
        return _PARSERS[op.returns](data)

    @staticmethod
    def _request_parts(op: Operation, values: dict[str, Any]) -> tuple[str, dict[str, str], Any]:
        path = op.path
        query: dict[str, str] = {}
        body = None
        for param in op.params:
            value = values.get(param.name)
            if value is None:
                continue
            if param.where == "path":
                path = path.replace("{" + param.ari + "}", quote(value, safe=""))
            elif param.where == "body":
                body = {param.ari: value}
            else:
                query[param.ari] = _wire(value)
        return path, query, body

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        operation: str | None = None,
    ) -> Any:
        """Send one request (``path`` below ``/ari``, already encoded) and decode the answer.

        Raises the ``errors`` class matching an error answer, ``AriUnreachable`` or
        ``AriTimeout``. GETs are tried again on those (not on 4xx)."""
        tries = self._get_tries if method == "GET" else 1
        url = self._url(path + ("?" + urlencode(params) if params else ""))
        content = orjson.dumps(body) if body is not None else b""
        headers = self._json_headers if body is not None else self._headers
        for attempt in range(tries):
            error: AriError
            try:
                response = await self._transport.handle_async_request(
                    httpx.Request(method, url, headers=headers, content=content, extensions=self._timeout))
                content_in = await response.aread()
            except httpx.TimeoutException as exc:
                error = AriTimeout(str(exc) or "timed out", method=method, path=path, operation=operation)
            except httpx.TransportError as exc:
                error = AriUnreachable(str(exc) or type(exc).__name__, method=method, path=path,
                                       operation=operation)
            else:
                status = response.status_code
                if status < 400:
                    return orjson.loads(content_in) if content_in else None
                error = error_for(status, _decode(content_in), method=method, path=path, operation=operation)
                if status < 500:
                    raise error
            if attempt + 1 >= tries:
                raise error
            await asyncio.sleep(RETRY_DELAYS[attempt])
        raise AssertionError("unreachable")  # pragma: no cover

    # -------------------------------------------------------------- channels
    async def list(self) -> builtins.list[Channel]:
        return await self._call("list")  # type: ignore[no-any-return]

    async def originate(
        self,
        *,
        endpoint: str,
        extension: str | None = None,
        context: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        app: str | None = None,
        app_args: str | None = None,
        caller_id: str | None = None,
        timeout: int | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        return await self._call(  # type: ignore[no-any-return]
            "originate", endpoint=endpoint, extension=extension, context=context,
            priority=priority, label=label, app=app, app_args=app_args, caller_id=caller_id,
            timeout=timeout, channel_id=channel_id, other_channel_id=other_channel_id,
            originator=originator, formats=formats, variables=variables,
        )

    async def create(
        self,
        *,
        endpoint: str,
        app: str,
        app_args: str | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        return await self._call(  # type: ignore[no-any-return]
            "create", endpoint=endpoint, app=app, app_args=app_args, channel_id=channel_id,
            other_channel_id=other_channel_id, originator=originator, formats=formats,
            variables=variables,
        )

    async def get(self, channel_id: str) -> Channel:
        return await self._call("get", channel_id=channel_id)  # type: ignore[no-any-return]

    async def originate_with_id(
        self,
        channel_id: str,
        *,
        endpoint: str,
        extension: str | None = None,
        context: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        app: str | None = None,
        app_args: str | None = None,
        caller_id: str | None = None,
        timeout: int | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        return await self._call(  # type: ignore[no-any-return]
            "originate_with_id", channel_id=channel_id, endpoint=endpoint, extension=extension,
            context=context, priority=priority, label=label, app=app, app_args=app_args,
            caller_id=caller_id, timeout=timeout, other_channel_id=other_channel_id,
            originator=originator, formats=formats, variables=variables,
        )

    async def hangup(self, channel_id: str, *, reason: str | None = None,
                     reason_code: str | None = None) -> None:
        await self._call("hangup", channel_id=channel_id, reason=reason, reason_code=reason_code)

    async def continue_in_dialplan(
        self,
        channel_id: str,
        *,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None:
        await self._call("continue_in_dialplan", channel_id=channel_id, context=context,
                         extension=extension, priority=priority, label=label)

    async def move(self, channel_id: str, *, app: str, app_args: str | None = None) -> None:
        await self._call("move", channel_id=channel_id, app=app, app_args=app_args)

    async def redirect(self, channel_id: str, *, endpoint: str) -> None:
        await self._call("redirect", channel_id=channel_id, endpoint=endpoint)

    async def answer(self, channel_id: str) -> None:
        await self._call("answer", channel_id=channel_id)

    async def ring(self, channel_id: str) -> None:
        await self._call("ring", channel_id=channel_id)

    async def ring_stop(self, channel_id: str) -> None:
        await self._call("ring_stop", channel_id=channel_id)

    async def send_dtmf(
        self,
        channel_id: str,
        *,
        dtmf: str,
        before: int | None = None,
        between: int | None = None,
        duration: int | None = None,
        after: int | None = None,
    ) -> None:
        await self._call("send_dtmf", channel_id=channel_id, dtmf=dtmf, before=before,
                         between=between, duration=duration, after=after)

    async def mute(self, channel_id: str, *, direction: str = "both") -> None:
        # Always sent: Asterisk answers 400 "Direction is required" without it.
        await self._call("mute", channel_id=channel_id, direction=direction)

    async def unmute(self, channel_id: str, *, direction: str = "both") -> None:
        await self._call("unmute", channel_id=channel_id, direction=direction)

    async def hold(self, channel_id: str) -> None:
        await self._call("hold", channel_id=channel_id)

    async def unhold(self, channel_id: str) -> None:
        await self._call("unhold", channel_id=channel_id)

    async def start_moh(self, channel_id: str, *, moh_class: str | None = None) -> None:
        await self._call("start_moh", channel_id=channel_id, moh_class=moh_class)

    async def stop_moh(self, channel_id: str) -> None:
        await self._call("stop_moh", channel_id=channel_id)

    async def start_silence(self, channel_id: str) -> None:
        await self._call("start_silence", channel_id=channel_id)

    async def stop_silence(self, channel_id: str) -> None:
        await self._call("stop_silence", channel_id=channel_id)

    async def play(
        self,
        channel_id: str,
        *,
        media: str | Sequence[str],
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
        playback_id: str | None = None,
    ) -> Playback:
        return await self._call(  # type: ignore[no-any-return]
            "play", channel_id=channel_id, media=media, lang=lang, offsetms=offsetms,
            skipms=skipms, playback_id=playback_id,
        )

    async def play_with_id(
        self,
        channel_id: str,
        *,
        playback_id: str,
        media: str | Sequence[str],
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback:
        return await self._call(  # type: ignore[no-any-return]
            "play_with_id", channel_id=channel_id, playback_id=playback_id, media=media,
            lang=lang, offsetms=offsetms, skipms=skipms,
        )

    async def record(
        self,
        channel_id: str,
        *,
        name: str,
        format: str,
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: str | None = None,
        beep: bool | None = None,
        terminate_on: str | None = None,
    ) -> LiveRecording:
        return await self._call(  # type: ignore[no-any-return]
            "record", channel_id=channel_id, name=name, format=format,
            max_duration_seconds=max_duration_seconds, max_silence_seconds=max_silence_seconds,
            if_exists=if_exists, beep=beep, terminate_on=terminate_on,
        )

    async def get_channel_var(self, channel_id: str, *, variable: str) -> Variable:
        return await self._call(  # type: ignore[no-any-return]
            "get_channel_var", channel_id=channel_id, variable=variable
        )

    async def set_channel_var(self, channel_id: str, *, variable: str, value: str | None = None) -> None:
        await self._call("set_channel_var", channel_id=channel_id, variable=variable, value=value)

    async def snoop_channel(
        self,
        channel_id: str,
        *,
        app: str,
        spy: str | None = None,
        whisper: str | None = None,
        app_args: str | None = None,
        snoop_id: str | None = None,
    ) -> Channel:
        return await self._call(  # type: ignore[no-any-return]
            "snoop_channel", channel_id=channel_id, app=app, spy=spy, whisper=whisper,
            app_args=app_args, snoop_id=snoop_id,
        )

    async def snoop_channel_with_id(
        self,
        channel_id: str,
        *,
        snoop_id: str,
        app: str,
        spy: str | None = None,
        whisper: str | None = None,
        app_args: str | None = None,
    ) -> Channel:
        return await self._call(  # type: ignore[no-any-return]
            "snoop_channel_with_id", channel_id=channel_id, snoop_id=snoop_id, app=app, spy=spy,
            whisper=whisper, app_args=app_args,
        )

    async def dial(self, channel_id: str, *, caller: str | None = None, timeout: int | None = None) -> None:
        await self._call("dial", channel_id=channel_id, caller=caller, timeout=timeout)

    async def rtp_statistics(self, channel_id: str) -> RTPstat:
        return await self._call("rtp_statistics", channel_id=channel_id)  # type: ignore[no-any-return]

    async def external_media(
        self,
        *,
        app: str,
        external_host: str,
        format: str,
        channel_id: str | None = None,
        encapsulation: str | None = None,
        transport: str | None = None,
        connection_type: str | None = None,
        direction: str | None = None,
        data: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        return await self._call(  # type: ignore[no-any-return]
            "external_media", app=app, external_host=external_host, format=format,
            channel_id=channel_id, encapsulation=encapsulation, transport=transport,
            connection_type=connection_type, direction=direction, data=data, variables=variables,
        )

    # --------------------------------------------------------------- bridges
    async def list_bridges(self) -> builtins.list[Bridge]:
        return await self._call("list_bridges")  # type: ignore[no-any-return]

    async def create_bridge(
        self,
        *,
        type: str | Sequence[str] | None = "mixing",
        bridge_id: str | None = None,
        name: str | None = None,
    ) -> Bridge:
        return await self._call(  # type: ignore[no-any-return]
            "create_bridge", type=type, bridge_id=bridge_id, name=name
        )

    async def get_bridge(self, bridge_id: str) -> Bridge:
        return await self._call("get_bridge", bridge_id=bridge_id)  # type: ignore[no-any-return]

    async def add_channel(
        self,
        bridge_id: str,
        *,
        channel: str | Sequence[str],
        role: str | None = None,
        absorb_dtmf: bool | None = None,
        mute: bool | None = None,
        inhibit_connected_line_updates: bool | None = None,
    ) -> None:
        await self._call(
            "add_channel", bridge_id=bridge_id, channel=channel, role=role,
            absorb_dtmf=absorb_dtmf, mute=mute,
            inhibit_connected_line_updates=inhibit_connected_line_updates,
        )

    async def remove_channel(self, bridge_id: str, *, channel: str | Sequence[str]) -> None:
        await self._call("remove_channel", bridge_id=bridge_id, channel=channel)

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._call("destroy_bridge", bridge_id=bridge_id)

    # ------------------------------------------------------ playbacks, misc
    async def get_playback(self, playback_id: str) -> Playback:
        return await self._call("get_playback", playback_id=playback_id)  # type: ignore[no-any-return]

    async def stop_playback(self, playback_id: str) -> None:
        await self._call("stop_playback", playback_id=playback_id)

    async def get_live_recording(self, name: str) -> LiveRecording:
        return await self._call("get_live_recording", name=name)  # type: ignore[no-any-return]

    # ------------------------------------------------------------- endpoints
    async def list_endpoints(self) -> builtins.list[Endpoint]:
        return await self._call("list_endpoints")  # type: ignore[no-any-return]

    async def list_endpoints_by_tech(self, technology: str) -> builtins.list[Endpoint]:
        """Raises ``EndpointNotFound`` for a technology that has no endpoint."""
        return await self._call("list_endpoints_by_tech", technology=technology)  # type: ignore[no-any-return]

    async def get_endpoint(self, technology: str, resource: str) -> Endpoint:
        """``get_endpoint("PJSIP", "alice")``; raises ``EndpointNotFound``."""
        return await self._call(  # type: ignore[no-any-return]
            "get_endpoint", technology=technology, resource=resource
        )

    async def asterisk_info(self) -> AsteriskInfo:
        return await self._call("asterisk_info")  # type: ignore[no-any-return]

    async def ping(self) -> AsteriskPing:
        return await self._call("ping")  # type: ignore[no-any-return]


def _decode(content: bytes) -> Any:
    if not content:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return content.decode("utf-8", "replace")
