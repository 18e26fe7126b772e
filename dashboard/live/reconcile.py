"""Keep the source registry equal to what Asterisk has while the event streams stay connected.

Each (re)connect resyncs from ``GET /channels`` (ari_bridge's EventStream). Between two connects the
registry learns only from events, so a channel whose ChannelDestroyed never comes (Asterisk lost it,
an event it dropped on a slow socket, the simulator's ``/_sim/reset``) would stay in every list for
ever, and the RTP sampler would keep asking about it. Two things catch it:

- every ``LIVE_RECONCILE_SECONDS``, ``GET /channels`` of each live server, folded in by
  ``ChannelRegistry.reconcile`` (which leaves alone whatever an event touched meanwhile);
- at once, a 404 about a channel the registry still lists (``forget_if_gone``, called by the RTP
  sampler): ``GET /channels/{id}`` confirms it, and the entry goes.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

from ari_bridge import AriClient, ChannelRegistry, EventStream, LiveChannel
from ari_bridge.errors import AriError, NotFound

log = logging.getLogger(__name__)


async def forget_if_gone(registry: ChannelRegistry, client: AriClient, entry: LiveChannel) -> bool:
    """Remove ``entry`` if Asterisk no longer has its channel and no event changed it meanwhile."""
    try:
        await client.get(entry.id)
    except NotFound:
        if registry.get(entry.key) is entry:
            registry.remove(entry.key)
            log.info("%s %s is gone from Asterisk without a ChannelDestroyed: removed", entry.server, entry.id)
            return True
    except AriError as exc:
        log.debug("could not check %s: %s", entry.id, exc)
    return False


class Reconciler:
    def __init__(self, registry: ChannelRegistry, clients: Mapping[str, AriClient], streams: Iterable[EventStream],
                 *, interval: float):
        self.registry = registry
        self.clients = clients
        self.streams = list(streams)
        self.interval = interval

    async def run(self) -> None:
        """Check every `interval` seconds (a task of the runner's; cancelled when it stops)."""
        if self.interval <= 0:
            return
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one bad round must not end the checks
                log.exception("checking the live state against GET /channels failed")

    async def check(self) -> int:
        """One round over every live server; returns how many channels it added, changed or removed."""
        changed = 0
        for stream in self.streams:
            if stream.state != "live":
                continue  # its reconnect resyncs it
            connects = stream.connects
            before = {entry.key: entry for entry in self.registry.values(stream.server)}
            try:
                channels = await self.clients[stream.server].list()
            except AriError as exc:
                log.debug("GET /channels of %s failed: %s", stream.server, exc)
                continue
            if stream.state != "live" or stream.connects != connects:
                continue  # a reconnect resynced it meanwhile
            changes = self.registry.reconcile(stream.server, channels, before)
            if changes:
                log.info("%s: %d channel(s) caught up with GET /channels", stream.server, len(changes))
            changed += len(changes)
        return changed
