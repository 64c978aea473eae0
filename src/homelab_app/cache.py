"""Redis as a read-through cache of items, with the client's own retry and backoff on broken links."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError, TimeoutError
from redis.retry import Retry

from homelab_app.resilience import connect_with_backoff
from homelab_app.settings import Settings


class Cache:
    """Cached item values under `<cache_prefix><key>`, each with a TTL."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        retry = Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), settings.operation_attempts - 1)
        self.client = Redis.from_url(settings.redis_url, decode_responses=True, retry=retry,
                                     retry_on_error=[ConnectionError, TimeoutError],
                                     socket_timeout=2, socket_connect_timeout=2)

    def _key(self, key: str) -> str:
        return f"{self.settings.cache_prefix}{key}"

    async def open(self) -> None:
        await connect_with_backoff("redis", self.ping, self.settings.connect_timeout_seconds)

    async def close(self) -> None:
        await self.client.aclose()

    async def ping(self) -> None:
        await self.client.ping()

    async def get(self, key: str) -> str | None:
        value = await self.client.get(self._key(key))
        return value if isinstance(value, str) else None

    async def fill(self, key: str, value: str) -> None:
        await self.client.set(self._key(key), value, ex=self.settings.cache_ttl_seconds)

    async def invalidate(self, key: str) -> None:
        await self.client.delete(self._key(key))
