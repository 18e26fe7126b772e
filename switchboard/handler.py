"""Django's ASGI handler, with each request's thread for sync code lent from a pool.

Django runs a request's sync parts (sync views, the request_started / request_finished signals, closing
the response) in a thread of that request's own: asgiref's ThreadSensitiveContext starts one per request
and joins it at the end. Starting and joining it cost a quarter of an action's CPU (py-spy); a thread lent
for the request and taken back keeps the guarantee (one request at a time on it, all its sync code on the
same thread) without that cost.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler

# Threads kept idle at most; more requests at once still get one each (started then, stopped after).
MAX_IDLE = 32


class _Threads:
    def __init__(self) -> None:
        self._idle: list[ThreadPoolExecutor] = []
        self._lock = threading.Lock()

    def take(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="django-request")

    def give(self, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append(executor)
                return
        executor.shutdown(wait=False)


class ASGIHandler(DjangoASGIHandler):
    threads = _Threads()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.threads.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            # A sync call the request left running (it was cancelled) finishes before the next request's.
            self.threads.give(executor)
