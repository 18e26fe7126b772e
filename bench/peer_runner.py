"""One contender of the peers benchmark, in its own process: ari_bridge and bare httpx from the
project's venv, aioari, ari-client and asyncari from the peers' venv (bench/requirements-peers.txt).

Only the standard library at import time: each library is imported by the mode that uses it.

    python -m bench.peer_runner actions --lib aioari --url http://127.0.0.1:PORT --channel ID \
        --requests 1000 --in-flight 16 [--docs DIR]
    python -m bench.peer_runner ingest --lib aioari --events FILE --passes 20 [--docs DIR]

Prints one JSON object. aioari and asyncari read ARI's Swagger 1.1 description at connect time, as
they do from Asterisk's /ari/api-docs/; the simulator serves none, so --docs names a directory of
one generated from ari_bridge's operation table (bench/peers.py), served here on a free port
with basePath pointing at the simulator.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

USER, PASSWORD, APP = "dashboard", "dashboard-secret", "benchpeer"
FIXES: list[str] = []


# ------------------------------------------------------------------------------ api-docs

class DocsServer:
    """The generated api-docs over HTTP (a thread, so it costs the measured loop nothing)."""

    def __init__(self, directory: str, ari_url: str):
        import http.server
        import socketserver

        files = {p.name: p.read_text() for p in Path(directory).glob("*.json")}
        server_ref: dict[str, Any] = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                name = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
                if name not in files:
                    self.send_error(404)
                    return
                docs = f"http://127.0.0.1:{server_ref['port']}/ari"
                body = files[name].replace("{DOCS}", docs).replace("{ARI}", ari_url).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = server_ref["port"] = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def fix_asyncari() -> None:
    import asyncari.model

    # asyncari's DeviceState sets `endpoint = "deviceStates"` where it means `api = ...`: every
    # DeviceStateChanged event then raises RuntimeError("You need to override .api").
    if getattr(asyncari.model.DeviceState, "api", None) is None:
        asyncari.model.DeviceState.api = "deviceStates"
        FIXES.append("asyncari: DeviceState.api = 'deviceStates' (the class sets endpoint= where it means api=)")


# ------------------------------------------------------------------------------ actions

Op = Callable[[int], Awaitable[None]]


async def _loop(op: Op, total: int, in_flight: int) -> float:
    counter = iter(range(total))

    async def worker() -> None:
        for n in counter:
            await op(n)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return total / (time.perf_counter() - started)


async def actions(args: argparse.Namespace) -> dict[str, Any]:
    channel = args.channel
    lib = args.lib
    closers: list[Callable[[], Awaitable[Any]]] = []
    if lib == "ari_bridge":
        from ari_bridge import AriClient, AriServerConfig

        client = AriClient(AriServerConfig(name="bench", url=args.url, username=USER, password=PASSWORD, app=APP))
        closers.append(client.aclose)

        async def op(n: int) -> None:
            await (client.hold(channel) if n % 2 == 0 else client.unhold(channel))
    elif lib == "httpx":
        import httpx

        http = httpx.AsyncClient(base_url=args.url + "/ari", auth=(USER, PASSWORD))
        closers.append(http.aclose)
        path = f"/channels/{channel}/hold"

        async def op(n: int) -> None:
            response = await (http.post(path) if n % 2 == 0 else http.delete(path))
            if response.status_code != 204:
                raise RuntimeError(f"{response.status_code}: {response.text}")
    elif lib == "aioari":
        import aioari

        docs = DocsServer(args.docs, args.url + "/ari")
        client = await aioari.connect(docs.base_url, USER, PASSWORD)
        closers.append(client.close)

        async def op(n: int) -> None:
            await (client.channels.hold(channelId=channel) if n % 2 == 0 else client.channels.unhold(channelId=channel))
    elif lib == "asyncari":
        import asyncari

        fix_asyncari()
        docs = DocsServer(args.docs, args.url + "/ari")
        manager = asyncari.connect(docs.base_url, APP, USER, PASSWORD)
        client = await manager.__aenter__()
        closers.append(lambda: manager.__aexit__(None, None, None))

        async def op(n: int) -> None:
            await (client.channels.hold(channelId=channel) if n % 2 == 0 else client.channels.unhold(channelId=channel))
    elif lib == "ari-client":
        import websockets.exceptions  # noqa: F401 - as a real connection would have loaded it (its loop names it)
        from ari_client import AriClient as PeerClient

        host, port = args.url.split("//", 1)[1].split(":")
        client = PeerClient(host=host, port=int(port), ari_user=USER, ari_password=PASSWORD)
        await client.connect(app=APP)
        closers.append(client.disconnect)

        async def op(n: int) -> None:
            await (client.ari.hold_channel(channel) if n % 2 == 0 else client.ari.unhold_channel(channel))
    else:
        raise SystemExit(f"unknown library {lib}")
    try:
        await _loop(op, min(100, args.requests), args.in_flight)  # warm up
        rates = [await _loop(op, args.requests, args.in_flight) for _ in range(args.rounds)]
    finally:
        for close in closers:
            try:
                await close()
            except Exception:  # noqa: BLE001 - closing must not hide the figure
                pass
    return {"lib": lib, "in_flight": args.in_flight, "requests": args.requests, "per_second": [round(r) for r in rates]}


# ------------------------------------------------------------------------------ ingest

CHANNEL_FIELDS = ("channel", "peer", "caller", "forwarded", "replace_channel")
KINDS = {"channel": "Channel", "peer": "Channel", "caller": "Channel", "forwarded": "Channel",
         "replace_channel": "Channel", "bridge": "Bridge", "playback": "Playback", "recording": "LiveRecording",
         "endpoint": "Endpoint", "device_state": "DeviceState"}


class Registry:
    """What each library's handlers do: keep the objects the events carry, by id (the least a live
    view needs), and count the calls."""

    def __init__(self) -> None:
        self.objects: dict[str, Any] = {}
        self.calls = 0

    def keep(self, kind: str, obj: Any, event_type: str) -> None:
        self.calls += 1
        key = getattr(obj, "id", None) or (obj.get("id") if isinstance(obj, dict) else None) or id(obj)
        if event_type in ("ChannelDestroyed", "BridgeDestroyed", "PlaybackFinished", "RecordingFinished"):
            self.objects.pop((kind, key), None)
        else:
            self.objects[(kind, key)] = obj


async def ingest(args: argparse.Namespace) -> dict[str, Any]:
    messages = [line for line in Path(args.events).read_text().splitlines() if line.strip()]
    types = sorted({json.loads(m)["type"] for m in messages})
    fields = {t: sorted({k for m in messages if (e := json.loads(m))["type"] == t for k in e if k in KINDS})
              for t in types}
    registry = Registry()
    lib = args.lib
    if lib == "ari_bridge":
        from . import ari_bridge_ingest as legacy

        encoded = [m.encode() for m in messages]
        legacy.ingest(encoded, 2)
        cpu = time.process_time()
        _, changes = legacy.ingest(encoded, args.passes)
        cpu = time.process_time() - cpu
        return {"lib": lib, "events": len(messages) * args.passes, "cpu_s": round(cpu, 3),
                "per_second": round(len(messages) * args.passes / cpu), "handler_calls": changes}
    docs = DocsServer(args.docs, "http://127.0.0.1:9/ari")  # no request leaves: the events are fed in
    feed: Callable[[int], Awaitable[None]]
    if lib == "aioari":
        import aiohttp
        import aioari

        client = await aioari.connect(docs.base_url, USER, PASSWORD)
        register = {"Channel": client.on_channel_event, "Bridge": client.on_bridge_event,
                    "Playback": client.on_playback_event, "LiveRecording": client.on_live_recording_event,
                    "Endpoint": client.on_endpoint_event, "DeviceState": client.on_device_state_event}
        for event_type, names in fields.items():
            for kind in sorted({KINDS[n] for n in names}):
                register[kind](event_type, lambda obj, event, kind=kind: _keep_all(registry, kind, obj, event))
            if not names:
                client.on_event(event_type, lambda event: registry.keep("event", event, event["type"]))
        frames = [aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, m, None) for m in messages]

        class FakeWs:
            def __init__(self, passes: int):
                self.left = passes * len(frames)
                self.i = 0

            async def receive(self):
                if self.left == 0:
                    return aiohttp.WSMessage(aiohttp.WSMsgType.CLOSED, None, None)
                self.left -= 1
                frame = frames[self.i % len(frames)]
                self.i += 1
                return frame

        async def feed(passes: int) -> None:
            await client._Client__run(FakeWs(passes))  # aioari's own receive loop: json.loads + process_ws
    elif lib == "asyncari":
        import anyio
        import asyncari.client
        from asyncswagger11.http_client import ApiKeyAuthenticator, AsynchronousHttpClient
        from wsproto.events import TextMessage

        fix_asyncari()
        http_client = AsynchronousHttpClient(auth=ApiKeyAuthenticator("127.0.0.1", f"{USER}:{PASSWORD}"))
        frames = [TextMessage(data=m) for m in messages]
        result: dict[str, Any] = {}

        async def body() -> None:
            async with anyio.create_task_group() as tg:
                client = asyncari.client.Client(tg, docs.base_url, APP, http_client)
                await client._init()
                listeners = []
                factories = {"Channel": client.on_channel_event, "Bridge": client.on_bridge_event,
                             "Playback": client.on_playback_event, "LiveRecording": client.on_live_recording_event,
                             "Endpoint": client.on_endpoint_event, "DeviceState": client.on_device_state_event}
                for event_type, names in fields.items():
                    kinds = sorted({KINDS[n] for n in names})
                    if kinds:
                        listeners.append((kinds[0], factories[kinds[0]](event_type)))
                    else:
                        listeners.append(("event", client.on_event(event_type)))

                async def consume(kind: str, listener) -> None:
                    async with listener:
                        async for item in listener:
                            if kind == "event":
                                registry.keep(kind, item, item["type"])
                            else:
                                obj, event = item
                                _keep_all(registry, kind, obj, event)

                for kind, listener in listeners:
                    tg.start_soon(consume, kind, listener)
                await anyio.sleep(0.05)

                class FakeWs:
                    def __init__(self, passes: int):
                        self.passes = passes

                    def __aiter__(self):
                        return self._gen()

                    async def _gen(self):
                        for _ in range(self.passes):
                            for frame in frames:
                                yield frame

                await client._Client__run(FakeWs(2))  # warm up
                registry.calls = 0
                cpu = time.process_time()
                await client._Client__run(FakeWs(args.passes))  # asyncari's own receive loop
                result["cpu"] = time.process_time() - cpu
                tg.cancel_scope.cancel()

        await body()
        await http_client.close()
        return _ingest_result(lib, len(messages) * args.passes, result["cpu"], registry)
    elif lib == "ari-client":
        from ari_client import AriClient as PeerClient
        from ari_client.controller import AriClientController

        logging.getLogger("ari_client").setLevel(logging.WARNING)
        client = PeerClient(host="127.0.0.1", port=9, ari_user=USER, ari_password=PASSWORD)
        client.controller = AriClientController(None, APP)  # handlers get their action methods, as when connected

        for event_type, names in fields.items():
            kind = KINDS[names[0]] if names else "event"

            async def handler(event, kind=kind, names=tuple(names)) -> None:
                if names:
                    for name in names:
                        obj = getattr(event, name, None)
                        if obj is not None:
                            registry.keep(kind, obj, event_type_of(event))
                else:
                    registry.keep(kind, event, event_type_of(event))

            client.on_event(event_type)(handler)

        class FakeWs:
            def __init__(self, passes: int):
                self.left = passes * len(messages)
                self.i = 0

            async def recv(self):
                if self.left == 0:
                    # Its loop catches every Exception and goes on (a closed socket spins it forever);
                    # a cancellation is what ends it.
                    raise asyncio.CancelledError
                self.left -= 1
                message = messages[self.i % len(messages)]
                self.i += 1
                return message

        async def feed(passes: int) -> None:
            client.ws = FakeWs(passes)
            try:
                await client._AriClient__listen_events()  # ari-client's own receive loop
            except asyncio.CancelledError:
                pass
            # Handlers run as tasks: let every one of them finish inside the measured time.
            for _ in range(1000):
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                if not tasks:
                    break
                await asyncio.sleep(0)
        logging.getLogger("ari_client.ari_client").setLevel(logging.CRITICAL)
    else:
        raise SystemExit(f"unknown library {lib}")
    await feed(2)  # warm up
    registry.calls = 0
    cpu = time.process_time()
    await feed(args.passes)
    cpu = time.process_time() - cpu
    return _ingest_result(lib, len(messages) * args.passes, cpu, registry)


def event_type_of(event: Any) -> str:
    kind = getattr(event, "type", "")
    return kind if isinstance(kind, str) else kind.value


def _keep_all(registry: Registry, kind: str, obj: Any, event: Any) -> None:
    if isinstance(obj, dict):  # several fields of that kind: a dict of them
        for value in obj.values():
            registry.keep(kind, value, event["type"])
    elif obj is not None:
        registry.keep(kind, obj, event["type"])


def _ingest_result(lib: str, events: int, cpu: float, registry: Registry) -> dict[str, Any]:
    return {"lib": lib, "events": events, "cpu_s": round(cpu, 3), "per_second": round(events / cpu),
            "handler_calls": registry.calls}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("actions", "ingest", "version"))
    parser.add_argument("--lib", required=True)
    parser.add_argument("--url", default="")
    parser.add_argument("--channel", default="")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument("--events", default="")
    parser.add_argument("--passes", type=int, default=20)
    parser.add_argument("--docs", default="")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    logging.disable(logging.ERROR)
    if args.mode == "version":
        from importlib.metadata import version

        print(json.dumps({"lib": args.lib, "version": version(args.lib)}))
        return
    result = asyncio.run(actions(args) if args.mode == "actions" else ingest(args))
    result["fixes"] = FIXES
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
