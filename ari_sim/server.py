"""One simulator: its aiohttp application, the PBX behind it, start/stop, reset and restart."""
from __future__ import annotations

import time
from collections import deque

from aiohttp import web

from . import control
from .app import AriApp, request_entry
from .config import SimConfig
from .events import EventBus
from .faults import Faults
from .pbx import Pbx
from .timefmt import ast_time
from .traffic import Traffic

# The request log is for assertions in tests; a long demo run must not grow it forever.
REQUEST_LOG_SIZE = 20000


class Simulator:
    def __init__(self, config: SimConfig | None = None):
        self.config = config or SimConfig()
        self.bus = EventBus(self.config.asterisk_id)
        self.faults = Faults()
        self.requests: deque[dict] = deque(maxlen=REQUEST_LOG_SIZE)
        self.ari = AriApp(self)
        self.pbx: Pbx | None = None
        self.traffic: Traffic | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/ari", self.ari.handle)
        app.router.add_route("*", "/ari/{tail:.*}", self.ari.handle)
        control.setup(app, self)
        return app

    def log_request(self, request: web.Request, raw_path: str, body_text: str) -> dict | None:
        entry = request_entry(request, raw_path, body_text)
        self.requests.append(entry)
        return entry

    async def start(self) -> int:
        """Start serving (must run on the loop that will own the simulator); returns the port."""
        self.pbx = Pbx(self.config, self.bus)
        self._runner = web.AppRunner(self.build_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self.traffic = Traffic(self, self.config.calls_per_second, self.config.seed)
        self.traffic.start()
        return self.port

    async def stop(self) -> None:
        if self.traffic is not None:
            self.traffic.stop()
        self.bus.drop_all()
        if self.pbx is not None:
            self.pbx.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def reset(self) -> None:
        """An idle PBX: no calls, bridges, media, faults, demo traffic or request log, the
        configured clock; WebSockets stay open."""
        self.traffic.reset()
        self.pbx.clear()
        self.pbx.scale = self.config.time_scale
        self.pbx.phones.reset()
        self.faults.clear()
        self.faults.down_until = None
        self.requests.clear()

    def restart(self, down_seconds: float = 0.0) -> None:
        """Like `core restart now`: every events WebSocket drops and all calls, bridges and
        media are lost (stored recordings, being files, remain); for `down_seconds` HTTP
        answers 503 and WebSockets are refused."""
        self.bus.drop_all()
        self.pbx.clear(keep_files=True)
        self.pbx.startup_time = self.pbx.last_reload_time = ast_time()
        self.faults.down_until = time.monotonic() + down_seconds if down_seconds > 0 else None
