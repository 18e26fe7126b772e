"""Malformed frames on the live WebSocket of a real server: each gets an `error` (or a refused `result`)
back, nothing raises in the consumer, the socket stays open and keeps working, refusals are audited."""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.dashboard.test_live_socket import APP, ari, open_page  # noqa: F401 - a fixture

NOT_OBJECTS = ["[]", '"text"', "42", "null", "true", "[1, 2]", "{not json", "", " "]


@pytest.fixture
def call(ari):
    return ari.post("/channels", params={"endpoint": "PJSIP/alice", "app": APP}).json()["id"]


async def _reply(page, frame, kinds=("error", "result")) -> dict:
    start = len(page.messages)
    await page.ws.send(frame)
    await page.until(lambda p: any(m["type"] in kinds for m in p.messages[start:]), what=f"an answer to {frame!r:.60}")
    return next(m for m in page.messages[start:] if m["type"] in kinds)


async def _still_works(page, channel_id: str) -> None:
    """The socket answers a good action after all that."""
    result = await page.action("hold", channel_id)
    assert result["ok"] is True, result


async def test_frames_that_are_not_json_objects_get_an_error(live_dashboard, call):
    page = await open_page(live_dashboard, "supervisor")
    for frame in NOT_OBJECTS:
        answer = await _reply(page, frame)
        assert answer["type"] == "error" and answer["message"], (frame, answer)
    answer = await _reply(page, b'{"type": "watch", "uid": "default:x"}')
    assert "binary" in answer["message"]
    answer = await _reply(page, json.dumps({"type": "action", "action": "hold", "pad": "x" * 1_000_000}))
    assert answer["type"] == "error" and "KiB" in answer["message"]
    for message in ({}, {"type": None}, {"type": 5}, {"type": ["watch"]}, {"type": "x" * 10_000},
                    {"type": "watch", "uid": 5}, {"type": "watch", "uid": ["a"]},
                    {"type": "watch", "uid": "x" * 10_000}):
        answer = await _reply(page, json.dumps(message))
        assert answer["type"] == "error" and len(answer["message"]) < 300, (message, answer)
    await _still_works(page, call)
    await page.ws.close()


@pytest.mark.parametrize("fields, parameter", [
    ({"params": [1]}, None), ({"params": "abc"}, None), ({"params": None}, None), ({"params": 7}, None),
    ({"uid": 5}, "uid"), ({"uid": ["default:x"]}, "uid"), ({"uid": {"a": 1}}, "uid"),
    ({"action": 5}, "action"), ({"action": ["hold"]}, "action"), ({"action": None}, "action"),
    ({"params": {"reason": "x" * 50_000}, "action": "hangup"}, "reason"),
    ({"params": {"x" * 50_000: 1}}, "x" * 63 + "…"),  # an unknown parameter, named but cut
])
async def test_an_action_with_bad_fields_gets_a_refused_result(live_dashboard, call, fields, parameter):
    page = await open_page(live_dashboard, "supervisor")
    request_id = f"r{time.monotonic_ns()}"
    message = {"type": "action", "id": request_id, "action": "hold", "uid": f"default:{call}", **fields}
    answer = await _reply(page, json.dumps(message))
    assert answer["type"] == "result" and answer["id"] == request_id and answer["ok"] is False, answer
    assert answer["status"] == 400 and answer.get("parameter") == parameter, answer
    assert len(json.dumps(answer)) < 800
    await _still_works(page, call)
    await page.ws.close()


async def test_refused_actions_on_the_socket_are_audited(live_dashboard, call):
    page = await open_page(live_dashboard, "noc")
    for fields in ({"params": [1]}, {"params": "abc"}, {"uid": 5}, {"params": {"reason": "x" * 50_000}}):
        message = {"type": "action", "id": "a", "action": "hangup", "uid": f"default:{call}", **fields}
        assert (await _reply(page, json.dumps(message)))["status"] == 400
    await page.ws.close()
    await asyncio.sleep(0.2)
    audit = live_dashboard.login("admin").get("/api/v1/audit", params={"user": "noc", "action": "hangup",
                                                                         "outcome": "invalid"}).json()["results"]
    mine = [e for e in audit if e["source"] == "ws"]
    assert len(mine) >= 4
    assert all(len(json.dumps(e["params"])) < 2000 and len(e["message"]) <= 500 for e in mine)


async def test_an_action_id_that_cannot_be_echoed_gets_an_error(live_dashboard, call):
    page = await open_page(live_dashboard, "supervisor")
    for request_id in ({"a": 1}, ["x"], "i" * 10_000, True, 10**30):
        message = {"type": "action", "id": request_id, "action": "hold", "uid": f"default:{call}"}
        answer = await _reply(page, json.dumps(message))
        assert answer["type"] == "error", answer
    await _still_works(page, call)
    await page.ws.close()


async def test_nothing_raised_in_the_consumer(live_dashboard):
    assert "Exception in ASGI application" not in live_dashboard.log()
    assert "a message from the page failed" not in live_dashboard.log()
