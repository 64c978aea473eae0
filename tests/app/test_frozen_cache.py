"""A frozen Redis (SIGSTOP: connections stay open, nothing answers) must not slow every request down.

Short socket timeouts bound the first requests; then the circuit breaker takes the cache out of the
request path and reads are served from PostgreSQL at database speed. /readyz says which dependency
failed with a short reason to anyone, and with the error's message only to trusted callers.
"""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from homelab_app.resilience import CircuitBreaker, CircuitOpen
from homelab_app.web import create_app
from tests.app.conftest import PrivateRedis, settings_from

pytestmark = pytest.mark.servers


def test_reads_skip_a_frozen_cache(app_env, private_redis: PrivateRedis) -> None:
    env = app_env(redis_url=f"redis://127.0.0.1:{private_redis.port}/0")
    assert private_redis.proc is not None
    with TestClient(create_app(settings_from(env))) as client:
        client.put("/items/k", json={"value": "v"})
        private_redis.proc.send_signal(signal.SIGSTOP)
        try:
            timings = []
            for _ in range(10):
                started = time.perf_counter()
                answer = client.get("/items/k")
                timings.append(time.perf_counter() - started)
                assert (answer.status_code, answer.json()["source"]) == (200, "database")
            # The first two requests pay the 0.25 s timeout (a get and a fill each); then the breaker is open.
            # Without it each would cost 0.5 s (two timeouts); before the timeouts, about 4 s.
            assert sum(timings) < 3.0, timings
            assert max(timings[3:]) < 0.4, timings
            put = client.put("/items/k", json={"value": "w"})
            assert put.status_code == 503 and "retry" in put.json()["detail"]
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json() == {"status": "unready", "failed": {"redis": "timeout"}}  # nothing internal
        finally:
            private_redis.proc.send_signal(signal.SIGCONT)
        assert client.get("/readyz").status_code == 200  # the probe's success closes the breaker
        client.put("/items/k", json={"value": "w"})
        assert client.get("/items/k").json()["source"] == "database"
        assert client.get("/items/k").json() | {"task_id": None} == {
            "key": "k", "value": "w", "source": "cache", "task_id": None}


def test_readyz_details_only_for_loopback_callers(app_env, webs, private_redis: PrivateRedis) -> None:
    """Over a real socket from 127.0.0.1 the caller is trusted; through a proxy that says otherwise, not."""
    web = webs(app_env(redis_url=f"redis://127.0.0.1:{private_redis.port}/0"))
    private_redis.kill()
    local = httpx.get(f"{web.base}/readyz").json()
    assert local["failed"] == {"redis": "unreachable"}
    assert local["detail"]["redis"].startswith("ConnectionError: ")  # the client's own message, for the operator
    forwarded = httpx.get(f"{web.base}/readyz", headers={"x-forwarded-for": "203.0.113.9"}).json()
    assert forwarded == {"status": "unready", "failed": {"redis": "unreachable"}}
    web.stop()


def test_breaker_opens_after_failures_in_a_row_then_lets_one_try() -> None:
    now = [0.0]
    breaker = CircuitBreaker("x", failures=2, pause=5, clock=lambda: now[0])

    async def fail() -> None:
        raise OSError("down")

    async def succeed() -> str:
        return "ok"

    for _ in range(2):
        with pytest.raises(OSError):
            asyncio.run(breaker.call(fail, (OSError,)))
    with pytest.raises(CircuitOpen):
        asyncio.run(breaker.call(succeed, (OSError,)))
    now[0] = 5.1  # the pause is over: one call may try, and its success closes the breaker
    assert asyncio.run(breaker.call(succeed, (OSError,))) == "ok"
    assert not breaker.is_open and breaker.failed == 0
