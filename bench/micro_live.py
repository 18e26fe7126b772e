"""The live socket's per-page cost, without the network: one diff of `changes` changed channels (out
of `channels`) delivered to `pages` LiveConsumer instances whose send only counts bytes; CPU time
of this process (so the machine's other load barely moves it). Run from a checkout's root:

    .venv/bin/python -m bench.micro_live [--channels 500] [--changes 100] [--pages 200] [--rounds 5]

Prints one JSON object. bench/compare.py runs it from two checkouts, turn about (before/after).
Also reports what permessage-deflate (websockets', as uvicorn uses it) costs per page for the same diff.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "switchboard.settings")
    import django

    django.setup()
    from ari_bridge import ChannelRegistry, ChannelService
    from ari_bridge.events import parse_event
    from dashboard.consumers import LiveConsumer
    from dashboard.live.replica import Batch

    registry = ChannelRegistry()

    def event(n: int, name: str) -> dict:
        return {"type": "ChannelCallerId", "timestamp": "2026-01-01T00:00:00.000+0000", "application": "switchboard",
                "asterisk_id": "00:00:00:00:00:01", "caller_presentation": 0, "caller_presentation_txt": "x",
                "channel": {"id": f"c{n}", "name": f"PJSIP/alice-{n:08x}", "state": "Up", "protocol_id": "",
                            "caller": {"name": name, "number": "2001"}, "connected": {"name": "", "number": ""},
                            "accountcode": "", "dialplan": {"context": "default", "exten": "103", "priority": 2,
                                                            "app_name": "Wait", "app_data": "3600"},
                            "creationtime": "2026-01-01T00:00:00.000+0000", "language": "en"}}

    for n in range(args.channels):
        registry.apply(parse_event(event(n, "start")), "default")
    service = ChannelService({}, registry)

    class Actor:
        sees_all = True
        endpoint = ""

    class Runtime:
        pass

    rt = Runtime()
    rt.service = service
    sent_bytes = [0]
    last_text = [""]

    async def send(text: str) -> None:
        sent_bytes[0] += len(text)
        last_text[0] = text

    # Checkouts before field-level diffs present per socket; later ones present per process (a fanout
    # fed by the replica) and the sockets share its messages.
    fanout_module = importlib.util.find_spec("dashboard.live.fanout")
    if fanout_module is not None:
        from dashboard.live.fanout import Fanout
        from dashboard.live.replica import Replica

        replica = Replica(None)
        replica.registry = registry
        rt.replica = replica
        rt.fanout = replica.fanout = Fanout(replica, service)
    pages = []
    for _ in range(args.pages):
        page = LiveConsumer.__new__(LiveConsumer)
        page.actor, page.rt, page.watch, page.blocked_sent = Actor(), rt, None, 0
        page.hide, page.pending, page.wake = False, [], asyncio.Event()
        page.sent = {("default", f"c{n}") for n in range(args.channels)}
        page.send = send
        pages.append(page)
    if fanout_module is not None:
        replica.listeners.update(pages)
        rt.fanout.view(False)  # as the pages' snapshots do

    async def deliver(round_no: int) -> float:
        for n in range(args.changes):
            registry.apply(parse_event(event(n, f"r{round_no}")), "default")
        batch = Batch(upsert=[registry.get(("default", f"c{n}")) for n in range(args.changes)])
        started = time.process_time()
        if fanout_module is not None:
            replica._notify(batch)
            for page in pages:
                batches, page.pending = page.pending, []
                await page._deliver(batches)
        else:
            for page in pages:
                await page._deliver([batch])
        return time.process_time() - started

    async def run() -> list[float]:
        await deliver(-1)
        return [await deliver(r) for r in range(args.rounds)]

    figures = asyncio.run(run())
    per_page_us = statistics.median(figures) / args.pages * 1e6
    from websockets.extensions.permessage_deflate import PerMessageDeflate
    from websockets.frames import Frame, Opcode

    deflate = PerMessageDeflate(False, False, 15, 15)
    payload = last_text[0].encode()
    started = time.process_time()
    for _ in range(20):
        deflate.encode(Frame(Opcode.TEXT, payload))
    deflate_us = (time.process_time() - started) / 20 * 1e6
    print(json.dumps({"channels": args.channels, "changes": args.changes, "pages": args.pages,
                      "cpu_ms_per_delivery_round": round(statistics.median(figures) * 1000, 2),
                      "cpu_us_per_page": round(per_page_us, 1), "diff_bytes": len(payload),
                      "deflate_us_per_page": round(deflate_us, 1)}))


if __name__ == "__main__":
    main()
