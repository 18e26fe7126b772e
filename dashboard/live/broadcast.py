"""Group names and message types of the live pipeline: the only module that sends on the channel layer."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

# Every dashboard process's replica listens on this group for diffs from the runner.
LIVE_GROUP = "switchboard.live"
# The runner listens here for snapshot requests and for flags set by the dashboard's own requests.
RUNNER_CHANNEL = "switchboard.runner"

DIFF = "live.diff"
SNAPSHOT = "live.snapshot"
RUNNER_HELLO = "live.hello"
SNAPSHOT_REQUEST = "runner.snapshot"
FLAG = "runner.flag"
COMMAND = "runner.command"
REPLY = "live.reply"

SNAPSHOT_CHUNK = 2000


async def publish_diff(layer, *, runner: str, seq: int, upsert: list[dict], patch: list[list],
                       remove: list[list[str]], events: list[dict], servers: dict | None,
                       sessions: dict | None = None) -> None:
    """One message per flush: new channels whole, changed ones as [server, id, wire.entry_patch]."""
    message: dict[str, Any] = {"type": DIFF, "runner": runner, "seq": seq, "upsert": upsert, "patch": patch,
                               "remove": remove, "events": events}
    if servers is not None:
        message["servers"] = servers
    if sessions:
        message["sessions"] = sessions  # {"upsert": [session, ...], "remove": [id, ...]}
    await layer.group_send(LIVE_GROUP, message)


async def announce_runner(layer, *, runner: str, seq: int) -> None:
    """Tell replicas a (new) runner is up, so they fetch a fresh snapshot."""
    await layer.group_send(LIVE_GROUP, {"type": RUNNER_HELLO, "runner": runner, "seq": seq})


async def send_snapshot(layer, reply_to: str, *, request_id: str, runner: str, seq: int, entries: list[dict],
                        servers: dict, sessions: list[dict]) -> None:
    chunks = [entries[i:i + SNAPSHOT_CHUNK] for i in range(0, len(entries), SNAPSHOT_CHUNK)] or [[]]
    for n, chunk in enumerate(chunks):
        await layer.send(reply_to, {
            "type": SNAPSHOT, "request_id": request_id, "runner": runner, "seq": seq, "entries": chunk,
            "servers": servers, "sessions": sessions, "last": n == len(chunks) - 1,
        })


async def request_snapshot(layer, *, reply_to: str, request_id: str) -> None:
    await layer.send(RUNNER_CHANNEL, {"type": SNAPSHOT_REQUEST, "reply_to": reply_to, "request_id": request_id})


async def send_flag(layer, *, server: str, channel_id: str, action: str, params: dict) -> None:
    await layer.send(RUNNER_CHANNEL, {"type": FLAG, "server": server, "channel_id": channel_id,
                                      "action": action, "params": params})


async def send_command(layer, *, reply_to: str, request_id: str, name: str, args: dict) -> None:
    await layer.send(RUNNER_CHANNEL, {"type": COMMAND, "reply_to": reply_to, "request_id": request_id,
                                      "name": name, "args": args})


async def send_reply(layer, reply_to: str, *, request_id: str, result: dict | None = None,
                     error: tuple[int, str] | None = None) -> None:
    message: dict[str, Any] = {"type": REPLY, "request_id": request_id}
    if error is not None:
        message["status"], message["message"] = error
    else:
        message["result"] = result
    await layer.send(reply_to, message)


async def listen(layer, channel: str, handle: Callable[[dict], Awaitable[None]], *, what: str,
                 repair: Callable[[], Awaitable[None]] | None = None) -> None:
    """Receive on `channel` until cancelled; every listener of the channel layer runs this loop.

    Neither a failing receive (Redis restarting: wait a second) nor a message its handler chokes on may
    end a listener; `repair` (a replica's fresh snapshot) then makes up for whatever was missed.
    """
    while True:
        try:
            message = await layer.receive(channel)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            log.exception("%s: the channel layer failed; retrying", what)
            await asyncio.sleep(1)
            if repair is not None:
                await repair()
            continue
        try:
            await handle(message)
        except Exception:  # noqa: BLE001
            log.exception("%s failed on a %r message", what, message.get("type"))
            if repair is not None:
                await repair()
