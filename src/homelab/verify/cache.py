"""Key-value caches: Redis (redis.asyncio; also Valkey, KeyDB, Dragonfly) and Memcached.

Each probe sets a unique key with a short expiry, reads it back and deletes it, so a
probe that dies half-way leaves nothing behind for long.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from homelab.verify.base import Probe, expect, expect_same, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@functools.cache
def _driver_info() -> dict[str, Any]:
    """redis-py (8) reads its own version from package metadata for every connection (~6 ms of CPU);
    handing it the same DriverInfo each time makes ten thousand probes cost seconds less."""
    try:
        from redis.driver_info import DriverInfo
    except ImportError:  # redis-py before 7: nothing to hand over
        return {}
    return {"driver_info": DriverInfo()}


@register
class RedisProbe(Probe):
    kind = "redis"
    aliases = ("valkey", "keydb", "dragonfly")
    default_port = 6379
    scheme = "redis"
    needs_credentials = True
    imports = ("redis.asyncio",)
    # redis-py's from_url reads these (redis.connection.URL_QUERY_ARGUMENT_PARSERS); TLS is rediss://
    query_keys = frozenset({"db", "health_check_interval", "max_connections", "protocol", "retry_on_timeout",
                            "socket_connect_timeout", "socket_keepalive", "socket_timeout", "timeout"})
    tls_schemes = frozenset({"rediss"})
    tls_query_keys = frozenset({"ssl_check_hostname", "ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile",
                                "ssl_keyfile", "ssl_min_version"})

    async def check(self, target: Target) -> list[Step]:
        import redis.asyncio as aioredis

        key, value = token(), token()
        client = aioredis.from_url(target.url, socket_connect_timeout=self.timeout,
                                   socket_timeout=self.timeout, retry_on_timeout=False, **_driver_info())
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
