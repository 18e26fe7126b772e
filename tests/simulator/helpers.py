"""Talking to the simulator from tests: an events WebSocket reader and a few call recipes."""
from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

import httpx
import websockets

USER, PASSWORD = "dashboard", "dashboard-secret"
# httpx builds a TLS context for every client (~30 ms); one shared context keeps tests quick.
_TLS = ssl.create_default_context()


def client(sim) -> httpx.Client:
    return httpx.Client(base_url=sim.ari_url, auth=(USER, PASSWORD), timeout=10, verify=_TLS)


def aclient(sim) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sim.ari_url, auth=(USER, PASSWORD), timeout=10, verify=_TLS)


def subject_id(event: dict) -> str | None:
    for key in ("channel", "peer"):
        if isinstance(event.get(key), dict):
            return event[key]["id"]
    return None


class EventStream:
    """An events WebSocket; `next()` waits for the next event matching a type and subject."""

    def __init__(self, sim, apps: str = "dashboard", subscribe_all: bool = True):
        query = f"?app={apps}&api_key={USER}:{PASSWORD}"
        if subscribe_all:
            query += "&subscribeAll=true"
        self.url = sim.ws_url + query
        self.events: list[dict] = []
        self.cursor = 0
        self._arrived = asyncio.Event()
        self._ws = None
        self._reader = None
        self.closed = asyncio.Event()

    async def __aenter__(self) -> "EventStream":
        self._ws = await websockets.connect(self.url, max_size=None)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        self._reader.cancel()
        await self._ws.close()

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                self.events.append(json.loads(message))
                self._arrived.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            self._arrived.set()

    @staticmethod
    def matches(event: dict, kind: str | None, channel: str | None, where: dict) -> bool:
        if kind is not None and event["type"] != kind:
            return False
        if channel is not None and subject_id(event) != channel:
            return False
        for key, value in where.items():
            if event.get(key) != value:
                return False
        return True

    async def next(self, kind: str | None = None, *, channel: str | None = None, timeout: float = 3.0,
                   **where: Any) -> dict:
        """The next event (after the previous match) of that type and channel; skips others."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            while self.cursor < len(self.events):
                event = self.events[self.cursor]
                self.cursor += 1
                if self.matches(event, kind, channel, where):
                    return event
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or self.closed.is_set() and self.cursor >= len(self.events):
                seen = [(e["type"], subject_id(e)) for e in self.events[-15:]]
                raise AssertionError(f"no {kind} for {channel} {where} within {timeout}s; last events: {seen}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def wait(self, kind: str | None = None, *, channel: str | None = None, timeout: float = 3.0,
                   **where: Any) -> dict:
        """Like `next`, but an event that already arrived (even one skipped) counts too."""
        for event in self.events:
            if self.matches(event, kind, channel, where):
                return event
        return await self.next(kind, channel=channel, timeout=timeout, **where)

    async def quiet(self, seconds: float = 0.2) -> list[dict]:
        """Wait, then return every event not yet consumed (and consume them)."""
        await asyncio.sleep(seconds)
        new = self.events[self.cursor:]
        self.cursor = len(self.events)
        return new

    def of(self, channel: str) -> list[dict]:
        return [e for e in self.events if subject_id(e) == channel]

    def types(self, channel: str) -> list[str]:
        return [e["type"] for e in self.of(channel)]


async def stasis_channel(ari: httpx.AsyncClient, events: EventStream, endpoint: str = "Local/101@default",
                         channel_id: str = "chan-1", app: str = "dashboard", **params: Any) -> dict:
    """Originate into the app and wait until the channel is in Stasis; returns StasisStart's channel."""
    response = await ari.post("/channels", params={"endpoint": endpoint, "app": app, "channelId": channel_id,
                                                   **params})
    assert response.status_code == 200, response.text
    start = await events.next("StasisStart", channel=channel_id)
    return start["channel"]


async def dialplan_channel(ari: httpx.AsyncClient, events: EventStream, exten: str = "100",
                           channel_id: str = "dp-1") -> dict:
    """A Local channel answered and running the dialplan (not in Stasis)."""
    response = await ari.post("/channels", params={"endpoint": f"Local/{exten}@default", "extension": exten,
                                                   "context": "default", "channelId": channel_id})
    assert response.status_code == 200, response.text
    await events.next("Dial", channel=channel_id, dialstatus="ANSWER")
    return response.json()


async def created_channel(ari: httpx.AsyncClient, events: EventStream, endpoint: str = "Local/100@default",
                          channel_id: str = "created-1") -> dict:
    response = await ari.post("/channels/create", params={"endpoint": endpoint, "app": "dashboard",
                                                          "channelId": channel_id})
    assert response.status_code == 200, response.text
    await events.next("StasisStart", channel=channel_id)
    return response.json()


def error_of(response: httpx.Response) -> tuple[int, str | None]:
    body = response.json() if response.content else {}
    return response.status_code, body.get("message")
