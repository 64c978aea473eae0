"""SIGTERM to the web process: a request already in flight still gets its answer, then it shuts down cleanly.

To hold a request in flight, the app's private Redis is paused (SIGSTOP) and the cache's socket timeout
raised to 2 s: the cache read waits that long, then the app falls back to PostgreSQL and answers.
"""

from __future__ import annotations

import concurrent.futures
import signal
import time

import httpx
import pytest

from tests.app.conftest import PrivateRedis

pytestmark = pytest.mark.servers


def test_sigterm_drains_the_request_in_flight(app_env, webs, private_redis: PrivateRedis) -> None:
    env = app_env(redis_url=f"redis://127.0.0.1:{private_redis.port}/0", operation_attempts=1,
                  cache_timeout_seconds=2)
    web = webs(env)
    assert private_redis.proc is not None
    try:
        httpx.put(f"{web.base}/items/slow", json={"value": "still answered"})
        private_redis.proc.send_signal(signal.SIGSTOP)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            started = time.monotonic()
            pending = pool.submit(httpx.get, f"{web.base}/items/slow", timeout=30)
            time.sleep(0.5)  # the request is now waiting on the paused cache
            web.proc.send_signal(signal.SIGTERM)
            answer = pending.result()
        assert time.monotonic() - started >= 1.5  # it really waited out the cache's socket timeout
        assert (answer.status_code, answer.json()["source"]) == (200, "database")
    finally:
        private_redis.proc.send_signal(signal.SIGCONT)
    web.stop()
