"""Replay a recorded Asterisk scenario (tests/fixtures/captures) against the simulator, and
compare what comes back: statuses, bodies' shapes and messages, and the events per channel.

Ids differ between a recording and a replay (auto ids, playback uuids, Local counters), so the
harness maps them as they appear: from response bodies, and from ChannelCreated events in
creation order.
"""
from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

_TLS = ssl.create_default_context()
CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"
USER, PASSWORD = "dashboard", "dashboard-secret"

# Exchanges whose recorded answer is an Asterisk bug the simulator does not reproduce: on the
# keep-alive connection that just got a 409, the next allocation failure repeated that 409.
KNOWN_DIFFERENCES = {
    "unknown technology (same keep-alive connection as the 409 above)",
    "unknown sip peer (same keep-alive connection)",
}
# Requests the recording sent within a millisecond or two of a media boundary: on a replay
# with compressed time the race can go either way. Tests check these behaviours directly.
TIMING_RACES = {"get playback after finish"}
# Bodies whose content depends on what happened before the recording (stored recordings left
# by earlier runs): only the element shape is compared, not the length.
# The simulated office also has PJSIP phones besides the recorded PBX's two SIP peers.
LOOSE_LENGTH = {"list stored recordings", "list", "list endpoints"}


def load(scenario: str) -> dict:
    path = next(CAPTURES.glob(f"{scenario}*.json"))
    return json.loads(path.read_text())


@dataclass
class Replay:
    scenario: dict
    exchanges: list = field(default_factory=list)  # (capture exchange, status, body, headers)
    events: dict = field(default_factory=lambda: defaultdict(list))  # ws name -> [event]
    ids: dict = field(default_factory=dict)
    lateness: list = field(default_factory=list)  # (label, seconds a request went out late)


def _start(exchange: dict) -> float:
    """When the request was sent: `t` is when its answer (or its client timeout) came."""
    parsed = time.strptime(exchange["t"][:19], "%Y-%m-%dT%H:%M:%S")
    seconds = time.mktime(parsed) + float("0." + exchange["t"][20:23])
    timed_out = re.search(r"read timeout=(\d+)", exchange.get("error") or "")
    if timed_out:
        return seconds - int(timed_out.group(1))
    return seconds - (exchange.get("elapsed_ms") or 0) / 1000


class IdMap:
    """Recorded id -> simulator id."""

    def __init__(self):
        self.ids: dict[str, str] = {}

    def learn(self, recorded: Any, actual: Any) -> None:
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key in ("id", "name"):
                if isinstance(recorded.get(key), str) and isinstance(actual.get(key), str):
                    self.ids.setdefault(recorded[key], actual[key])
            for key in ("channel", "peer", "playback", "bridge"):
                if key in recorded and key in actual:
                    self.learn(recorded[key], actual[key])
        elif isinstance(recorded, list) and isinstance(actual, list):
            for a, b in zip(recorded, actual):
                self.learn(a, b)

    def map(self, value: str) -> str:
        if value in self.ids:
            return self.ids[value]
        return ",".join(self.ids.get(part, part) for part in value.split(","))


async def replay(sim, scenario_name: str, *, scale: float, sockets: bool = True) -> Replay:
    scenario = load(scenario_name)
    result = Replay(scenario)
    ids = IdMap()
    recorded_created = [w["event"]["channel"] for w in scenario["events"] if w["event"]["type"] == "ChannelCreated"]
    actual_created: list[dict] = []
    stop = asyncio.Event()

    async def listen(name: str, url: str):
        async with websockets.connect(url, max_size=None) as ws:
            ready[name].set()
            while not stop.is_set():
                try:
                    message = await asyncio.wait_for(ws.recv(), 0.05)
                except asyncio.TimeoutError:
                    continue
                event = json.loads(message)
                result.events[name].append(event)
                if name == "dashboard" and event["type"] == "ChannelCreated":
                    actual_created.append(event["channel"])
                    index = len(actual_created) - 1
                    if index < len(recorded_created):
                        ids.learn(recorded_created[index], event["channel"])

    ready = {"dashboard": asyncio.Event(), "dashboard2": asyncio.Event()}
    listeners = []
    if sockets:
        base = f"{sim.ws_url}?api_key={USER}:{PASSWORD}"
        listeners = [asyncio.create_task(listen("dashboard", base + "&app=dashboard&subscribeAll=true")),
                     asyncio.create_task(listen("dashboard2", base + "&app=dashboard2"))]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready.values())), 5)

    exchanges = sorted(scenario["exchanges"], key=_start)
    first_start = _start(exchanges[0]) if exchanges else 0.0
    background = []
    async with httpx.AsyncClient(base_url=sim.ari_url, timeout=10, verify=_TLS) as client:
        # The first request on a fresh client pays for its connection: not on the timeline.
        await client.get("/asterisk/ping", auth=(USER, PASSWORD))
        began = time.monotonic()
        for exchange in exchanges:
            # On the recording's (scaled) timeline from the first request: a slow answer delays
            # the next request but does not push the rest of the scenario late.
            due = (_start(exchange) - first_start) * scale
            delay = due - (time.monotonic() - began)
            if delay > 0:
                await asyncio.sleep(delay)
            result.lateness.append((exchange["label"], round(time.monotonic() - began - due, 4)))
            request = _request(exchange, ids)
            if exchange.get("status") is None:
                background.append(asyncio.create_task(client.request(**request)))
                result.exchanges.append((exchange, None, None, {}))
                continue
            response = await client.request(**request)
            body = response.json() if response.content and response.headers.get(
                "content-type", "").startswith("application/json") else (
                f"<{len(response.content)} bytes>" if response.content else None)
            ids.learn(exchange.get("body"), body)
            result.exchanges.append((exchange, response.status_code, body, response.headers))
        await asyncio.sleep(0.3)
        for task in background:
            task.cancel()
    stop.set()
    for task in listeners:
        await task
    result.ids = ids.ids
    return result


def _request(exchange: dict, ids: IdMap) -> dict:
    path = "/".join(ids.map(part) if part else part for part in exchange["path"].split("/"))
    params = None
    if exchange.get("params"):
        params = []
        for key, value in exchange["params"].items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                params.append((key, ids.map(item) if key in ("channel", "caller", "originator") else item))
    headers = dict(exchange.get("request_headers") or {})
    request: dict[str, Any] = {"method": exchange["method"], "url": path, "params": params, "headers": headers}
    label = exchange["label"]
    # A request that timed out was recorded without its auth: it had the usual credentials.
    if exchange.get("auth") or exchange.get("status") is None:
        request["auth"] = (USER, "nope" if label == "wrong password" else PASSWORD)
    if label == "malformed JSON body":
        request["content"] = b"{not json"
    elif exchange.get("request_json") is not None:
        request["json"] = exchange["request_json"]
    return request


# --- comparison -------------------------------------------------------------------------------

EXACT_KEYS = {"message", "error", "state", "app_name", "dialstatus", "media_uri", "next_media_uri", "format",
              "language", "technology", "bridge_type", "bridge_class", "creator", "ping", "value"}


def shape_diff(recorded: Any, actual: Any, where: str = "body", strict_length: bool = True,
               ids: dict | None = None) -> list[str]:
    """Differences in structure (keys, JSON types) and in the values that must match exactly.

    Lists of objects with ids (channel lists) are paired by id, since Asterisk lists channels
    in hash order."""
    ids = ids or {}
    problems = []
    if (isinstance(recorded, list) and isinstance(actual, list) and recorded and actual
            and all(isinstance(item, dict) and "id" in item for item in recorded + actual)):
        by_id = {item["id"]: item for item in actual}
        if strict_length and len(recorded) != len(actual):
            problems.append(f"{where}: {len(recorded)} items != {len(actual)}")
        for index, item in enumerate(recorded):
            match = by_id.get(ids.get(item["id"], item["id"]))
            if match is None:
                if strict_length:
                    problems.append(f"{where}: no item for recorded {item['id']}")
                continue
            problems += shape_diff(item, match, f"{where}[{index}]", strict_length, ids)
        return problems
    if isinstance(recorded, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected object, got {type(actual).__name__}"]
        if set(recorded) != set(actual):
            problems.append(f"{where}: keys {sorted(recorded)} != {sorted(actual)}")
        for key in recorded.keys() & actual.keys():
            sub = f"{where}.{key}"
            if key in EXACT_KEYS and not isinstance(recorded[key], (dict, list)):
                if recorded[key] != actual[key]:
                    problems.append(f"{sub}: {recorded[key]!r} != {actual[key]!r}")
            else:
                problems += shape_diff(recorded[key], actual[key], sub, strict_length, ids)
    elif isinstance(recorded, list):
        if not isinstance(actual, list):
            return [f"{where}: expected list, got {type(actual).__name__}"]
        if strict_length and len(recorded) != len(actual):
            problems.append(f"{where}: {len(recorded)} items != {len(actual)}")
        if recorded and actual:
            problems += shape_diff(recorded[0], actual[0], where + "[0]", strict_length, ids)
    elif recorded is None or actual is None:
        if recorded is not None or actual is not None:
            if not (isinstance(recorded, str) and recorded.startswith("<") and isinstance(actual, str)):
                problems.append(f"{where}: {recorded!r} vs {actual!r}")
    elif type(recorded) is not type(actual):
        problems.append(f"{where}: type {type(recorded).__name__} != {type(actual).__name__}")
    return problems


def compare_exchanges(result: Replay) -> list[str]:
    problems = []
    for exchange, status, body, headers in result.exchanges:
        label = exchange["label"]
        if label in KNOWN_DIFFERENCES or label in TIMING_RACES or exchange.get("status") is None:
            continue
        if status != exchange["status"]:
            problems.append(f"{label}: status {exchange['status']} != {status} ({body})")
            continue
        problems += [f"{label}: {p}" for p in shape_diff(exchange.get("body"), body,
                                                          strict_length=label not in LOOSE_LENGTH,
                                                          ids=result.ids)]
        recorded_headers = exchange.get("response_headers") or {}
        for name in ("Location", "Allow", "WWW-Authenticate", "Access-Control-Allow-Origin",
                     "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"):
            if name in recorded_headers:
                actual = headers.get(name)
                expected = recorded_headers[name]
                if name == "Location":
                    ok = actual is not None and actual.rsplit("/", 1)[0] == expected.rsplit("/", 1)[0]
                else:
                    ok = actual == expected
                if not ok:
                    problems.append(f"{label}: header {name} {expected!r} != {actual!r}")
            elif name in ("Location", "WWW-Authenticate", "Access-Control-Allow-Origin") and name in headers:
                problems.append(f"{label}: unexpected header {name}")
    return problems


class Roles:
    """Names channels, playbacks and bridges by order of first appearance."""

    def __init__(self):
        self.names: dict[str, str] = {}
        self.counts: dict[str, int] = defaultdict(int)

    def __call__(self, kind: str, ident: str) -> str:
        if ident not in self.names:
            self.names[ident] = f"{kind}{self.counts[kind]}"
            self.counts[kind] += 1
        return self.names[ident]


_LOCAL_NAME = re.compile(r"^(Local/[^-]+)-[0-9a-f]{8}(;[12])$")


def _channel_key(roles: Roles, channel: dict) -> str:
    return roles("ch", channel["id"])


def normalize(events: list[dict]) -> dict[str, list[tuple]]:
    """Per subject (channel, playback, bridge, recording), its events as comparable tokens."""
    roles = Roles()
    names: dict[str, str] = {}
    per_subject: dict[str, list[tuple]] = defaultdict(list)
    for event in events:
        kind = event["type"]
        if kind in ("DeviceStateChanged",):
            continue
        if "channel" in event and isinstance(event["channel"], dict):
            channel = event["channel"]
            role = _channel_key(roles, channel)
            names[channel["name"]] = role
        if kind == "Dial":
            role = _channel_key(roles, event["peer"])
            per_subject[role].append((kind, event["dialstatus"], event["peer"]["state"]))
            continue
        if kind.startswith("Playback"):
            role = roles("pb", event["playback"]["id"] + event["playback"]["target_uri"])
            pb = event["playback"]
            per_subject[role].append((kind, pb["media_uri"], pb.get("next_media_uri"), pb["state"]))
            continue
        if kind.startswith("Recording"):
            rec = event["recording"]
            per_subject["rec:" + rec["name"]].append((kind, rec["state"]))
            continue
        if kind in ("BridgeCreated", "BridgeDestroyed"):
            role = roles("br", event["bridge"]["id"])
            per_subject[role].append((kind, len(event["bridge"]["channels"])))
            continue
        channel = event.get("channel")
        if channel is None:
            per_subject["other"].append((kind,))
            continue
        role = roles("ch", channel["id"])
        token: tuple
        if kind == "ChannelDialplan":
            token = (kind, event["dialplan_app"], channel["dialplan"]["exten"], channel["dialplan"]["priority"])
        elif kind == "ChannelVarset":
            value = event["value"]
            if event["variable"] == "BRIDGEPEER" and value:
                value = ",".join(names.get(v, "?") for v in value.split(","))
            elif event["variable"] in ("SIPCALLID", "UNICASTRTP_LOCAL_PORT"):
                value = "*"
            token = (kind, event["variable"], value)
        elif kind == "ChannelHangupRequest":
            token = (kind, event.get("cause"), event.get("soft"))
        elif kind == "ChannelDestroyed":
            token = (kind, event["cause"], event["cause_txt"], channel["dialplan"]["app_name"])
        elif kind == "ChannelStateChange":
            token = (kind, channel["state"])
        elif kind == "ChannelDtmfReceived":
            token = (kind, event["digit"])
        elif kind == "StasisStart":
            token = (kind, tuple(event["args"]), event["application"])
        elif kind in ("StasisEnd",):
            token = (kind, event["application"])
        elif kind in ("ChannelEnteredBridge", "ChannelLeftBridge"):
            token = (kind, len(event["bridge"]["channels"]))
        elif kind == "ApplicationMoveFailed":
            token = (kind, event["destination"])
        elif kind == "ChannelCreated":
            name = channel["name"]
            name = "Snoop" if name.startswith("Snoop/") else _LOCAL_NAME.sub(r"\1\2", name).split("-")[0]
            token = (kind, channel["state"], name)
        else:
            token = (kind,)
        per_subject[role].append(token)
    return dict(per_subject)


def compare_events(result: Replay, ws: str = "dashboard") -> list[str]:
    recorded = [w["event"] for w in result.scenario["events"] if w["ws"] == ws]
    expected = normalize(recorded)
    actual = normalize(result.events.get(ws, []))
    problems = []
    for subject in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(subject, []), actual.get(subject, [])
        if want != got:
            problems.append(f"{ws} {subject}:\n  recorded {want}\n  simulated {got}")
    return problems
