"""HTTP answers in Asterisk's style (headers, empty 204s, JSON bodies) and the request context
handed to every ARI handler."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from .params import Params

if TYPE_CHECKING:  # pragma: no cover
    from .pbx import Pbx
    from .server import Simulator

BASE_HEADERS = {"Server": "Asterisk", "Cache-Control": "no-cache, no-store"}


def json_response(status: int, body: Any, headers: dict | None = None) -> web.Response:
    merged = dict(BASE_HEADERS)
    if headers:
        merged.update(headers)
    merged["Content-Type"] = "application/json"
    return web.Response(status=status, body=orjson.dumps(body), headers=merged)


def ok(body: Any) -> web.Response:
    return json_response(200, body)


def created(location: str, body: Any) -> web.Response:
    return json_response(201, body, {"Location": location})


def no_content(headers: dict | None = None) -> web.Response:
    merged = dict(BASE_HEADERS)
    if headers:
        merged.update(headers)
    return web.Response(status=204, headers=merged)


def error(status: int, message: str, headers: dict | None = None) -> web.Response:
    return json_response(status, {"message": message}, headers)


@dataclass(slots=True)
class Ctx:
    """One ARI request: the simulator, the merged parameters and the path's parameters."""

    sim: "Simulator"
    request: web.Request
    params: Params
    path: dict

    @property
    def pbx(self) -> "Pbx":
        return self.sim.pbx
