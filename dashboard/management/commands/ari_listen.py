"""Keep the ARI event streams connected and feed every dashboard worker through the channel layer.

Runs beside several web workers (ARI_LISTENER=external, REDIS_URL set). Run two (or more) for
failover: they share a lease in Redis (dashboard/live/lease.py); the one holding it connects to ARI,
the others stand by without opening an event socket and take over within a few seconds when the
holder dies. With the in-memory channel layer the web process runs the same runner itself.
"""
import asyncio
import signal

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboard.live.lease import Lease
from dashboard.live.runner import Runner


async def _until_first(*aws) -> set:
    """Wait for the first of `aws` to finish, cancel the others; returns the finished ones."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return {tasks.index(t) for t in done}


class Command(BaseCommand):
    help = "Run the live ARI event listener that feeds the dashboard workers (several for failover)."

    def handle(self, *args, **options):
        layer = get_channel_layer()
        if type(layer).__name__ == "InMemoryChannelLayer":
            raise CommandError("ari_listen needs a shared channel layer: set REDIS_URL (the web process runs "
                               "the listener itself with the in-memory layer)")
        asyncio.run(self._run(layer))

    async def _run(self, layer):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        lease = Lease(settings.REDIS_URL, f"{settings.REDIS_PREFIX}:ari_listen")
        names = ", ".join(f"{s.name} ({s.url}, app {s.app})" for s in settings.ARI_SERVERS)
        try:
            while not stop.is_set():
                self.stdout.write("Standing by: waiting for the listener lease in Redis.")
                if 1 in await _until_first(lease.acquire(), stop.wait()):
                    break
                runner = Runner(settings.ARI_SERVERS, layer, flush_ms=settings.LIVE_FLUSH_MS,
                                reconcile_s=settings.LIVE_RECONCILE_SECONDS)
                await runner.start()
                self.stdout.write(f"Holding the lease: listening to {names}; Ctrl-C stops.")
                stopped = 1 in await _until_first(lease.hold(), stop.wait())
                await runner.stop()
                if not stopped:
                    self.stdout.write("Lost the listener lease: disconnected from ARI.")
        finally:
            await lease.release()  # a standby takes over at once instead of when the lease runs out
            await lease.aclose()
