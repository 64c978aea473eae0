"""Redis as a read-through cache of items, kept out of the request path when it fails or hangs.

A dead Redis fails fast (connection refused) and a broken link is retried by the client; a frozen one
would make each call wait, so every call has a short socket timeout and a circuit breaker: after a few
failures in a row the cache is skipped for a while and requests go straight to the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError, RedisError
from redis.retry import Retry

from homelab_app.resilience import CircuitBreaker, CircuitOpen, connect_with_backoff
from homelab_app.settings import Settings

T = TypeVar("T")


class CacheUnavailable(RedisError):
    """The cache was skipped: its circuit breaker is open."""


class Cache:
    """Cached item values under `<cache_prefix><key>`, each with a TTL."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Retry a broken connection (fails at once), never a timeout: that would multiply the wait.
        retry = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.1), settings.operation_attempts - 1,
                      supported_errors=(ConnectionError,))
        timeout = settings.cache_timeout_seconds
        self.client = Redis.from_url(settings.redis_url, decode_responses=True, retry=retry,
                                     socket_timeout=timeout, socket_connect_timeout=timeout)
        self.breaker = CircuitBreaker("redis", settings.cache_breaker_failures, settings.cache_breaker_seconds)

    def _key(self, key: str) -> str:
        return f"{self.settings.cache_prefix}{key}"

    async def _guarded(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            return await self.breaker.call(operation, (RedisError,))
        except CircuitOpen as exc:
            raise CacheUnavailable(str(exc)) from None

    async def open(self) -> None:
        async def ping() -> None:
            await self.client.ping()
        await connect_with_backoff("redis", ping, self.settings.connect_timeout_seconds)

    async def close(self) -> None:
        await self.client.aclose()

    async def ping(self) -> None:
        """One round trip, past the breaker: a success also closes it (the cache is back)."""
        try:
            await self.client.ping()
        except RedisError:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()

    async def get(self, key: str) -> str | None:
        value = await self._guarded(lambda: self.client.get(self._key(key)))
        return value if isinstance(value, str) else None

    async def fill(self, key: str, value: str) -> None:
        await self._guarded(lambda: self.client.set(self._key(key), value, ex=self.settings.cache_ttl_seconds))

    async def invalidate(self, key: str) -> None:
        await self._guarded(lambda: self.client.delete(self._key(key)))
