"""uvicorn's WebSocket protocol, with a deadline on writes: a page that stops reading is cut off.

A browser that stops reading (a frozen tab, a laptop lid closed on a live connection, a client that never
reads) fills the kernel's buffers, then the transport's; uvicorn then holds the app's next send until the
buffer drains, and its own ways out, the keepalive ping's timeout and the closing handshake's, call
`transport.close()`, which waits for that same buffer to drain. So such a socket lived for ever, and with
it everything that was queued for it. Here a write buffer that does not shrink for
`WEBSOCKET_STALL_SECONDS` aborts the connection, and so does a keepalive timeout with data still unsent;
uvicorn then reports the disconnect to the app as for any lost connection.

Run uvicorn with `--ws switchboard.wsprotocol:WebSocketProtocol` (`switchboard.serve` and `make run` do).
"""
from __future__ import annotations

from asyncio import TimerHandle

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from switchboard import env

PATH = "switchboard.wsprotocol:WebSocketProtocol"


class WebSocketProtocol(WebSocketsSansIOProtocol):
    stall_seconds: float = env.WEBSOCKET_STALL_SECONDS
    _stall_timer: TimerHandle | None = None
    _unsent = 0

    def pause_writing(self) -> None:
        super().pause_writing()
        self._unsent = self.transport.get_write_buffer_size()
        self._watch()

    def resume_writing(self) -> None:
        super().resume_writing()
        self._unwatch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._unwatch()
        super().connection_lost(exc)

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        if self.transport.get_write_buffer_size():
            self.transport.abort()

    def _watch(self) -> None:
        self._unwatch()
        self._stall_timer = self.loop.call_later(self.stall_seconds, self._check)

    def _unwatch(self) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _check(self) -> None:
        """Still paused: a page that reads slowly has taken some of the buffer since the last look."""
        self._stall_timer = None
        unsent = self.transport.get_write_buffer_size()
        if unsent and unsent >= self._unsent:
            prefix = "%s:%d - " % self.client if self.client else ""
            self.logger.info("%sWebSocket cut off: the page took nothing for %.0f s", prefix, self.stall_seconds)
            self.transport.abort()
            return
        self._unsent = unsent
        self._watch()
