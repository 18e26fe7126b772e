"""What a live socket has yet to send, kept bounded.

The replica hands every batch to every socket at once; each socket's sender sends them when the page
takes them. A page that stops reading would otherwise keep every batch from then on (6 MB a second at
2,000 changes a second, measured) until the connection is cut. Past `LIMIT` batches the backlog becomes
one batch marked `resync`: the page gets a fresh snapshot once it reads again, which is also cheaper than
the backlog for a page that far behind.
"""
from __future__ import annotations

from dataclasses import replace

# About five seconds of batches at the default 100 ms flush.
LIMIT = 50


def add(pending: list, batch) -> list:
    """`pending` with `batch` added: the list itself, or a one-batch list in its place past LIMIT."""
    pending.append(batch)
    if len(pending) <= LIMIT:
        return pending
    servers = next((b.servers for b in reversed(pending) if b.servers is not None), None)
    return [replace(batch, resync=True, servers=servers)]
