"""5. Peers: ari_bridge beside the Python ARI clients a developer would reach for instead (aioari,
ari-client, asyncari from PyPI), and a bare default httpx.AsyncClient, in the same run:

- the action loop: hold/unhold alternately on one channel in Stasis, 1 and 16 requests in flight;
- ingest: the recorded Asterisk event stream fed through each library's own receive loop with a
  handler for every event type that keeps the objects the event carries (ari_bridge: its
  EventStream's per-message work into the ChannelRegistry); events per second of CPU time.

Each measurement is its own process (the simulator has its own too), and the contenders take
turns round after round, so that a noisy moment hurts all of them alike. The peers live in
.venv-bench-peers, created here from bench/requirements-peers.txt, never in the project's venv.
"""
from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import ROOT, Simulator, log

PEERS_VENV = ROOT / ".venv-bench-peers"
REQUIREMENTS = ROOT / "bench" / "requirements-peers.txt"
PEERS = ("aioari", "ari-client", "asyncari")
OURS = ("ari_bridge", "httpx")
HOLD_APP = "benchhold"
# What the issue measured against a real Asterisk, for the record (requests/s; events/s).
REFERENCE = {"aioari": {"1_in_flight": 4300, "16_in_flight": 4800, "ingest": 117_000},
             "httpx": {"1_in_flight": 1350, "16_in_flight": 550}}


def ensure_venv() -> tuple[str | None, str]:
    """The peers' venv, (re)built when bench/requirements-peers.txt changes; (python, log)."""
    python = PEERS_VENV / "bin" / "python"
    stamp = PEERS_VENV / ".requirements-sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return str(python), "cached"
    log("peers: creating .venv-bench-peers (aioari, ari-client, asyncari and py-spy from PyPI)")
    steps = [[sys.executable, "-m", "venv", "--clear", str(PEERS_VENV)],
             [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            return None, (done.stderr or done.stdout)[-2000:]
    stamp.write_text(digest)
    return str(python), "installed"


# ------------------------------------------------------------------------------ api-docs

_KINDS = {"channel": "Channel", "peer": "Channel", "caller": "Channel", "forwarded": "Channel",
          "replace_channel": "Channel", "bridge": "Bridge", "playback": "Playback", "recording": "LiveRecording",
          "endpoint": "Endpoint", "device_state": "DeviceState"}
_RESOURCES = ("asterisk", "endpoints", "channels", "bridges", "recordings", "sounds", "playbacks", "deviceStates",
              "mailboxes", "events", "applications")
_RETURNS = {"channel": "Channel", "channels": "List[Channel]", "playback": "Playback", "recording": "LiveRecording",
            "variable": "Variable", "rtpstat": "RTPstat", "bridge": "Bridge", "bridges": "List[Bridge]",
            "asterisk_info": "AsteriskInfo", "ping": "AsteriskPing", "none": "void"}


def _type_of(name: str, value: Any) -> str:
    if name in _KINDS:
        return _KINDS[name]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, list):
        return "List[string]"
    if isinstance(value, dict):
        return "object"
    return "string"


def write_api_docs(directory: Path, events: list[dict]) -> None:
    """A Swagger 1.1 description in the shape of Asterisk's /ari/api-docs/, generated from ari_bridge's
    operation table (paths, methods, parameters) and the recorded events (the event models' fields);
    {DOCS} and {ARI} are filled in by whoever serves it."""
    from ari_bridge.operations import OPERATIONS

    decls: dict[str, dict[str, Any]] = {
        name: {"apiVersion": "2.0.0", "swaggerVersion": "1.1", "basePath": "{ARI}", "resourcePath": f"/api-docs/{name}.{{format}}",
               "apis": [], "models": {}} for name in _RESOURCES}
    by_path: dict[tuple[str, str], dict[str, Any]] = {}
    for op in OPERATIONS.values():
        resource = op.path.strip("/").split("/", 1)[0]
        if resource not in decls:
            continue
        nickname = op.spec or "".join(w if i == 0 else w.title() for i, w in enumerate(op.name.split("_")))
        params = []
        for p in op.params:
            kind = {"int": "int", "bool": "boolean", "variables": "containers"}.get(p.kind, "string")
            params.append({"name": p.ari, "paramType": p.where, "required": p.required, "allowMultiple": False,
                           "dataType": kind, "description": ""})
        api = by_path.get((resource, op.path))
        if api is None:
            api = by_path[(resource, op.path)] = {"path": op.path, "description": "", "operations": []}
            decls[resource]["apis"].append(api)
        if any(o["nickname"] == nickname for o in api["operations"]):
            continue
        api["operations"].append({"httpMethod": op.method, "summary": op.summary, "nickname": nickname,
                                  "responseClass": _RETURNS.get(op.returns, "void"), "parameters": params})
    decls["events"]["apis"].append({"path": "/events", "description": "Events from Asterisk to applications",
                                    "operations": [{
                                        "httpMethod": "GET", "upgrade": "websocket", "websocketProtocol": "ari",
                                        "summary": "WebSocket connection for events.", "nickname": "eventWebsocket",
                                        "responseClass": "Message",
                                        "parameters": [{"name": "app", "paramType": "query", "required": True,
                                                        "allowMultiple": True, "dataType": "string"},
                                                       {"name": "subscribeAll", "paramType": "query",
                                                        "required": False, "allowMultiple": False,
                                                        "dataType": "boolean"}]}]})
    models = decls["events"]["models"]
    for event in events:
        model = models.setdefault(event["type"], {"id": event["type"], "properties": {}})
        for name, value in event.items():
            model["properties"].setdefault(name, {"type": _type_of(name, value), "required": False})
    listing = {"_copyright": "generated by bench/peers.py", "apiVersion": "2.0.0", "swaggerVersion": "1.1",
               "basePath": "{DOCS}", "apis": [{"path": f"/api-docs/{name}.{{format}}", "description": name}
                                              for name in _RESOURCES]}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "resources.json").write_text(json.dumps(listing))
    for name, decl in decls.items():
        (directory / f"{name}.json").write_text(json.dumps(decl))


# ------------------------------------------------------------------------------ runs

def _run(python: str, *args: str, timeout: float = 180) -> dict[str, Any]:
    done = subprocess.run([python, "-m", "bench.peer_runner", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
    return json.loads(lines[-1])


def _hold_channel(sim: Simulator) -> tuple[str, Any]:
    """A channel in Stasis, its application kept registered by an ari_bridge EventStream on a loop thread."""
    from ari_bridge import AriServerConfig, ChannelRegistry, EventStream, LoopThread

    config = AriServerConfig(name="bench", url=sim.url, username=sim.username, password=sim.password, app=HOLD_APP)
    loop = LoopThread(name="bench-peers-hold")
    registry = ChannelRegistry()
    stream = EventStream(config, registry)
    loop.run(stream.start(), timeout=10)
    loop.run(stream.wait_for("live", timeout=10), timeout=15)
    channel_id = sim.ari("POST", "/channels", endpoint="Local/103@default", app=HOLD_APP)["id"]
    deadline = time.monotonic() + 10
    while not ((e := registry.get(("bench", channel_id))) and e.stasis_app == HOLD_APP and e.channel.state == "Up"):
        if time.monotonic() > deadline:
            raise RuntimeError("the peers' channel never reached the application")
        time.sleep(0.02)

    def close() -> None:
        loop.run(stream.stop(), timeout=10)
        loop.stop()

    return channel_id, close


def run(sim: Simulator, *, requests: int = 1000, rounds: int = 3, passes: int = 20,
        peers: tuple[str, ...] = PEERS) -> dict[str, Any]:
    peers_python, install = ensure_venv()
    pythons = {lib: sys.executable for lib in OURS}
    versions: dict[str, str] = {}
    unavailable: dict[str, str] = {}
    for lib in peers:
        if peers_python is None:
            unavailable[lib] = f"could not install the peers' venv: {install}"
            continue
        got = _run(peers_python, "version", "--lib", lib)
        if "error" in got:
            unavailable[lib] = " ".join(got["error"])
        else:
            pythons[lib] = peers_python
            versions[lib] = got["version"]
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        fixture = [json.loads(line) for line in (ROOT / "tests/fixtures/ari_events.jsonl").read_text().splitlines()]
        events = [row["event"] for row in fixture if row["ws"] == "dashboard"]
        docs = Path(tmp) / "api-docs"
        write_api_docs(docs, events)
        events_file = Path(tmp) / "events.jsonl"
        events_file.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events))
        channel_id, close = _hold_channel(sim)
        actions: dict[str, dict[str, list]] = {lib: {"1": [], "16": []} for lib in pythons}
        ingest: dict[str, list] = {lib: [] for lib in pythons}
        errors: dict[str, str] = {}
        fixes: set[str] = set()
        try:
            log(f"peers: {', '.join(pythons)}; {rounds} rounds of hold/unhold at 1 and 16 in flight, then ingest")
            for _ in range(rounds):
                for in_flight in (1, 16):
                    for lib, python in pythons.items():
                        got = _run(python, "actions", "--lib", lib, "--url", sim.url, "--channel", channel_id,
                                   "--requests", str(requests), "--in-flight", str(in_flight), "--docs", str(docs))
                        if "error" in got:
                            errors[f"{lib} actions"] = " ".join(got["error"])
                            continue
                        actions[lib][str(in_flight)] += got["per_second"]
                        fixes.update(got.get("fixes", []))
                for lib, python in pythons.items():
                    if lib == "httpx":
                        continue  # a bare HTTP client has no event path
                    got = _run(python, "ingest", "--lib", lib, "--events", str(events_file),
                               "--passes", str(passes), "--docs", str(docs))
                    if "error" in got:
                        errors[f"{lib} ingest"] = " ".join(got["error"])
                        continue
                    if not got["handler_calls"]:
                        errors[f"{lib} ingest"] = "no handler was called"
                        continue
                    ingest[lib].append(got["per_second"])
                    fixes.update(got.get("fixes", []))
        finally:
            close()
            try:
                sim.ari("DELETE", f"/channels/{channel_id}")
            except RuntimeError:
                pass

    def med(values: list) -> int | None:
        return round(statistics.median(values)) if values else None

    table = {lib: {"1_in_flight": med(actions[lib]["1"]), "16_in_flight": med(actions[lib]["16"]),
                   "ingest_events_per_second": med(ingest[lib])} for lib in pythons}
    ours = table.get("ari_bridge", {})
    ahead = {}
    for lib in versions:
        theirs = table[lib]
        ahead[lib] = {k: (ours.get(k) or 0) > (theirs.get(k) or 0) for k in theirs if theirs.get(k) is not None}
    met = bool(versions) and all(all(v.values()) for v in ahead.values())
    return {
        "what": "hold/unhold alternately on one channel in Stasis (requests/s, median of rounds, each its own "
                "process); recorded Asterisk events through each library's receive loop with handlers "
                "(events/s of CPU time)",
        "rounds": rounds, "requests_per_measurement": requests, "versions": versions,
        "unavailable": unavailable, "errors": errors, "fixes": sorted(fixes), "install": install,
        "api_docs": "generated from ari_bridge.operations + the recorded events' fields (the simulator serves "
                    "no /ari/api-docs; aioari and asyncari need one to connect)",
        "results": table, "ari_bridge_ahead": ahead, "reference_real_asterisk": REFERENCE,
        "targets": {"ahead_of_each": {"target": "ari_bridge ahead of each peer on every figure", "met": met}},
    }
