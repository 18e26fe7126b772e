"""Stasis applications, their event WebSockets, and the events themselves.

Each event is serialized once: the body is dumped without `application`, and each recipient
gets those bytes with its own `"application": ...` spliced before the closing brace (Asterisk
puts it last, after `asterisk_id`). Routing is a set union per event: the apps subscribed to
everything plus the apps subscribed to that channel or bridge.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Iterable

import orjson
from aiohttp import WSMsgType, web

from .state import Bridge, Channel, LiveRecording, Playback, cause_text
from .timefmt import ast_time

if TYPE_CHECKING:  # pragma: no cover
    from .phones import Endpoint

_TEXT = WSMsgType.TEXT
_PRESENTATION = "Presentation Allowed, Not Screened"
# A client that stops reading must not make the simulator grow without bound: past this many
# unsent events its socket is dropped (Asterisk drops a WebSocket whose writes time out).
MAX_BACKLOG = 200_000


class EventSocket:
    """One events WebSocket: a queue drained by its own writer task, so publishing never awaits."""

    __slots__ = ("ws", "transport", "queue", "wakeup", "apps", "closed", "writer")

    def __init__(self, ws: web.WebSocketResponse, transport):
        self.ws = ws
        self.transport = transport
        self.queue: deque[bytes] = deque()
        self.wakeup = asyncio.Event()
        self.apps: list[str] = []
        self.closed = False
        self.writer: asyncio.Task | None = None

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        if len(self.queue) >= MAX_BACKLOG:
            self.abort()
            return
        self.queue.append(data)
        self.wakeup.set()

    async def run_writer(self) -> None:
        ws = self.ws
        queue = self.queue
        try:
            while not self.closed:
                await self.wakeup.wait()
                self.wakeup.clear()
                while queue and not self.closed:
                    await ws.send_frame(queue.popleft(), _TEXT)
        except (ConnectionResetError, RuntimeError, asyncio.CancelledError):
            pass

    def abort(self) -> None:
        """Drop the connection without a close frame, like a crashed or restarted Asterisk."""
        self.closed = True
        self.wakeup.set()
        if self.transport is not None:
            self.transport.abort()


class Application:
    __slots__ = ("name", "name_json", "socket", "subscribe_all", "channels", "bridges", "endpoints")

    def __init__(self, name: str, socket: EventSocket, subscribe_all: bool):
        self.name = name
        self.name_json = orjson.dumps(name)
        self.socket = socket
        self.subscribe_all = subscribe_all
        self.channels: set[str] = set()
        self.bridges: set[str] = set()
        self.endpoints: set[str] = set()

    def to_json(self) -> dict:
        if self.subscribe_all:
            return {
                "name": self.name,
                "channel_ids": ["__AST_CHANNEL_ALL_TOPIC"],
                "bridge_ids": ["__AST_BRIDGE_ALL_TOPIC"],
                "endpoint_ids": ["__AST_ENDPOINT_ALL_TOPIC"],
                "device_names": ["__AST_DEVICE_STATE_ALL_TOPIC"],
                "events_allowed": [],
                "events_disallowed": [],
            }
        return {
            "name": self.name,
            "channel_ids": sorted(self.channels),
            "bridge_ids": sorted(self.bridges),
            "endpoint_ids": sorted(self.endpoints),
            "device_names": [],
            "events_allowed": [],
            "events_disallowed": [],
        }


class EventBus:
    def __init__(self, asterisk_id: str):
        self.asterisk_id = asterisk_id
        self.apps: dict[str, Application] = {}
        self.all_apps: set[str] = set()
        # Endpoint key ("PJSIP/alice") -> apps subscribed to it (never a subscribeAll app).
        self.endpoint_watchers: dict[str, set[str]] = {}
        self.sockets: set[EventSocket] = set()
        self.published = 0

    # --- registration -------------------------------------------------------------------

    def register(self, socket: EventSocket, names: list[str], subscribe_all: bool) -> None:
        """Register `names` on `socket`; an app already registered elsewhere is taken over,
        and its old socket is told so with ApplicationReplaced (as Asterisk does)."""
        self.sockets.add(socket)
        for name in names:
            old = self.apps.get(name)
            if old is not None and old.socket is not socket:
                body = {"type": "ApplicationReplaced", "timestamp": ast_time(), "application": name,
                        "asterisk_id": self.asterisk_id}
                old.socket.send(orjson.dumps(body))
                if name in old.socket.apps:
                    old.socket.apps.remove(name)
            app = Application(name, socket, subscribe_all)
            if old is not None:
                app.channels = old.channels
                app.bridges = old.bridges
                app.endpoints = old.endpoints
            self.apps[name] = app
            if name not in socket.apps:
                socket.apps.append(name)
            if subscribe_all:
                self.all_apps.add(name)
            else:
                self.all_apps.discard(name)

    def unregister(self, socket: EventSocket) -> None:
        self.sockets.discard(socket)
        for name in socket.apps:
            app = self.apps.get(name)
            if app is not None and app.socket is socket:
                del self.apps[name]
                self.all_apps.discard(name)
                for key in app.endpoints:
                    self.endpoint_watchers.get(key, set()).discard(name)
        socket.apps = []

    def drop_all(self) -> None:
        for socket in list(self.sockets):
            socket.abort()
            self.unregister(socket)

    def is_registered(self, name: str | None) -> bool:
        return bool(name) and name in self.apps

    # --- subscriptions ------------------------------------------------------------------

    def subscribe_channel(self, name: str, channel: Channel) -> None:
        app = self.apps.get(name)
        if app is None:
            return
        channel.subscribers.add(name)
        app.channels.add(channel.id)

    def unsubscribe_channel(self, name: str, channel: Channel) -> None:
        channel.subscribers.discard(name)
        app = self.apps.get(name)
        if app is not None:
            app.channels.discard(channel.id)

    def forget_channel(self, channel: Channel) -> None:
        for name in channel.subscribers:
            app = self.apps.get(name)
            if app is not None:
                app.channels.discard(channel.id)

    def subscribe_endpoint(self, name: str, endpoint: "Endpoint") -> None:
        """An endpoint subscription forwards the endpoint's topic, which carries its snapshots and
        its channels' messages. A subscribeAll app is left as it is: Asterisk does not subscribe
        an app that is subscribed to all endpoints again."""
        app = self.apps.get(name)
        if app is None or app.subscribe_all:
            return
        app.endpoints.add(endpoint.key)
        self.endpoint_watchers.setdefault(endpoint.key, set()).add(name)
        for channel in endpoint.live_channels():
            channel.subscribers.add(name)

    def unsubscribe_endpoint(self, name: str, endpoint: "Endpoint") -> None:
        app = self.apps.get(name)
        if app is None:
            return
        app.endpoints.discard(endpoint.key)
        self.endpoint_watchers.get(endpoint.key, set()).discard(name)
        for channel in endpoint.live_channels():
            if channel.id not in app.channels:
                channel.subscribers.discard(name)

    def subscribe_bridge(self, name: str, bridge: Bridge) -> None:
        app = self.apps.get(name)
        if app is None:
            return
        bridge.subscribers.add(name)
        app.bridges.add(bridge.id)

    def forget_bridge(self, bridge: Bridge) -> None:
        for name in bridge.subscribers:
            app = self.apps.get(name)
            if app is not None:
                app.bridges.discard(bridge.id)

    # --- delivery -----------------------------------------------------------------------

    def _recipients(self, *sets: set) -> Iterable[str]:
        extra = [s for s in sets if s]
        if not extra:
            return self.all_apps
        result = set(self.all_apps)
        for s in extra:
            result |= s
        return result

    def publish(self, body: dict, recipients: Iterable[str]) -> None:
        apps = self.apps
        if not apps:
            return
        head = None
        for name in recipients:
            app = apps.get(name)
            if app is None:
                continue
            if head is None:
                head = orjson.dumps(body)[:-1] + b',"application":'
            app.socket.send(head + app.name_json + b"}")
            self.published += 1

    def _channel_body(self, kind: str, channel: Channel, **fields) -> dict:
        body = {"type": kind, "timestamp": ast_time()}
        body.update(fields)
        body["channel"] = channel.snapshot()
        body["asterisk_id"] = self.asterisk_id
        return body

    def channel_event(self, kind: str, channel: Channel, **fields) -> None:
        if not self.apps:
            return
        self.publish(self._channel_body(kind, channel, **fields), self._recipients(channel.subscribers))

    # Event shapes whose key order differs from the common one.

    def state_change(self, channel: Channel) -> None:
        self.channel_event("ChannelStateChange", channel)

    def dialplan(self, channel: Channel) -> None:
        self.channel_event("ChannelDialplan", channel, dialplan_app=channel.app_name,
                           dialplan_app_data=channel.app_data)

    def caller_id(self, channel: Channel) -> None:
        self.channel_event("ChannelCallerId", channel, caller_presentation=0,
                           caller_presentation_txt=_PRESENTATION)

    def connected_line(self, channel: Channel) -> None:
        self.channel_event("ChannelConnectedLine", channel)

    def varset(self, channel: Channel, variable: str, value: str) -> None:
        if not self.apps:
            return
        body = {"variable": variable, "value": value, "type": "ChannelVarset", "timestamp": ast_time(),
                "channel": channel.snapshot(), "asterisk_id": self.asterisk_id}
        self.publish(body, self._recipients(channel.subscribers))

    def hangup_request(self, channel: Channel, cause: int | None, soft: bool) -> None:
        if not self.apps:
            return
        body: dict = {}
        if cause is not None:
            body["cause"] = cause
        if soft:
            body["soft"] = True
        body["type"] = "ChannelHangupRequest"
        body["timestamp"] = ast_time()
        body["channel"] = channel.snapshot()
        body["asterisk_id"] = self.asterisk_id
        self.publish(body, self._recipients(channel.subscribers))

    def destroyed(self, channel: Channel) -> None:
        self.channel_event("ChannelDestroyed", channel, cause=channel.hangupcause,
                           cause_txt=cause_text(channel.hangupcause))

    def dtmf(self, channel: Channel, digit: str, duration_ms: int) -> None:
        self.channel_event("ChannelDtmfReceived", channel, digit=digit, duration_ms=duration_ms)

    def hold(self, channel: Channel, musicclass: str | None = None) -> None:
        if musicclass:
            self.channel_event("ChannelHold", channel, musicclass=musicclass)
        else:
            self.channel_event("ChannelHold", channel)

    def unhold(self, channel: Channel) -> None:
        self.channel_event("ChannelUnhold", channel)

    def stasis_start(self, channel: Channel, app: str, args: list[str]) -> None:
        if app in self.apps:
            self.publish(self._channel_body("StasisStart", channel, args=args), (app,))

    def stasis_end(self, channel: Channel, app: str) -> None:
        if app in self.apps:
            self.publish(self._channel_body("StasisEnd", channel), (app,))

    def move_failed(self, channel: Channel, destination: str, args: list[str]) -> None:
        if not self.apps:
            return
        body = {"type": "ApplicationMoveFailed", "timestamp": ast_time(), "channel": channel.snapshot(),
                "destination": destination, "args": args, "asterisk_id": self.asterisk_id}
        self.publish(body, self._recipients(channel.subscribers))

    def dial(self, peer: Channel, dialstatus: str, dialstring: str, caller: Channel | None = None) -> None:
        if not self.apps:
            return
        body = {"type": "Dial", "timestamp": ast_time(), "dialstatus": dialstatus, "forward": "",
                "dialstring": dialstring}
        if caller is not None:
            body["caller"] = caller.snapshot()
        body["peer"] = peer.snapshot()
        body["asterisk_id"] = self.asterisk_id
        self.publish(body, self._recipients(peer.subscribers, caller.subscribers if caller else set()))

    def bridge_event(self, kind: str, bridge: Bridge) -> None:
        if not self.apps:
            return
        body = {"type": kind, "timestamp": ast_time(), "bridge": bridge.to_json(), "asterisk_id": self.asterisk_id}
        self.publish(body, self._recipients(bridge.subscribers))

    def bridge_channel_event(self, kind: str, bridge: Bridge, channel: Channel) -> None:
        if not self.apps:
            return
        body = {"type": kind, "timestamp": ast_time(), "bridge": bridge.to_json(),
                "channel": channel.snapshot(), "asterisk_id": self.asterisk_id}
        self.publish(body, self._recipients(bridge.subscribers, channel.subscribers))

    def playback_event(self, kind: str, playback: Playback) -> None:
        if not self.apps:
            return
        target = playback.channel.subscribers if playback.channel is not None else (
            playback.bridge.subscribers if playback.bridge is not None else set())
        body = {"type": kind, "timestamp": ast_time(), "playback": playback.to_json(),
                "asterisk_id": self.asterisk_id}
        self.publish(body, self._recipients(target))

    def recording_event(self, kind: str, recording: LiveRecording) -> None:
        if not self.apps:
            return
        target = recording.channel.subscribers if recording.channel is not None else set()
        body = {"type": kind, "timestamp": ast_time(), "recording": recording.to_json(),
                "asterisk_id": self.asterisk_id}
        self.publish(body, self._recipients(target))

    def device_state(self, name: str, state: str) -> None:
        # Only apps subscribed to everything see device states; Asterisk puts `application`
        # second in this one event, so it is built per recipient.
        for app_name in self.all_apps:
            app = self.apps.get(app_name)
            if app is None:
                continue
            body = {"type": "DeviceStateChanged", "application": app_name, "timestamp": ast_time(),
                    "device_state": {"name": name, "state": state}, "asterisk_id": self.asterisk_id}
            app.socket.send(orjson.dumps(body))
            self.published += 1

    def endpoint_state(self, endpoint: "Endpoint") -> None:
        """The endpoint's snapshot changed: only apps subscribed to the endpoint hear it (Asterisk's
        subscribeAll routes the endpoints' state and contact messages, not their snapshots)."""
        watchers = self.endpoint_watchers.get(endpoint.key)
        if not watchers:
            return
        body = {"type": "EndpointStateChange", "timestamp": ast_time(), "endpoint": endpoint.to_json(),
                "asterisk_id": self.asterisk_id}
        self.publish(body, watchers)

    def peer_status(self, endpoint: "Endpoint", peer_status: str) -> None:
        if not self.apps:
            return
        body = {"type": "PeerStatusChange", "timestamp": ast_time(), "endpoint": endpoint.to_json(),
                "peer": {"peer_status": peer_status}, "asterisk_id": self.asterisk_id}
        self.publish(body, self._recipients(self.endpoint_watchers.get(endpoint.key, set())))

    def user_event(self, name: str, app_name: str, userevent: dict, channel: Channel | None = None,
                   bridge: Bridge | None = None) -> None:
        body: dict = {"type": "ChannelUserevent", "timestamp": ast_time(), "eventname": name}
        if channel is not None:
            body["channel"] = channel.snapshot()
        if bridge is not None:
            body["bridge"] = bridge.to_json()
        body["userevent"] = userevent
        body["asterisk_id"] = self.asterisk_id
        self.publish(body, (app_name,))
