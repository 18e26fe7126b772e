"""Run a simulator in-process for tests: `with running_simulator() as sim: ...`.

The simulator gets its own thread and event loop, so synchronous tests, pytest-asyncio tests
and Django's test client can all talk to it over real HTTP and WebSocket.
"""
from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import httpx

from .config import SimConfig
from .server import Simulator


class ControlError(RuntimeError):
    """The control API refused a request (status and body attached)."""

    def __init__(self, status: int, body: Any):
        super().__init__(f"/_sim answered {status}: {body}")
        self.status = status
        self.body = body


class RunningSimulator:
    def __init__(self, simulator: Simulator, loop: asyncio.AbstractEventLoop):
        self.simulator = simulator
        self.loop = loop
        self.host = simulator.config.host
        self.port = simulator.port
        self.url = f"http://{self.host}:{self.port}"
        self.ari_url = self.url + "/ari"
        self.ws_url = f"ws://{self.host}:{self.port}/ari/events"
        self.username = simulator.config.username
        self.password = simulator.config.password
        self._client = httpx.Client(base_url=self.url, auth=(self.username, self.password), timeout=10.0)

    def control(self, method: str, path: str, json: Any = None) -> Any:
        """Call the /_sim control API; returns the parsed JSON (None for 204)."""
        response = self._client.request(method, path, json=json)
        body = response.json() if response.content else None
        if response.status_code >= 400:
            raise ControlError(response.status_code, body)
        return body

    def close(self) -> None:
        self._client.close()


@contextmanager
def running_simulator(**options: Any) -> Iterator[RunningSimulator]:
    """Start a simulator on a free port (SimConfig fields as keyword arguments)."""
    options.setdefault("port", 0)
    config = SimConfig(**options)
    simulator = Simulator(config)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(simulator.start())
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            started.set()
            return
        started.set()
        loop.run_forever()
        loop.run_until_complete(simulator.stop())
        loop.close()

    thread = threading.Thread(target=serve, name="ari-sim", daemon=True)
    thread.start()
    started.wait(10)
    if failure:
        raise failure[0]
    running = RunningSimulator(simulator, loop)
    try:
        yield running
    finally:
        running.close()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
