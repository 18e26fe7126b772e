"""What the live and wallboard sockets share: a socket lives as long as the sign-in that opened it, with the
role it had. authstate finds it by its credential and user and calls `end(code)` when either changes."""
from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async

from . import authstate
from .access import Actor


class SignedInSocket:
    """Mixed into an AsyncWebsocketConsumer; its `disconnect` must call `authstate.sockets.discard(self)`."""

    credential = None  # none until signed in: a refused socket takes no messages
    ended = 0  # the close code once authstate ended the socket
    opened = False  # its first messages are out: end() closes it at once from then on

    async def sign_in(self) -> Actor | None:
        """On connect: the actor the socket acts as, or None once it was refused (4401)."""
        user = self.scope.get("user")
        credential = authstate.credential_of(self.scope)
        if user is None or not user.is_authenticated or credential is None:
            await authstate.refuse(self, authstate.SIGNED_OUT)
            return None
        self.credential = credential
        self.facts = await database_sync_to_async(authstate.cache.get)(user)
        self.loop = asyncio.get_running_loop()
        return Actor.from_facts(user, self.facts)

    async def follow_sign_in(self) -> None:
        """From here on authstate may end the socket (call before accepting it)."""
        await authstate.start()
        authstate.sockets.add(self)

    async def first_messages_sent(self) -> None:
        self.opened = True
        if self.ended:  # the sign-in ended while they went
            await self._shut(self.ended)

    async def end(self, code: int) -> None:
        """Close the socket because its sign-in ended or its role changed; nothing more runs on it."""
        if not self.ended:
            self.ended = code
            if self.opened:  # otherwise first_messages_sent() closes it
                await self._shut(code)

    async def _shut(self, code: int) -> None:
        await self.disconnect(code)
        await self.close(code=code)
