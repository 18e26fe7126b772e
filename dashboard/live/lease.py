"""Which `manage.py ari_listen` holds the ARI event sockets, when several run: a lease in Redis.

Asterisk lets one WebSocket own a Stasis application (a second one takes it over), so exactly one
listener may connect. They agree through redis-py's lock: the holder renews it every LEASE_S / 3; a
listener that is killed stops renewing, and after at most LEASE_S another one gets it. The holder
that cannot renew (Redis unreachable, or the lease expired while it was stalled) gives up its
sockets before the lease can have passed to someone else.
"""
from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

LEASE_S = 3.0
RENEW_S = LEASE_S / 3
POLL_S = 0.2  # how often a standby asks for the lease


class Lease:
    def __init__(self, url: str, name: str):
        self.redis = Redis.from_url(url, socket_timeout=RENEW_S, socket_connect_timeout=RENEW_S)
        self.lock = self.redis.lock(name, timeout=LEASE_S, sleep=POLL_S, thread_local=False)

    async def acquire(self) -> None:
        """Wait until this process holds the lease (Redis errors are waited out too)."""
        while True:
            try:
                if await self.lock.acquire(blocking=True):
                    return
            except RedisError as exc:
                log.warning("cannot reach Redis for the listener lease: %s", exc)
                await asyncio.sleep(POLL_S)

    async def hold(self) -> None:
        """Keep renewing; returns once the lease is lost or can no longer be vouched for."""
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(RENEW_S)
            try:
                await self.lock.reacquire()
                renewed = time.monotonic()
            except LockError:
                log.warning("the listener lease passed to another listener")
                return
            except RedisError as exc:
                # Still ours for LEASE_S after the last renewal; give up a renewal's time before that.
                if time.monotonic() - renewed >= LEASE_S - RENEW_S:
                    log.warning("cannot renew the listener lease (%s): standing down", exc)
                    return

    async def release(self) -> None:
        try:
            await self.lock.release()
        except (LockError, RedisError):
            pass  # expired or unreachable: it ends on its own

    async def aclose(self) -> None:
        await self.redis.aclose()
