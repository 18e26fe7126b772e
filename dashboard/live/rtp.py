"""RTP sampling for the "no incoming audio" stuck rule.

Asterisk raises no event when a phone stops sending RTP, so the runner asks: every
max(5 s, STUCK_RTP_SILENCE_SECONDS / 3) it reads the RTP statistics of each answered SIP/PJSIP
channel (a few requests at a time) and records the received-packet count in the source registry
(``ChannelRegistry.record_rtp``), which publishes a change only when a channel stops or starts
receiving: replicas learn ``rtp_idle_since`` from the usual diffs. A channel on hold is not
sampled (no RTP is expected) and its samples are forgotten. A channel that has no RTP session yet
is skipped; one that Asterisk answers 404 for is checked and, gone, removed from the registry (its
ChannelDestroyed may never come: see reconcile.py), so it is not asked about again. A server whose
event stream is not live is skipped. With STUCK_RTP_SILENCE_SECONDS=0 nothing is sampled.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping

from ari_bridge import AriClient, ChannelRegistry, EventStream, LiveChannel
from ari_bridge.errors import AriError, NotFound
from ari_bridge.service import RTP_TECHNOLOGIES

from .reconcile import forget_if_gone

log = logging.getLogger(__name__)

MIN_INTERVAL = 5.0
CONCURRENCY = 8


def _settings_rules():
    from django.conf import settings

    return settings.STUCK_RULES


class RtpSampler:
    def __init__(self, registry: ChannelRegistry, clients: Mapping[str, AriClient],
                 streams: Iterable[EventStream] = (), *, rules: Callable = _settings_rules,
                 min_interval: float = MIN_INTERVAL, concurrency: int = CONCURRENCY,
                 clock: Callable[[], float] = time.time):
        self.registry = registry
        self.clients = clients
        self.streams = {stream.server: stream for stream in streams}
        self.rules = rules
        self.min_interval = min_interval
        self.concurrency = concurrency
        self.clock = clock
        self.samples = 0  # RTP statistics read so far

    def interval(self) -> float:
        return max(self.min_interval, self.rules().rtp_silence_seconds / 3)

    async def run(self) -> None:
        """Sample forever (a task of the runner's; cancelled when it stops)."""
        while True:
            await asyncio.sleep(self.interval())
            try:
                await self.sample_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one bad round must not end the sampling
                log.exception("RTP sampling failed")

    def _live(self, server: str) -> bool:
        stream = self.streams.get(server)
        return stream is None or stream.state == "live"

    async def sample_once(self) -> int:
        """One round over every answered RTP channel; returns how many were sampled."""
        if self.rules().rtp_silence_seconds <= 0:
            return 0
        targets = [e for e in self.registry.values()
                   if e.channel.state == "Up" and e.channel.technology in RTP_TECHNOLOGIES
                   and e.server in self.clients and self._live(e.server)]
        gate = asyncio.Semaphore(self.concurrency)
        results = await asyncio.gather(*(self._sample(entry, gate) for entry in targets))
        return sum(results)

    async def _sample(self, entry: LiveChannel, gate: asyncio.Semaphore) -> int:
        if entry.held:
            self.registry.record_rtp(entry.server, entry.id, None)
            return 0
        async with gate:
            client = self.clients[entry.server]
            try:
                stats = await client.rtp_statistics(entry.id)
            except NotFound:
                await forget_if_gone(self.registry, client, entry)
                return 0
            except AriError as exc:  # no RTP session yet
                log.debug("no RTP statistics for %s: %s", entry.id, exc)
                return 0
        self.samples += 1
        self.registry.record_rtp(entry.server, entry.id, stats.rxcount, self.clock())
        return 1
