"""Key-value caches: Redis (redis.asyncio; also Valkey, KeyDB, Dragonfly) and Memcached.

Each probe sets a unique key with a short expiry, reads it back and deletes it, so a
probe that dies half-way leaves nothing behind for long.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.verify.base import Probe, expect, expect_same, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class RedisProbe(Probe):
    kind = "redis"
    aliases = ("valkey", "keydb", "dragonfly")
    default_port = 6379
    scheme = "redis"
    needs_credentials = True
    imports = ("redis.asyncio",)

    async def check(self, target: Target) -> list[Step]:
        import redis.asyncio as aioredis

        key, value = token(), token()
        client = aioredis.from_url(target.url, socket_connect_timeout=self.timeout,
                                   socket_timeout=self.timeout, retry_on_timeout=False)
        try:
            with self.step("connect"):
                info = await client.info("server")
                self.note(f"redis {info.get('redis_version', '?')}")
            with self.step("write"):
                await client.set(key, value, ex=60)
            with self.step("read back"):
                got = await client.get(key)
                expect_same(got, value.encode())
            with self.cleanup():
                await client.delete(key)
        finally:
            await client.aclose()
        return self.steps


@register
class MemcachedProbe(Probe):
    kind = "memcached"
    default_port = 11211
    scheme = "memcached"
    imports = ("pymemcache.client.base",)

    async def check(self, target: Target) -> list[Step]:
        from pymemcache.client.base import Client

        key, value = token(), token()
        client = Client((target.host, target.port(self.default_port)), connect_timeout=self.timeout,
                        timeout=self.timeout)
        try:
            with self.step("connect"):
                version = await self.thread(client.version)
                self.note(f"memcached {version.decode() if isinstance(version, bytes) else version}")
            with self.step("write"):
                stored = await self.thread(client.set, key, value, expire=60, noreply=False)
                expect(bool(stored), "the server did not store the key")
            with self.step("read back"):
                got = await self.thread(client.get, key)
                expect_same(got, value.encode())
            with self.cleanup():
                await self.thread(client.delete, key, noreply=False)
        finally:
            client.close()
        return self.steps
