"""The wallboard's WebSocket on a real dashboard server (uvicorn, demo users): who may open it, the whole
board first, then the tiles that change as a call rings, is answered, held and ends."""
from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets

APP = "switchboard"


class Board:
    """What the wallboard page holds: tiles by id and the history, from the messages in order."""

    def __init__(self, ws):
        self.ws = ws
        self.tiles: dict[str, dict] = {}
        self.points: list[list[float]] = []
        self.messages: list[dict] = []

    async def next(self, timeout: float) -> dict:
        message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.messages.append(message)
        if message["type"] == "board":
            self.tiles = {t["id"]: t for t in message["tiles"]}
            self.points = message["history"]
        elif message["type"] == "tiles":
            self.tiles.update({t["id"]: t for t in message["upsert"]})
            for tile_id in message["remove"]:
                self.tiles.pop(tile_id, None)
            self.points += message["points"]
        return message

    async def until(self, predicate, what: str, timeout: float = 8.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}; last messages: {self.messages[-3:]}")
            try:
                await self.next(remaining)
            except TimeoutError:
                continue

    def status(self, endpoint: str) -> str | None:
        tile = self.tiles.get(f"default:{endpoint}")
        return tile and tile["status"]


def _ws_url(live_dashboard) -> str:
    return live_dashboard.url.replace("http", "ws") + "/ws/wallboard/"


async def open_board(live_dashboard, username: str) -> Board:
    client = live_dashboard.login(username)
    ws = await websockets.connect(_ws_url(live_dashboard), origin=live_dashboard.url,
                                  additional_headers={"Cookie": live_dashboard.cookie_header(client)})
    board = Board(ws)
    await board.until(lambda b: any(m["type"] == "board" for m in b.messages), "the board")
    return board


@pytest.fixture
def ari(simulator):
    client = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password), timeout=10)
    simulator.control("POST", "/_sim/phones/PJSIP/bob", json={"ring_after": 0.05, "answer_after": 1.0,
                                                              "busy": False, "never_answer": False, "offline": False})
    yield client
    for channel in client.get("/channels").json():
        client.delete(f"/channels/{channel['id']}")
    simulator.control("POST", "/_sim/phones/PJSIP/bob", json={"answer_after": 0.3})


async def test_a_socket_without_login_is_refused(live_dashboard):
    async with websockets.connect(_ws_url(live_dashboard), origin=live_dashboard.url) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()  # nothing comes before the close
    assert ws.close_code == 4401  # the page goes to the login page


@pytest.mark.parametrize("username", ["agent", "noc"])
async def test_roles_without_the_wallboard_are_refused_and_audited(live_dashboard, username):
    client = live_dashboard.login(username)
    async with websockets.connect(_ws_url(live_dashboard), origin=live_dashboard.url,
                                  additional_headers={"Cookie": live_dashboard.cookie_header(client)}) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
    assert ws.close_code == 4403
    audit = live_dashboard.login("admin").get("/api/v1/audit", params={"user": username,
                                                                        "action": "view_wallboard"}).json()
    assert [(e["outcome"], e["status"], e["source"]) for e in audit["results"]][:1] == [("denied", 403, "ws")]


async def test_the_board_then_the_tiles_that_change(live_dashboard, ari, simulator):
    board = await open_board(live_dashboard, "supervisor")
    hello, first = board.messages[0], board.messages[1]
    assert hello["type"] == "hello" and hello["servers"]["default"]["state"] == "live"
    assert isinstance(hello["now"], float) and first["bucket_seconds"] == 10
    bob = board.tiles["default:PJSIP/bob"]
    # The demo user on PJSIP/bob (agent2), as the profile names it.
    assert (bob["name"], bob["user"], bob["group"], bob["extension"], bob["known"]) == (
        "agent2", "agent2", "agent", "1002", True)
    await board.until(lambda b: b.status("PJSIP/bob") == "idle", "bob idle")

    call = ari.post("/channels", params={"endpoint": "PJSIP/bob", "app": APP,
                                         "callerId": '"Maria González" <+34911234567>'}).json()["id"]
    await board.until(lambda b: b.status("PJSIP/bob") == "ringing", "bob ringing")
    await board.until(lambda b: b.status("PJSIP/bob") == "busy", "bob on the call")
    assert board.tiles["default:PJSIP/bob"]["peer"] == {"name": "Maria González", "number": "+34911234567"}
    simulator.control("POST", "/_sim/phones/PJSIP/bob/hold")
    await board.until(lambda b: b.status("PJSIP/bob") == "held", "bob holding")
    assert ari.delete(f"/channels/{call}").status_code == 204
    await board.until(lambda b: b.status("PJSIP/bob") == "idle", "bob idle again")
    # Only what changed travels: no diff carries the whole board.
    diffs = [m for m in board.messages if m["type"] == "tiles"]
    assert diffs and max(len(m["upsert"]) for m in diffs) < len(board.tiles)
    assert board.points and board.points[-1][1] >= 0

    await board.ws.send(json.dumps({"type": "watch"}))
    await board.until(lambda b: b.messages[-1]["type"] == "error", "the socket to refuse messages")
    await board.ws.close()
