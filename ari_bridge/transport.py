"""A lean httpx transport on aiohttp, for ARI's small request/answer pairs.

httpx-aiohttp's transport streams every answer through an async iterator, converts the request's
headers and URL on each call and maps exceptions through a generic table; an ARI answer is a few
hundred bytes that the client reads whole anyway. This transport keeps httpx's interface
(``httpx.Request`` in, ``httpx.Response`` out, httpx's exception classes) and does the least below
it: one aiohttp session with a keep-alive pool, the URL passed as already encoded (the client
percent-encodes ids itself; aiohttp must not re-encode them), and the body read in one go.
"""
from __future__ import annotations

import asyncio

import aiohttp
import httpx
from yarl import URL

_EXTENSIONS = {"http_version": b"HTTP/1.1"}


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_connections: int = 32, keepalive_expiry: float = 30.0) -> None:
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, URL] = {}

    def _open(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp binds the session to the running loop.
        connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=self._keepalive_expiry)
        self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False, skip_auto_headers=(
            "User-Agent", "Accept-Encoding"))
        return self._session

    def _url(self, url: httpx.URL) -> URL:
        # The same few paths repeat (hold, then unhold, on one channel): parse each once.
        raw = str(url)
        parsed = self._urls.get(raw)
        if parsed is None:
            if len(self._urls) >= 4096:
                self._urls.clear()
            parsed = self._urls[raw] = URL(raw, encoded=True)
        return parsed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        timeout = request.extensions.get("timeout", {})
        try:
            async with session.request(
                request.method, self._url(request.url), headers=request.headers.multi_items(), data=request.content or None,
                allow_redirects=False, compress=False, timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"), sock_read=timeout.get("read"), connect=timeout.get("pool")),
            ) as answer:
                content = await answer.read()
                return httpx.Response(answer.status, headers=answer.raw_headers, content=content, request=request,
                                      extensions=_EXTENSIONS)
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "timed out connecting", request=request) from exc
        except (aiohttp.ServerTimeoutError, asyncio.TimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
