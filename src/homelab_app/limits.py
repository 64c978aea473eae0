"""Bounds on what one client can make the app do: body size, key and value size and shape, write rate.

Everything is checked before a byte reaches PostgreSQL, Redis or the queue, so abuse costs a 413, 422
or 429 instead of memory, disk and a stream of 100 MB messages.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def check_text(what: str, text: str, max_bytes: int) -> None:
    """422 unless `text` is storable everywhere: valid UTF-8, no NUL, at most `max_bytes` bytes."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise HTTPException(422, f"{what} is not valid Unicode (it holds a lone surrogate)") from None
    if "\x00" in text:
        raise HTTPException(422, f"{what} must not contain NUL characters")
    if size > max_bytes:
        raise HTTPException(422, f"{what} is {size} bytes; at most {max_bytes} are allowed")


class BodyLimit:
    """413 for a request body over `max_bytes`, by its Content-Length or while it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, f"request body over {self.max_bytes} bytes")
            return message

        await self.app(scope, counted, send)

    async def _too_large(self, send: Send) -> None:
        body = b'{"detail":"request body too large or its length unreadable"}'
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class WriteLimiter:
    """A token bucket per client: `rate` writes a second, up to `burst` at once; the oldest idle clients are
    forgotten beyond `clients`, so the table itself stays bounded."""

    def __init__(self, rate: float, burst: int, clients: int = 10_000) -> None:
        self.rate, self.burst, self.clients = rate, burst, clients
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, now: float | None = None) -> float:
        """0 when the write may go ahead, else the seconds until it could."""
        now = time.monotonic() if now is None else now
        tokens, then = self.buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self.buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
        if len(self.buckets) > self.clients:
            self.buckets.popitem(last=False)
        return wait
