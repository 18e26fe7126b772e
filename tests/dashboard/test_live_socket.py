"""The live WebSocket of a real dashboard server: login, origin, snapshot then diffs, agents' own calls
only, actions with the role table, the timeline, and the connection state across an Asterisk restart."""
from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets

APP = "switchboard"


class LivePage:
    """What a page holds: the channels by uid, the servers' states, every message in order."""

    def __init__(self, ws):
        self.ws = ws
        self.channels: dict[str, dict] = {}
        self.servers: dict = {}
        self.messages: list[dict] = []
        self._snapshot: dict[str, dict] | None = None
        self.blocked_maps: list[dict] = []

    def _resolved(self, channel: dict) -> dict:
        # As static/js/common.js does: the socket sends each `blocked` map once, then its number.
        assert isinstance(channel["blocked"], int), channel["blocked"]
        return {**channel, "blocked": self.blocked_maps[channel["blocked"]]}

    async def next(self, timeout: float = 5.0) -> dict:
        message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.messages.append(message)
        kind = message["type"]
        if kind == "snapshot":
            if message.get("part", 0) == 0:
                self._snapshot = {}
            self._snapshot.update({c["uid"]: self._resolved(c) for c in message["channels"]})
            if message.get("last", True):
                self.channels, self._snapshot = self._snapshot, None
        elif kind == "diff":
            for c in message["upsert"]:
                self.channels[c["uid"]] = self._resolved(c)
            for fields in message["patch"]:  # only what changed, on a channel the page has
                assert fields["uid"] in self.channels, f"a patch for a channel the page lacks: {fields}"
                changed = {**self.channels[fields["uid"]], **fields}
                if "blocked" in fields:
                    changed = self._resolved(changed)
                self.channels[fields["uid"]] = changed
            for uid in message["remove"]:
                self.channels.pop(uid, None)
        elif kind == "blocked":
            assert message["from"] == len(self.blocked_maps), "a blocked map was skipped"
            self.blocked_maps.extend(message["maps"])
        elif kind in ("hello", "connection"):
            self.servers = message["servers"]
        return message

    async def until(self, predicate, timeout: float = 5.0, what: str = "condition") -> dict:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}; last messages: {self.messages[-3:]}")
            try:
                await self.next(remaining)
            except TimeoutError:
                continue
        return self

    def by_id(self, channel_id: str) -> dict | None:
        return self.channels.get(f"default:{channel_id}")

    async def action(self, action: str, channel_id: str | None = None, **params) -> dict:
        request_id = f"r{time.monotonic_ns()}"
        await self.ws.send(json.dumps({"type": "action", "id": request_id, "action": action,
                                       "uid": f"default:{channel_id}" if channel_id else "", "params": params}))
        while True:
            message = await self.next()
            if message["type"] == "result" and message["id"] == request_id:
                return message


async def open_page(live_dashboard, username: str) -> LivePage:
    client = live_dashboard.login(username)
    ws = await websockets.connect(live_dashboard.ws_url, origin=live_dashboard.url,
                                  additional_headers={"Cookie": live_dashboard.cookie_header(client)})
    page = LivePage(ws)
    await page.until(lambda p: any(m["type"] == "snapshot" and m.get("last", True) for m in p.messages),
                     what="the snapshot")
    return page


@pytest.fixture
def ari(simulator):
    client = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password), timeout=10)
    for phone in ("alice", "bob", "carol"):
        simulator.control("POST", f"/_sim/phones/PJSIP/{phone}", json={
            "answer_after": 0.05, "busy": False, "never_answer": False, "reject": False, "offline": False,
            "hangup_after": None})
    yield client
    for channel in client.get("/channels").json():
        client.delete(f"/channels/{channel['id']}")


def call(ari, endpoint: str) -> str:
    response = ari.post("/channels", params={"endpoint": endpoint, "app": APP})
    assert response.status_code == 200, response.text
    return response.json()["id"]


async def test_a_socket_without_login_is_refused(live_dashboard):
    async with websockets.connect(live_dashboard.ws_url, origin=live_dashboard.url) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()  # nothing comes before the close
    assert ws.close_code == 4401  # the page goes to the login page


@pytest.mark.parametrize("origin", [
    "http://evil.example.com",
    "http://127.0.0.1:1",  # another application on the same host: cookies are not kept per port
    "https://127.0.0.1:{port}",  # another scheme
    "http://localhost:{port}",  # another name for this host is another origin, as for Django's CSRF check
])
@pytest.mark.parametrize("path", ["/ws/live/", "/ws/wallboard/"])
async def test_a_socket_from_another_origin_is_refused(live_dashboard, origin, path):
    client = live_dashboard.login("supervisor")
    origin = origin.format(port=live_dashboard.port)
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(live_dashboard.ws_url.replace("/ws/live/", path), origin=origin,
                                      additional_headers={"Cookie": live_dashboard.cookie_header(client)}) as ws:
            await ws.recv()
    assert refused.value.response.status_code == 403


async def test_snapshot_then_diffs_follow_the_calls(live_dashboard, ari):
    before = call(ari, "PJSIP/alice")
    page = await open_page(live_dashboard, "supervisor")
    assert page.messages[0]["type"] == "hello" and page.servers["default"]["state"] == "live"
    assert isinstance(page.messages[0]["now"], float)
    await page.until(lambda p: p.by_id(before) and p.by_id(before)["state"] == "Up", what="the first call, Up")
    later = call(ari, "PJSIP/bob")
    await page.until(lambda p: p.by_id(later) and p.by_id(later)["app"] == APP, what="the new call in the app")
    assert ari.delete(f"/channels/{later}").status_code == 204
    await page.until(lambda p: p.by_id(later) is None, what="the hung-up call to go")
    assert p_channel_shape(page.by_id(before))
    await page.ws.close()


async def test_blocked_maps_go_once_and_match_the_rest_api(live_dashboard, ari, simulator):
    in_app = call(ari, "PJSIP/alice")
    in_dialplan = simulator.control("POST", "/_sim/calls", json={
        "from": "PJSIP/bob", "context": "default", "exten": "103", "channel_id": "dialplan-103"})["id"]
    page = await open_page(live_dashboard, "supervisor")
    await page.until(lambda p: p.by_id(in_app) and p.by_id(in_app)["state"] == "Up"
                     and p.by_id(in_dialplan) and p.by_id(in_dialplan)["state"] == "Up", what="both calls, Up")
    rest = live_dashboard.login("supervisor")
    for channel_id in (in_app, in_dialplan):
        assert page.by_id(channel_id)["blocked"] == rest.get(f"/api/v1/channels/{channel_id}").json()["blocked"]
    assert "hold" in page.by_id(in_dialplan)["blocked"] and "hold" not in page.by_id(in_app)["blocked"]
    # A second page of the same process gets the maps again (each socket starts from none)...
    maps_before = len(page.blocked_maps)
    second = await open_page(live_dashboard, "supervisor")
    assert second.blocked_maps == page.blocked_maps[:len(second.blocked_maps)]
    assert second.by_id(in_dialplan)["blocked"] == page.by_id(in_dialplan)["blocked"]
    # ...and a change that keeps a channel's map sends its number only.
    assert (await page.action("hold", in_app))["ok"]
    await page.until(lambda p: p.by_id(in_app)["flags"]["held"], what="the held flag")
    assert len(page.blocked_maps) == maps_before
    sent = [m for msg in page.messages if msg["type"] == "blocked" for m in msg["maps"]]
    assert len(sent) == len({json.dumps(m, sort_keys=True) for m in sent})
    await page.ws.close()
    await second.ws.close()


def p_channel_shape(channel: dict) -> bool:
    expected = {"uid", "server", "id", "name", "state", "caller", "connected", "dialplan", "app", "created",
                "last_event", "language", "accountcode", "flags", "dashboard_flags", "blocked", "stuck"}
    assert expected <= set(channel), expected - set(channel)
    assert {"held", "held_by", "muted", "moh", "silence", "ringing", "snooped_by", "snoop_of", "bridges",
            "playbacks", "recordings"} <= set(channel["flags"])
    return True


async def test_an_agents_socket_carries_only_their_calls(live_dashboard, ari):
    theirs = call(ari, "PJSIP/bob")
    page = await open_page(live_dashboard, "agent")  # PJSIP/alice
    mine = call(ari, "PJSIP/alice")
    late_other = call(ari, "PJSIP/carol")
    await page.until(lambda p: p.by_id(mine) is not None, what="the agent's own call")
    # Give the other calls time to show up if they were (wrongly) sent.
    supervisor = await open_page(live_dashboard, "supervisor")
    await supervisor.until(lambda p: p.by_id(late_other) and p.by_id(theirs), what="all calls for the supervisor")
    await asyncio.sleep(0.3)
    while True:
        try:
            await page.next(0.2)
        except TimeoutError:
            break
    seen = {c["uid"] for m in page.messages if m["type"] in ("snapshot", "diff")
            for c in m.get("channels", m.get("upsert", [])) + m.get("patch", [])}
    assert seen == {f"default:{mine}"}
    await page.ws.close()
    await supervisor.ws.close()


async def test_actions_over_the_socket_follow_the_roles_and_are_audited(live_dashboard, ari):
    channel_id = call(ari, "PJSIP/alice")
    agent = await open_page(live_dashboard, "agent")
    await agent.until(lambda p: p.by_id(channel_id) and p.by_id(channel_id)["app"] == APP, what="the call")
    held = await agent.action("hold", channel_id)
    assert held["ok"] is True and held["status"] == 204
    await agent.until(lambda p: p.by_id(channel_id)["flags"]["held"], what="the held flag")
    assert agent.by_id(channel_id)["flags"]["held_by"] == "dashboard"
    denied = await agent.action("start_moh", channel_id)
    assert denied["ok"] is False and denied["status"] == 403
    invalid = await agent.action("mute", channel_id, direction="sideways")
    assert invalid["status"] == 400 and invalid["parameter"] == "direction"
    audit = live_dashboard.login("admin").get("/api/v1/audit", params={"user": "agent"}).json()["results"]
    by_action = {(e["action"], e["outcome"], e["source"]) for e in audit if e["channel_id"] == channel_id}
    assert {("hold", "ok", "ws"), ("start_moh", "denied", "ws"), ("mute", "invalid", "ws")} <= by_action
    await agent.ws.close()


async def test_watching_a_channel_streams_its_timeline(live_dashboard, ari, simulator):
    channel_id = call(ari, "PJSIP/alice")
    page = await open_page(live_dashboard, "supervisor")
    await page.until(lambda p: p.by_id(channel_id) and p.by_id(channel_id)["app"] == APP, what="the call")
    await page.ws.send(json.dumps({"type": "watch", "uid": f"default:{channel_id}"}))
    # History first: the channel's creation and its entry into the application.
    await page.until(lambda p: any(m["type"] == "events" for m in p.messages), what="the timeline history")
    history = [i for m in page.messages if m["type"] == "events" for i in m["items"]]
    assert {"ChannelCreated", "StasisStart"} <= {i["type"] for i in history}
    simulator.control("POST", "/_sim/phones/PJSIP/alice/hold")
    await page.until(lambda p: any(i["type"] == "ChannelHold" for m in p.messages if m["type"] == "events"
                                   for i in m["items"]), what="the ChannelHold item")
    await page.until(lambda p: p.by_id(channel_id)["flags"]["held_by"] == "phone", what="held by the phone")
    await page.ws.close()


async def test_an_agent_cannot_follow_the_timeline_of_someone_elses_call(live_dashboard, ari):
    """A watch may name a channel before it exists; whose it turns out to be decides what the page gets."""
    uid = f"default:watch-probe-{time.monotonic_ns()}"
    agent = await open_page(live_dashboard, "agent")  # PJSIP/alice's
    supervisor = await open_page(live_dashboard, "supervisor")
    for page in (agent, supervisor):
        await page.ws.send(json.dumps({"type": "watch", "uid": uid}))
    ari.post("/channels", params={"endpoint": "PJSIP/carol", "app": APP, "channelId": uid.split(":", 1)[1],
                                  "callerId": '"Secret Boss" <999>'}).raise_for_status()
    await supervisor.until(lambda p: any(i["type"] == "StasisStart" for m in p.messages if m["type"] == "events"
                                         for i in m["items"]), what="the supervisor's timeline")
    await asyncio.sleep(0.5)
    while True:  # whatever reached the agent's socket by now
        try:
            await agent.next(0.2)
        except TimeoutError:
            break
    assert [m for m in agent.messages if m["type"] == "events"] == []
    for page in (agent, supervisor):
        await page.ws.close()


async def test_changes_are_coalesced(live_dashboard, ari):
    channel_id = call(ari, "PJSIP/alice")
    page = await open_page(live_dashboard, "supervisor")
    await page.until(lambda p: p.by_id(channel_id) and p.by_id(channel_id)["app"] == APP, what="the call")
    start = len(page.messages)
    for n in range(40):
        ari.post(f"/channels/{channel_id}/variable", params={"variable": "CALLERID(name)", "value": f"Name {n}"})
    await page.until(lambda p: p.by_id(channel_id)["caller"]["name"] == "Name 39", what="the last caller name")
    diffs = [m for m in page.messages[start:] if m["type"] == "diff"]
    assert 1 <= len(diffs) < 20, f"{len(diffs)} diffs for 40 changes"
    await page.ws.close()


async def test_connection_state_follows_an_asterisk_restart(live_dashboard, ari, simulator):
    page = await open_page(live_dashboard, "supervisor")
    simulator.control("POST", "/_sim/restart", json={"down_seconds": 1.0})
    await page.until(lambda p: p.servers["default"]["state"] in ("reconnecting", "unreachable"),
                     what="the reconnecting state")
    await page.until(lambda p: p.servers["default"]["state"] == "live", timeout=15, what="live again")
    await page.ws.close()


async def test_sessions_go_to_their_owner_and_to_those_who_supervise_in_words_for_each(live_dashboard, ari):
    supervisor = await open_page(live_dashboard, "supervisor")
    noc = await open_page(live_dashboard, "noc")
    agent_client = live_dashboard.login("agent")
    agent = await open_page(live_dashboard, "agent")
    session = agent_client.post("/api/v1/click-to-call", json={"destination": "100"}).json()
    sid = session["id"]

    def ended(page):
        return next((s for m in page.messages if m["type"] == "sessions"
                     for s in m.get("upsert", m.get("sessions", [])) if s["id"] == sid and s["ended"]), None)

    await agent.until(lambda p: any(s["id"] == sid and s["state"] == "connected" for m in p.messages
                                    if m["type"] == "sessions" for s in m.get("upsert", [])), what="connected")
    agent_client.post(f"/api/v1/sessions/{sid}/stop")
    await agent.until(ended, what="the end, for the owner")
    await supervisor.until(ended, what="the end, for a supervisor")
    assert ended(agent)["detail"] == "you hung up from the dashboard"
    assert ended(supervisor)["detail"] == "agent hung up from the dashboard"
    assert ended(supervisor)["ended_by"] == "agent" and "detail_others" not in ended(supervisor)
    await asyncio.sleep(0.3)
    assert not [m for m in noc.messages if m["type"] == "sessions" and m.get("upsert")], "NOC got someone's session"
    for page in (supervisor, noc, agent):
        await page.ws.close()
