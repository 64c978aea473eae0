"""A private Redis is killed and restarted under a running app: reads degrade to the database, then recover.

The machine's shared Redis is never touched; this test starts its own redis-server on a free port.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from homelab_app.web import create_app
from tests.app.conftest import free_port, settings_from
from tests.app.test_request_path import metric

pytestmark = pytest.mark.servers


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                                      "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = PrivateRedis(free_port())
    server.start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.kill()


def test_app_rides_out_a_redis_restart(app_env, private_redis: PrivateRedis) -> None:
    env = app_env(redis_url=f"redis://127.0.0.1:{private_redis.port}/0")
    with TestClient(create_app(settings_from(env))) as client:
        client.put("/items/k", json={"value": "v"})
        assert client.get("/items/k").json()["source"] == "database"
        assert client.get("/items/k").json()["source"] == "cache"

        errors_before = metric(client.get("/metrics").text, "app_cache_errors_total")
        private_redis.kill()
        down = client.get("/items/k")  # the database still answers while the cache is away
        assert (down.status_code, down.json()["source"]) == (200, "database")
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert list(ready.json()["failed"]) == ["redis"]
        errors = metric(client.get("/metrics").text, "app_cache_errors_total") - errors_before
        assert errors == 2  # the get and the fill
        assert client.put("/items/k", json={"value": "w"}).status_code == 503  # cannot invalidate: say so

        private_redis.start()  # same port, empty memory: the client reconnects by itself
        assert client.get("/readyz").status_code == 200
        assert client.get("/items/k").json() | {"task_id": None} == {
            "key": "k", "value": "w", "source": "database", "task_id": None}
        assert client.get("/items/k").json()["source"] == "cache"
