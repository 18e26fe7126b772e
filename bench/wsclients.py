"""Many live-page WebSocket clients in one process (the event-to-browser benchmark runs a few of these).

Each client logs nothing and renders nothing: it keeps the page's state (uid -> channel, from the
snapshot and every diff, as static/js/common.js does) and, for every added or changed channel whose
caller name is a bench token ``<prefix>:<seq>:<epoch µs>``, notes how late it arrived.

Kept cheap so that the clients are not what the benchmark measures: the clients of a process mostly
receive the same messages, so each distinct message is parsed (and its tokens read) once for all of
them, and a client applies what it received to its state only when the state is asked for (compare).

Driven over stdin/stdout, one JSON object a line:
    {"cmd": "measure", "prefix": "r1"}   -> {"ok": true}         (count only tokens of that prefix from now)
    {"cmd": "report"}                    -> {"latencies_ms": [...], "received": n, "bytes": n, ...}
    {"cmd": "compare", "path": "/tmp/y"} -> {"mismatched": [...]} (each client against the list in the file)
    {"cmd": "quit"}

    python -m bench.wsclients --url ws://.../ws/live/ --origin http://... --cookie 'a=b; c=d' --count 100
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time

import orjson
import websockets
from websockets.asyncio.client import ClientConnection


PARSED_KEEP = 64
SETTLE_EVERY = 1000  # messages a client keeps unapplied at most (memory)


class CountingConnection(ClientConnection):
    """Counts the bytes that arrive on the wire (compressed, with frame headers)."""

    wire_bytes = 0

    def data_received(self, data: bytes) -> None:
        CountingConnection.wire_bytes += len(data)
        super().data_received(data)


class Client:
    def __init__(self, n: int):
        self.n = n
        self.state: dict[str, dict] = {}
        self.received: list[dict] = []  # messages not applied to `state` yet (shared with other clients: read only)
        self.maps: list[dict] = []  # the socket's numbered `blocked` maps
        self._parts: dict[str, dict] | None = None
        self.snapshot_done = asyncio.Event()
        self.closed = False
        self.error = ""

    def settle(self) -> dict[str, dict]:
        """Apply what was received, in order, as the page does; returns the state."""
        received, self.received = self.received, []
        state, maps = self.state, self.maps
        for message in received:
            kind = message["type"]
            if kind == "blocked":
                del maps[message["from"]:]
                maps.extend(message["maps"])
            elif kind == "snapshot":
                if not message.get("part") or self._parts is None:
                    self._parts = {}
                self._parts.update({c["uid"]: self._own(c) for c in message["channels"]})
                if message.get("last", True):
                    state.clear()
                    state.update(self._parts)
                    self._parts = None
            elif kind == "diff":
                for channel in message["upsert"]:
                    state[channel["uid"]] = self._own(channel)
                for fields in message.get("patch", ()):
                    channel = state[fields["uid"]]
                    channel.update(fields)
                    if type(fields.get("blocked")) is int:
                        channel["blocked"] = self.maps[fields["blocked"]]
                for uid in message["remove"]:
                    state.pop(uid, None)
        return state

    def _own(self, channel: dict) -> dict:
        mine = dict(channel)
        if type(mine["blocked"]) is int:
            mine["blocked"] = self.maps[mine["blocked"]]
        return mine


class Swarm:
    def __init__(self, url: str, origin: str, cookie: str, count: int, compression: bool):
        self.url, self.origin, self.cookie, self.count = url, origin, cookie, count
        self.compression = compression
        self.clients = [Client(n) for n in range(count)]
        self.prefix: str | None = None
        self.latencies: list[float] = []
        self.received = 0  # messages
        self.payload_bytes = 0
        self.tasks: list[asyncio.Task] = []
        self._parsed: dict[str, tuple[dict, list[float]]] = {}  # recent distinct messages, parsed once

    async def start(self) -> float:
        started = time.perf_counter()
        ready = []
        for client in self.clients:
            self.tasks.append(asyncio.create_task(self._run(client)))
            ready.append(client.snapshot_done.wait())
            if len(ready) % 20 == 0:  # a connection storm is not what is measured here
                await asyncio.sleep(0.01)
        await asyncio.wait_for(asyncio.gather(*ready), timeout=120)
        return time.perf_counter() - started

    async def _run(self, client: Client) -> None:
        try:
            async with websockets.connect(self.url, origin=self.origin, additional_headers={"Cookie": self.cookie},
                                          max_size=None, compression="deflate" if self.compression else None,
                                          create_connection=CountingConnection, open_timeout=60,
                                          ping_interval=None) as ws:
                await self._read(client, ws)
        except Exception as exc:  # noqa: BLE001 - reported, never raised
            client.error = f"{type(exc).__name__}: {exc}"
        finally:
            client.closed = True
            client.snapshot_done.set()

    async def _read(self, client: Client, ws) -> None:
        parsed = self._parsed
        async for raw in ws:
            now = time.time()
            self.received += 1
            self.payload_bytes += len(raw)
            hit = parsed.get(raw)
            if hit is None:
                message = orjson.loads(raw)
                hit = parsed[raw] = (message, self._emits(message))
                if len(parsed) > PARSED_KEEP:
                    del parsed[next(iter(parsed))]
            message, emits = hit
            client.received.append(message)
            if emits:
                self.latencies.extend([now - emit for emit in emits])
            if len(client.received) > SETTLE_EVERY:
                client.settle()
            if message["type"] == "snapshot" and message.get("last", True):
                client.snapshot_done.set()

    def _emits(self, message: dict) -> list[float]:
        """When each bench token of the measured prefix that this diff carries was emitted."""
        prefix = self.prefix
        if prefix is None or message["type"] != "diff":
            return []
        names = [c["caller"]["name"] for c in message["upsert"]]
        names += [f["caller"]["name"] for f in message.get("patch", ()) if "caller" in f]
        return [int(name.rsplit(":", 1)[1]) / 1e6 for name in names if name.startswith(prefix)]

    def report(self) -> dict:
        latencies, self.latencies = self.latencies, []
        errors = [c.error for c in self.clients if c.error]
        return {"latencies_ms": [round(x * 1000, 2) for x in latencies], "received": self.received,
                "payload_bytes": self.payload_bytes, "wire_bytes": CountingConnection.wire_bytes,
                "closed": sum(c.closed for c in self.clients), "errors": errors[:5]}

    def compare(self, expected: list[dict]) -> dict:
        """Each client's state against the REST list: missing, extra and differing channels."""
        want = {c["uid"]: c for c in expected}
        mismatched = []
        for client in self.clients:
            client.settle()
            missing = [uid for uid in want if uid not in client.state]
            extra = [uid for uid in client.state if uid not in want]
            differ = [uid for uid, c in want.items() if uid in client.state and client.state[uid] != c]
            if missing or extra or differ:
                mismatched.append({"client": client.n, "missing": len(missing), "extra": len(extra),
                                   "differ": len(differ), "example": (differ or missing or extra)[:1]})
        return {"clients": len(self.clients), "mismatched": mismatched}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--origin", required=True)
    parser.add_argument("--cookie", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--no-compression", action="store_true")
    args = parser.parse_args()
    swarm = Swarm(args.url, args.origin, args.cookie, args.count, not args.no_compression)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(data: dict) -> None:
        sys.stdout.write(orjson.dumps(data).decode() + "\n")
        sys.stdout.flush()

    try:
        seconds = await swarm.start()
        answer({"ready": True, "seconds": round(seconds, 2), "errors": [c.error for c in swarm.clients if c.error][:5]})
    except Exception as exc:  # noqa: BLE001
        answer({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    while True:
        line = await reader.readline()
        if not line:
            break
        command = orjson.loads(line)
        cmd = command["cmd"]
        if cmd == "measure":
            swarm.prefix = command["prefix"] + ":"
            swarm.latencies = []
            swarm._parsed.clear()  # their tokens were read for the previous prefix
            answer({"ok": True})
        elif cmd == "report":
            answer(swarm.report())
        elif cmd == "compare":
            with open(command["path"], "rb") as f:
                expected = orjson.loads(f.read())
            answer(swarm.compare(expected))
        elif cmd == "quit":
            break
    for task in swarm.tasks:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
