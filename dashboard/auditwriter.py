"""Audit rows written in batches, off the event loop, by one thread with one database connection.

Actions run on the event loop; an INSERT per action, each in a thread of its own with a new connection,
cost more than the rest of the action. The writer takes rows from every request of the process and
writes what has gathered in one transaction (group commit): alone, a row is written at once; under load,
the rows that arrive while a batch is written go in the next one.

Nothing is lost that an answer was given for: `write()` returns once its row is committed, and callers
answer only then. What a crash (SIGKILL, power) can lose is the rows of requests still in flight, which
their callers never saw answered. On shutdown the writer drains its queue first (`close()`).
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import InterfaceError, OperationalError, connection, transaction

from .models import AuditEntry

log = logging.getLogger(__name__)

MAX_BATCH = 500
# A database that went away (PostgreSQL restarted, SQLite locked for long) is tried again this often, the
# rows kept meanwhile; after the last try the waiting requests get the error.
RETRY_DELAYS = (0.1, 0.5, 2.0)


class AuditWriter:
    def __init__(self) -> None:
        self._queue: list[tuple[AuditEntry, asyncio.Future]] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._closing = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-writer")
        self.batches = 0  # transactions committed (tests and benchmarks read it)
        self.rows = 0

    async def write(self, row: AuditEntry) -> None:
        """Queue the row; return once it is committed (or raise the database's error)."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._run(), name="audit-writer")
        done = loop.create_future()
        self._queue.append((row, done))
        self._wake.set()
        # A request cancelled meanwhile (its client went away) still has its row written.
        await asyncio.shield(done)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                error = await self._commit(loop, [row for row, _ in batch])
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error) if error else done.set_result(None)
            if self._closing:
                return

    async def _commit(self, loop, rows: list[AuditEntry]) -> Exception | None:
        for delay in (*RETRY_DELAYS, None):
            try:
                await loop.run_in_executor(self._executor, _insert, rows)
            except Exception as exc:  # noqa: BLE001 - kept, tried again, then handed to the waiting requests
                if delay is None:
                    log.exception("could not write %d audit rows", len(rows))
                    return exc
                log.warning("writing %d audit rows failed (%s); trying again in %s s", len(rows), exc, delay)
                await asyncio.sleep(delay)
            else:
                self.batches += 1
                self.rows += len(rows)
                return None
        return None

    async def close(self) -> None:
        """Write what is queued, then stop (the process is shutting down)."""
        self._closing = True
        if self._task is not None and not self._task.done():
            self._wake.set()
            await self._task
        self._executor.shutdown(wait=True)


def _insert(rows: list[AuditEntry]) -> None:
    # This thread keeps its connection from batch to batch (no request ends here to close it); one that
    # broke (a restarted PostgreSQL) is closed, and the next try opens another.
    try:
        with transaction.atomic():
            AuditEntry.objects.bulk_create(rows)
    except (OperationalError, InterfaceError):
        connection.close()
        raise
