"""Demo traffic: repeatable plans from a seed, the mix of calls, stuck channels that stay, the
channel cap, and routed calls reaching a routing app (a small stand-in for the dashboard's)."""
from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import httpx
import pytest
import websockets

from ari_sim.testing import running_simulator
from ari_sim.traffic import KINDS, Planner

from .helpers import PASSWORD, USER, EventStream, aclient

OFFICE_PHONES = {"alice", "bob", "carol", "dave", "erin", "supervisor1", "supervisor2", "noc1", "admin1"}


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


async def async_wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def without_ids(entries: list[dict]) -> list[dict]:
    return [{k: v for k, v in entry.items() if k != "channel_id"} for entry in entries]


@pytest.fixture(scope="module")
def hurried():
    """A simulator whose clock runs a hundred times faster: a minute of talk is 0.6 s."""
    with running_simulator(time_scale=0.01) as sim:
        yield sim


@pytest.fixture
def quick(hurried):
    hurried.control("POST", "/_sim/reset")
    yield hurried
    hurried.control("POST", "/_sim/reset")


# --- plans -------------------------------------------------------------------------------------

def test_a_seed_gives_the_same_plans():
    first, second, other = Planner(7), Planner(7), Planner(8)
    plans = [first.next().to_json() for _ in range(500)]
    assert plans == [second.next().to_json() for _ in range(500)]
    assert plans != [other.next().to_json() for _ in range(500)]


def test_the_mix_has_every_kind_of_call():
    planner = Planner(7)
    plans = [planner.next() for _ in range(2000)]
    kinds = Counter(plan.kind for plan in plans)
    for kind, weight in KINDS:
        share = kinds[kind] / len(plans) * 100
        assert weight / 2 <= share <= weight * 2, (kind, share)
    actions = Counter(what for plan in plans for _, what, _ in plan.actions)
    assert actions["hold"] > 100 and actions["dtmf"] > 100 and actions["transfer"] > 20
    transfers = {plan.kind for plan in plans for _, what, _ in plan.actions if what == "transfer"}
    assert transfers == {"queue", "dialplan"}
    assert sum(plan.far_end_hangs_up for plan in plans) > 100
    assert sum(plan.talk < 6 for plan in plans) > 100                          # short calls
    customers = [plan for plan in plans if plan.source == "trunk"]
    assert any(not plan.caller_name.isascii() for plan in customers)
    assert len({plan.caller_number for plan in customers}) > len(customers) * 0.9
    outbound = [plan.exten for plan in plans if plan.kind == "outbound"]
    assert {number[0] for number in outbound} == {"0", "9"}
    assert {number[-2:] for number in outbound} >= {"17", "19"}                # busy, no answer
    dialplan = Counter(plan.exten for plan in plans if plan.kind == "dialplan")
    assert set(dialplan) == {"100", "101", "102", "103", "104", "105", "107", "108"}
    internal = [plan for plan in plans if plan.kind == "internal"]
    assert all(plan.exten != {"alice": "1001", "bob": "1002"}.get(plan.source) for plan in internal)


def test_stuck_calls_come_at_a_fixed_rate():
    planner = Planner(7)
    due = [index for index in range(1000) if planner.stuck_due(index)]
    assert due == [20, 220, 420, 620, 820]
    assert [planner.stuck(i).kind for i in range(4)] == ["stuck-ringing", "stuck-up"] * 2


# --- on the simulator ----------------------------------------------------------------------------

def _run(sim, seed: int, count: int) -> list[dict]:
    sim.control("POST", "/_sim/traffic", {"calls_per_second": 2, "seed": seed})
    wait_for(lambda: sim.control("GET", "/_sim/traffic")["placed"] >= count, 20, f"{count} calls")
    recent = sim.control("POST", "/_sim/traffic", {"calls_per_second": 0})["recent"]
    return without_ids(recent[:count])


def test_the_same_seed_places_the_same_calls(quick):
    first = _run(quick, 11, 25)
    quick.control("POST", "/_sim/reset")
    second = _run(quick, 11, 25)
    assert first == second
    assert first[20]["stuck"] and first[20]["kind"] == "stuck-ringing"
    planner = Planner(11)
    assert first[:20] == [{**planner.next().to_json(), "caller_name": entry["caller_name"],
                           "caller_number": entry["caller_number"]} for entry in first[:20]]


async def test_traffic_makes_every_kind_of_event(quick):
    """Without a routing app: routed calls fail in Stasis, the rest run their course."""
    async with EventStream(quick, apps="watcher") as events:
        quick.control("POST", "/_sim/traffic", {"calls_per_second": 3, "seed": 5})
        await async_wait_for(lambda: quick.control("GET", "/_sim/traffic")["placed"] >= 300, 30, "300 calls")
        traffic = quick.control("POST", "/_sim/traffic", {"calls_per_second": 0})
        await asyncio.sleep(0.5)
    assert set(traffic["kinds"]) >= {kind for kind, _ in KINDS}
    types = Counter(event["type"] for event in events.events)
    assert types["ChannelHold"] and types["ChannelUnhold"] and types["ChannelDtmfReceived"]
    causes = Counter(event["cause"] for event in events.events if event["type"] == "ChannelDestroyed")
    assert causes[16] and causes[17]                                           # hung up, busy (105)
    names = {event["channel"]["name"].split("-")[0] for event in events.events if event["type"] == "ChannelCreated"}
    assert "PJSIP/trunk" in names and len(names & {f"PJSIP/{p}" for p in OFFICE_PHONES}) >= 5
    routed = [event["dialplan_app_data"] for event in events.events
              if event["type"] == "ChannelDialplan" and event["dialplan_app"] == "Stasis"]
    assert any(data.startswith("switchboard,dial,PJSIP/trunk/") for data in routed)
    assert any(data.split(",")[2].removeprefix("PJSIP/") in OFFICE_PHONES for data in routed)
    # Blind transfers: a queue caller continues to an agent's line, a dialplan call to another
    # extension of `default`.
    visited: dict[str, list] = {}
    for event in events.events:
        if event["type"] == "ChannelDialplan":
            where = (event["channel"]["dialplan"]["context"], event["channel"]["dialplan"]["exten"])
            if where[1] != "h" and where not in visited.setdefault(event["channel"]["id"], []):
                visited[event["channel"]["id"]].append(where)
    contexts = [[context for context, _ in places] for places in visited.values()]
    assert any(places[:3] == ["from-trunk", "queue", "from-phones"] for places in contexts)
    assert any(len(places) > 1 and set(places) == {"default"} for places in contexts)
    held = {e["channel"]["id"] for e in events.events if e["type"] == "ChannelHold"}
    unheld = {e["channel"]["id"] for e in events.events if e["type"] == "ChannelUnhold"}
    assert unheld <= held


def test_stuck_channels_stay_and_are_capped():
    # A thousand times faster: an hour of simulated time is 3.6 s.
    with running_simulator(time_scale=0.001) as sim:
        sim.control("POST", "/_sim/traffic", {"calls_per_second": 0.05, "seed": 3, "stuck_every": 5, "stuck_max": 3})
        wait_for(lambda: sim.control("GET", "/_sim/traffic")["placed"] >= 40, 20, "40 calls")
        traffic = sim.control("POST", "/_sim/traffic", {"calls_per_second": 0})
        stuck = traffic["stuck_channels"]
        assert len(stuck) == 3 and traffic["stuck"] == 3
        assert traffic["kinds"]["stuck-ringing"] == 2 and traffic["kinds"]["stuck-up"] == 1
        ari = httpx.Client(base_url=sim.ari_url, auth=(USER, PASSWORD), timeout=10)
        # Every other call ends within its longest talk time (900 s); after more than an hour
        # the stuck ones are still there.
        started = time.monotonic()
        left = wait_for(lambda: (ids := {c["id"] for c in ari.get("/channels").json()}) <= set(stuck) and ids,
                        30, "only the stuck channels to remain")
        time.sleep(max(0.0, 3.8 - (time.monotonic() - started)))
        channels = {c["id"]: c for c in ari.get("/channels").json()}
        assert set(channels) == set(stuck) == left
        assert sorted(c["state"] for c in channels.values()) == ["Ring", "Ring", "Up"]
        ari.close()


def test_the_channel_cap_holds(quick):
    quick.control("POST", "/_sim/traffic", {"calls_per_second": 5, "seed": 2, "max_channels": 12})
    most = 0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        most = max(most, quick.control("GET", "/_sim/state")["channels"])
        time.sleep(0.01)
    traffic = quick.control("POST", "/_sim/traffic", {"calls_per_second": 0})
    assert traffic["skipped"] > 0 and traffic["max_channels"] == 12
    assert 8 <= most <= 12


# --- the routing app --------------------------------------------------------------------------

class RouteApp:
    """A tiny stand-in for the dashboard's routing app (dashboard/workflows/router.py): registers
    the app and, on StasisStart with args dial,<endpoint>[,timeout], dials the endpoint, bridges
    on answer, and hangs up one leg when the other leaves (StasisEnd or ChannelDestroyed)."""

    def __init__(self, sim, app: str = "switchboard"):
        self.url = f"{sim.ws_url}?app={app}&api_key={USER}:{PASSWORD}"
        self.app = app
        self.ari = aclient(sim)
        self.started: list[dict] = []           # StasisStart events with dial args
        self.events: list[dict] = []
        self.pairs: dict[str, str] = {}         # callee -> caller and caller -> callee
        self.bridged: set[str] = set()
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> "RouteApp":
        self._ws = await websockets.connect(self.url, max_size=None)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        self._reader.cancel()
        await self._ws.close()
        for task in self._tasks:
            task.cancel()
        await self.ari.aclose()

    def _spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read(self) -> None:
        async for message in self._ws:
            event = json.loads(message)
            self.events.append(event)
            kind = event["type"]
            channel = event.get("channel", {})
            if kind == "StasisStart" and event["args"][:1] == ["dial"]:
                self.started.append(event)
                self._spawn(self._dial(channel["id"], event["args"]))
            elif kind == "ChannelStateChange" and channel["state"] == "Up" and channel["id"].startswith("callee-"):
                self._spawn(self._connect(channel["id"]))
            elif kind in ("StasisEnd", "ChannelDestroyed") and channel["id"] in self.pairs:
                self._spawn(self.ari.delete(f"/channels/{self.pairs.pop(channel['id'])}"))

    async def _dial(self, caller: str, args: list[str]) -> None:
        callee = f"callee-{caller}"
        response = await self.ari.post("/channels/create", params={"endpoint": args[1], "app": self.app,
                                                                   "appArgs": "callee", "channelId": callee})
        if response.status_code != 200:
            await self.ari.delete(f"/channels/{caller}")
            return
        self.pairs[callee], self.pairs[caller] = caller, callee
        timeout = args[2] if len(args) > 2 else "30"
        await self.ari.post(f"/channels/{callee}/dial", params={"caller": caller, "timeout": timeout})

    async def _connect(self, callee: str) -> None:
        caller = self.pairs.get(callee)
        if caller is None:
            return
        await self.ari.post(f"/channels/{caller}/answer")
        await self.ari.post(f"/bridges/b-{caller}", params={"type": "mixing"})
        response = await self.ari.post(f"/bridges/b-{caller}/addChannel", params={"channel": f"{caller},{callee}"})
        if response.status_code == 204:
            self.bridged.add(caller)


async def test_routed_calls_enter_the_app_with_dial_and_the_phone(quick):
    async with RouteApp(quick) as app, EventStream(quick, apps="watcher") as events:
        calls = [("PJSIP/alice", "from-phones", "1002", "PJSIP/bob", "20"),
                 ("PJSIP/trunk", "from-trunk", "5550103", "PJSIP/carol", "20"),
                 ("PJSIP/erin", "from-phones", "0301234567", "PJSIP/trunk/301234567", "60"),
                 ("PJSIP/dave", "from-phones", "0301234517", "PJSIP/trunk/301234517", "60")]
        for index, (source, context, exten, *_) in enumerate(calls):
            quick.control("POST", "/_sim/calls", {"from": source, "context": context, "exten": exten,
                                                  "channel_id": f"c{index}"})
        await async_wait_for(lambda: len(app.started) == 4, 10, "four StasisStarts")
        args = {event["channel"]["id"]: event["args"] for event in app.started}
        assert args == {f"c{i}": ["dial", target, timeout] for i, (*_, target, timeout) in enumerate(calls)}
        # Bridged on answer (the trunk answers after 4 simulated seconds); the busy number is not.
        await async_wait_for(lambda: app.bridged >= {"c0", "c1", "c2"}, 10, "three calls bridged")
        busy = await events.next("ChannelDestroyed", channel="callee-c3", timeout=10)
        assert busy["cause"] == 17
        await events.next("ChannelDestroyed", channel="c3", timeout=10)
        # A phone hanging up ends its call: the stand-in hangs up the other leg.
        quick.control("POST", "/_sim/phones/PJSIP/alice/hangup")
        await events.next("ChannelDestroyed", channel="callee-c0", timeout=10)


async def test_demo_traffic_routes_calls_through_the_app(quick):
    async with RouteApp(quick) as app, EventStream(quick, apps="watcher") as events:
        quick.control("POST", "/_sim/traffic", {"calls_per_second": 1, "seed": 9})
        await async_wait_for(lambda: len(app.bridged) >= 15, 30, "fifteen routed calls bridged")
        quick.control("POST", "/_sim/traffic", {"calls_per_second": 0})
        await asyncio.sleep(0.5)
    targets = Counter()
    for event in app.started:
        assert event["application"] == "switchboard" and event["args"][0] == "dial"
        target = event["args"][1]
        assert target.startswith("PJSIP/")
        resource = target.removeprefix("PJSIP/")
        assert resource in OFFICE_PHONES or resource.startswith("trunk/"), target
        targets["trunk" if resource.startswith("trunk/") else "phone"] += 1
    assert targets["trunk"] and targets["phone"]
    callers = {event["channel"]["name"].split("-")[0] for event in app.started}
    assert "PJSIP/trunk" in callers and callers & {f"PJSIP/{p}" for p in OFFICE_PHONES}
    # Agents put bridged calls on hold, and some far ends hang up first.
    held = [e for e in events.events if e["type"] == "ChannelHold"]
    assert held
    first_gone = Counter()
    for caller in app.bridged:
        destroyed = [e["channel"]["id"] for e in events.events if e["type"] == "ChannelDestroyed"
                     and e["channel"]["id"] in (caller, f"callee-{caller}")]
        if destroyed:
            first_gone["callee" if destroyed[0].startswith("callee-") else "caller"] += 1
    assert first_gone["caller"]
