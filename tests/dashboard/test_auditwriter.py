"""The batching audit writer: rows that arrive together are committed together, and none is lost."""
from __future__ import annotations

import asyncio

import pytest

from dashboard import audit
from dashboard.auditwriter import AuditWriter
from dashboard.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_rows_that_arrive_together_are_committed_in_one_transaction():
    writer = AuditWriter()

    async def main():
        rows = [audit.entry(actor=None, action="hold", outcome="ok", channel_id=f"batch-{n}") for n in range(100)]
        await asyncio.gather(*(writer.write(row) for row in rows))
        alone = audit.entry(actor=None, action="hold", outcome="ok", channel_id="batch-alone")
        await writer.write(alone)
        await writer.close()

    asyncio.run(main())
    assert AuditEntry.objects.filter(channel_id__startswith="batch-").count() == 101
    # The hundred went in one transaction; the one that came alone went at once, in its own.
    assert (writer.batches, writer.rows) == (2, 101)


def test_a_row_whose_request_went_away_is_still_written():
    writer = AuditWriter()

    async def main():
        waiting = asyncio.create_task(writer.write(audit.entry(actor=None, action="hangup", outcome="ok",
                                                               channel_id="cancelled-request")))
        await asyncio.sleep(0)
        waiting.cancel()  # the client disconnected while the row was queued
        await writer.close()

    asyncio.run(main())
    assert AuditEntry.objects.filter(channel_id="cancelled-request").count() == 1
