"""The /_sim control API for tests and demos (same credentials as ARI, JSON in and out).

Never under /ari, so an ARI client cannot reach it by accident. See ari_sim/README.md.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from .app import _authorized
from .errors import AriError
from .responses import error, json_response, no_content, ok

if TYPE_CHECKING:  # pragma: no cover
    from .phones import Endpoint
    from .server import Simulator


def setup(app: web.Application, sim: "Simulator") -> None:
    api = ControlApi(sim)
    route = app.router.add_route
    route("GET", "/_sim/requests", api.requests)
    route("DELETE", "/_sim/requests", api.clear_requests)
    route("POST", "/_sim/reset", api.reset)
    route("POST", "/_sim/restart", api.restart)
    route("GET", "/_sim/faults", api.get_faults)
    route("POST", "/_sim/faults", api.set_faults)
    route("DELETE", "/_sim/faults", api.clear_faults)
    route("GET", "/_sim/state", api.state)
    route("GET", "/_sim/phones", api.list_phones)
    route("GET", "/_sim/phones/{tech}/{resource}", api.get_phone)
    route("POST", "/_sim/phones/{tech}/{resource}", api.set_phone)
    route("POST", "/_sim/phones/{tech}/{resource}/hold", api.phone_hold)
    route("POST", "/_sim/phones/{tech}/{resource}/unhold", api.phone_unhold)
    route("POST", "/_sim/phones/{tech}/{resource}/dtmf", api.phone_dtmf)
    route("POST", "/_sim/phones/{tech}/{resource}/hangup", api.phone_hangup)
    route("POST", "/_sim/calls", api.place_call)
    route("GET", "/_sim/clock", api.get_clock)
    route("POST", "/_sim/clock", api.set_clock)
    route("GET", "/_sim/traffic", api.get_traffic)
    route("POST", "/_sim/traffic", api.set_traffic)
    from .bench import BenchApi  # load for bench/ (imports this module)

    route("*", "/_sim/bench/{what}", BenchApi(sim).handle)


def _guard(handler):
    async def guarded(self: "ControlApi", request: web.Request) -> web.StreamResponse:
        if not _authorized(request, self.sim.config.credentials):
            return error(401, "Authentication required",
                         {"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'})
        try:
            return await handler(self, request)
        except AriError as failure:
            return error(failure.status, failure.message)
        except ValueError as failure:
            return error(400, str(failure))

    return guarded


async def _body(request: web.Request) -> dict:
    text = await request.text() if request.body_exists else ""
    if not text.strip():
        return {}
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ValueError("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def _seconds(data: dict, key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{key} must be a number >= 0")
    return float(value)


class ControlApi:
    def __init__(self, sim: "Simulator"):
        self.sim = sim

    # --- request log ----------------------------------------------------------------------

    @_guard
    async def requests(self, request: web.Request) -> web.Response:
        return ok(list(self.sim.requests))

    @_guard
    async def clear_requests(self, request: web.Request) -> web.Response:
        self.sim.requests.clear()
        return no_content()

    # --- lifecycle --------------------------------------------------------------------------

    @_guard
    async def reset(self, request: web.Request) -> web.Response:
        self.sim.reset()
        return ok({"status": "idle"})

    @_guard
    async def restart(self, request: web.Request) -> web.Response:
        data = await _body(request)
        down = _seconds(data, "down_seconds") or 0.0
        self.sim.restart(down)
        return ok({"status": "restarted", "down_seconds": down})

    @_guard
    async def state(self, request: web.Request) -> web.Response:
        sim = self.sim
        pbx = sim.pbx
        return ok({
            "channels": len(pbx.channels),
            "bridges": len(pbx.bridges),
            "playbacks": len(pbx.playbacks),
            "live_recordings": len(pbx.live_recordings),
            "stored_recordings": len(pbx.stored_recordings),
            "applications": sorted(sim.bus.apps),
            "websockets": len(sim.bus.sockets),
            "events_sent": sim.bus.published,
            "startup_time": pbx.startup_time,
            "faults": sim.faults.to_json(),
        })

    # --- faults ---------------------------------------------------------------------------

    @_guard
    async def get_faults(self, request: web.Request) -> web.Response:
        return ok(self.sim.faults.to_json())

    @_guard
    async def set_faults(self, request: web.Request) -> web.Response:
        data = await _body(request)
        known = {"drop_websockets", "delay_ms", "error_status", "error_seconds"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        faults = self.sim.faults
        if "delay_ms" in data:
            delay = _seconds(data, "delay_ms")
            faults.delay_ms = int(delay or 0)
        if "error_status" in data:
            status = data["error_status"]
            if status is None:
                faults.error_status = None
                faults.error_until = None
            else:
                if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                    raise ValueError("error_status must be an HTTP status from 400 to 599")
                seconds = _seconds(data, "error_seconds")
                faults.error_status = status
                faults.error_until = None if seconds is None else time.monotonic() + seconds
        if data.get("drop_websockets"):
            self.sim.bus.drop_all()
        return ok(faults.to_json())

    @_guard
    async def clear_faults(self, request: web.Request) -> web.Response:
        self.sim.faults.clear()
        return no_content()

    # --- phones -----------------------------------------------------------------------------

    def _phone(self, request: web.Request) -> "Endpoint":
        endpoint = self.sim.pbx.phones.get(request.match_info["tech"], request.match_info["resource"])
        if endpoint is None:
            raise AriError(404, "Endpoint not found")
        return endpoint

    def _phone_json(self, endpoint: "Endpoint") -> dict:
        data = endpoint.to_json()
        data["caller"] = {"name": endpoint.caller_name, "number": endpoint.caller_number}
        data["behaviour"] = endpoint.behaviour.to_json()
        return data

    def _calls(self, endpoint: "Endpoint") -> list:
        calls = endpoint.live_channels()
        if not calls:
            raise AriError(409, f"{endpoint.key} has no call")
        return calls

    @_guard
    async def list_phones(self, request: web.Request) -> web.Response:
        return ok([self._phone_json(endpoint) for endpoint in self.sim.pbx.phones.all()])

    @_guard
    async def get_phone(self, request: web.Request) -> web.Response:
        return ok(self._phone_json(self._phone(request)))

    @_guard
    async def set_phone(self, request: web.Request) -> web.Response:
        endpoint = self._phone(request)
        before = endpoint.state()
        endpoint.behaviour.update(await _body(request))
        if endpoint.state() != before:
            self.sim.pbx.reachability_changed(endpoint)
        return ok(self._phone_json(endpoint))

    @_guard
    async def phone_hold(self, request: web.Request) -> web.Response:
        endpoint = self._phone(request)
        data = await _body(request)
        calls = self._calls(endpoint)
        for channel in calls:
            self.sim.pbx.phone_hold(channel, data.get("musicclass"))
        return ok([channel.snapshot() for channel in calls])

    @_guard
    async def phone_unhold(self, request: web.Request) -> web.Response:
        endpoint = self._phone(request)
        calls = self._calls(endpoint)
        for channel in calls:
            self.sim.pbx.phone_unhold(channel)
        return ok([channel.snapshot() for channel in calls])

    @_guard
    async def phone_dtmf(self, request: web.Request) -> web.Response:
        endpoint = self._phone(request)
        data = await _body(request)
        digits = data.get("digits")
        if not isinstance(digits, str) or not digits:
            raise ValueError("digits must be a non-empty string")
        duration = data.get("duration_ms", 100)
        if isinstance(duration, bool) or not isinstance(duration, int) or duration < 0:
            raise ValueError("duration_ms must be an integer >= 0")
        calls = self._calls(endpoint)
        from .media import DTMF_DIGITS

        for digit in digits:
            if digit not in DTMF_DIGITS:
                raise ValueError(f"not a DTMF digit: {digit!r}")
        channel = calls[0]
        self.sim.pbx.phone_dtmf(channel, digits, duration)
        return ok(channel.snapshot())

    @_guard
    async def phone_hangup(self, request: web.Request) -> web.Response:
        endpoint = self._phone(request)
        calls = self._calls(endpoint)
        snapshots = [channel.snapshot() for channel in calls]
        for channel in calls:
            self.sim.pbx.hangup(channel, 16, "peer")
        return ok(snapshots)

    # --- inbound calls ----------------------------------------------------------------------

    @_guard
    async def place_call(self, request: web.Request) -> web.Response:
        data = await _body(request)
        source = data.get("from")
        if not isinstance(source, str) or "/" not in source:
            raise ValueError('from must name a phone, e.g. "PJSIP/alice"')
        tech, _, resource = source.partition("/")
        endpoint = self.sim.pbx.phones.get(tech, resource)
        if endpoint is None:
            raise AriError(404, "Endpoint not found")
        exten = data.get("exten")
        if not isinstance(exten, str) or not exten:
            raise ValueError("exten is required")
        context = data.get("context") or "default"
        fields: dict[str, Any] = {}
        for key in ("caller_name", "caller_number", "channel_id"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{key} must be a string")
            fields[key] = value
        snapshot = self.sim.pbx.inbound_call(endpoint, exten=exten, context=context, **fields)
        return json_response(200, snapshot)

    # --- clock ------------------------------------------------------------------------------

    @_guard
    async def get_clock(self, request: web.Request) -> web.Response:
        return ok({"time_scale": self.sim.pbx.scale})

    @_guard
    async def set_clock(self, request: web.Request) -> web.Response:
        data = await _body(request)
        scale = _seconds(data, "time_scale")
        if not scale:
            raise ValueError("time_scale must be a number > 0")
        # Applies to delays scheduled from now on; a reset restores the configured scale.
        self.sim.pbx.scale = scale
        return ok({"time_scale": scale})

    # --- demo traffic -----------------------------------------------------------------------

    @_guard
    async def get_traffic(self, request: web.Request) -> web.Response:
        return ok(self.sim.traffic.to_json())

    @_guard
    async def set_traffic(self, request: web.Request) -> web.Response:
        data = await _body(request)
        known = {"calls_per_second", "seed", "max_channels", "stuck_every", "stuck_max"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown traffic setting(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        rate = _seconds(data, "calls_per_second")
        if rate is None:
            raise ValueError("calls_per_second is required (0 stops the traffic)")
        counts = {}
        for key in ("max_channels", "stuck_every", "stuck_max"):
            if key in data:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"{key} must be an integer >= 0")
                counts[key] = value
        if "seed" in data:
            seed = data["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise ValueError("seed must be an integer")
        traffic = self.sim.traffic
        if "seed" in data:
            traffic.reseed(data["seed"])
        if "max_channels" in counts:
            traffic.max_channels = counts["max_channels"]
        if "stuck_every" in counts:
            traffic.planner.stuck_every = counts["stuck_every"]
        if "stuck_max" in counts:
            traffic.stuck_max = counts["stuck_max"]
        traffic.set_rate(rate)
        return ok(traffic.to_json())
