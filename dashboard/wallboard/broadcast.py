"""The wallboard's messages on the channel layer, beside the live channels' (dashboard/live/broadcast.py):
a group of its own and message types of its own, so that neither pipeline reads the other's.

feed (runner side) -> GROUP: ``wallboard.hello`` when it starts, ``wallboard.diff`` (numbered) on change.
replica (web side) -> RUNNER_CHANNEL: ``wallboard.snapshot_request``; the feed answers ``wallboard.snapshot``.
"""
from __future__ import annotations

from typing import Any

GROUP = "switchboard.wallboard"
RUNNER_CHANNEL = "switchboard.wallboard.runner"

HELLO = "wallboard.hello"
DIFF = "wallboard.diff"
SNAPSHOT = "wallboard.snapshot"
SNAPSHOT_REQUEST = "wallboard.snapshot_request"


async def announce(layer, *, seq: int) -> None:
    await layer.group_send(GROUP, {"type": HELLO, "seq": seq})


async def publish_diff(layer, *, seq: int, upsert: list[dict], remove: list[str], point: list[float] | None,
                       servers: dict | None) -> None:
    message: dict[str, Any] = {"type": DIFF, "seq": seq, "upsert": upsert, "remove": remove}
    if point is not None:
        message["point"] = point
    if servers is not None:
        message["servers"] = servers
    await layer.group_send(GROUP, message)


async def request_snapshot(layer, *, reply_to: str, request_id: str) -> None:
    await layer.send(RUNNER_CHANNEL, {"type": SNAPSHOT_REQUEST, "reply_to": reply_to, "request_id": request_id})


async def send_snapshot(layer, reply_to: str, *, request_id: str, seq: int, tiles: list[dict],
                        history: list[list[float]], bucket_seconds: int, servers: dict) -> None:
    await layer.send(reply_to, {"type": SNAPSHOT, "request_id": request_id, "seq": seq, "tiles": tiles,
                                "history": history, "bucket_seconds": bucket_seconds, "servers": servers})
