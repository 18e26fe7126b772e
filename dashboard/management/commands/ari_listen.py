"""Keep the ARI event streams connected and feed every dashboard worker through the channel layer.

Run exactly one beside several web workers (ARI_LISTENER=external, REDIS_URL set). With the
in-memory channel layer the web process runs the same runner itself.
"""
import asyncio
import signal

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboard.live.runner import Runner


class Command(BaseCommand):
    help = "Run the live ARI event listener that feeds the dashboard workers."

    def handle(self, *args, **options):
        layer = get_channel_layer()
        if type(layer).__name__ == "InMemoryChannelLayer":
            raise CommandError("ari_listen needs a shared channel layer: set REDIS_URL (the web process runs "
                               "the listener itself with the in-memory layer)")
        asyncio.run(self._run(layer))

    async def _run(self, layer):
        runner = Runner(settings.ARI_SERVERS, layer, flush_ms=settings.LIVE_FLUSH_MS,
                        reconcile_s=settings.LIVE_RECONCILE_SECONDS)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await runner.start()
        names = ", ".join(f"{s.name} ({s.url}, app {s.app})" for s in settings.ARI_SERVERS)
        self.stdout.write(f"Listening to {names}; Ctrl-C stops.")
        await stop.wait()
        await runner.stop()
