"""An httpx transport that stops reading an answer past MAX_BODY bytes.

httpx reads a whole body into memory; a server that streams forever (hostile, or a wrong
port that serves a download) would grow the process until the probe's timeout, then be
reported as "silent". With the cap the probe fails at once, saying why, in bounded memory.
Imported only inside probes, so loading the kinds table stays free of httpx.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import httpx

from homelab.verify.base import ProbeFailure

MAX_BODY = 8 * 2**20


class _CappedStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, limit: int) -> None:
        self._stream, self._limit = stream, limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        total = 0
        async for chunk in self._stream:
            total += len(chunk)
            if total > self._limit:
                raise ProbeFailure(f"the answer is larger than {self._limit // 2**20} MiB "
                                   "(an endless body? is this the right port and path?)")
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


class CappedTransport(httpx.AsyncHTTPTransport):
    """The default transport, with every response body capped at `limit` bytes."""

    def __init__(self, verify: ssl.SSLContext | bool, limit: int = MAX_BODY) -> None:
        super().__init__(verify=verify)
        self._limit = limit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(response.status_code, headers=response.headers, request=request,
                              stream=_CappedStream(response.stream, self._limit), extensions=response.extensions)
