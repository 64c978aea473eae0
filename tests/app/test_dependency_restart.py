"""Dependencies killed and restarted under a running app: it degrades honestly, then recovers by itself.

The machine's shared servers are never touched: these tests start private redis-server and nats-server
and postgres processes on free ports.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from homelab_app.web import create_app
from tests.app.conftest import PrivateRedis, free_port, metric, settings_from, wait_done
from tests.needs import missing, tool

pytestmark = pytest.mark.servers


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


class PrivateNats:
    """nats-server with JetStream on a free port and its own store, so killing it harms nobody else."""

    def __init__(self, port: int, store: str) -> None:
        self.port, self.store = port, store
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["nats-server", "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", self.store]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("private nats-server did not start") from None
                time.sleep(0.05)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def private_nats(tmp_path) -> Iterator[PrivateNats]:
    tool("nats-server", "apt-get install nats-server; .ci/apt.d/app.txt")
    server = PrivateNats(free_port(), str(tmp_path / "jetstream"))
    server.start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.kill()


def test_web_and_worker_ride_out_a_nats_restart(app_env, workers, private_nats: PrivateNats) -> None:
    env = app_env("nats", queue_url=f"nats://127.0.0.1:{private_nats.port}")
    with TestClient(create_app(settings_from(env))) as client:
        worker = workers(env)
        client.put("/items/n", json={"value": "before"})
        wait_done(client, client.get("/items/n").json()["task_id"])

        private_nats.kill()
        ready = client.get("/readyz")
        assert (ready.status_code, list(ready.json()["failed"])) == (503, ["queue"])
        private_nats.start()  # same port and store: the stream and the durable consumer survive

        deadline = time.monotonic() + 20
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the app never reconnected to NATS"
            time.sleep(0.2)
        answer = client.get("/items/n")
        assert answer.status_code == 200
        done = wait_done(client, answer.json()["task_id"])
        assert done["worker"] == worker.worker_id  # the same worker process reconnected too
        assert worker.stop() == 0


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb, trust auth) on a free port, run as the postgres user."""

    def __init__(self, port: int, data: Path) -> None:
        self.port, self.data = port, data
        self.proc: subprocess.Popen[bytes] | None = None
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        self.prefix = as_postgres if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(data.parent, "postgres")
        initdb = [str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
        subprocess.run([*self.prefix, *initdb], check=True, capture_output=True)

    def start(self) -> None:
        command = [str(self.bin / "postgres"), "-D", str(self.data), "-k", str(self.data),
                   "-c", "listen_addresses=127.0.0.1", "-p", str(self.port)]
        self.proc = subprocess.Popen([*self.prefix, *command], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise AssertionError("private postgres did not start") from None
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGQUIT)  # immediate shutdown: crash recovery at the next start
        self.proc.wait(timeout=20)


@pytest.fixture
def private_postgres(tmp_path) -> Iterator[PrivatePostgres]:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        missing("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    data = Path(tempfile.mkdtemp(prefix="homelab-app-pg-")) / "data"  # a folder postgres can reach
    try:
        server = PrivatePostgres(free_port(), data)
        server.start()
        yield server
        if server.proc and server.proc.poll() is None:
            server.kill()
    finally:
        shutil.rmtree(data.parent, ignore_errors=True)


def test_app_rides_out_a_postgres_restart(app_env, workers, private_postgres: PrivatePostgres) -> None:
    env = app_env(database_url=private_postgres.url, operation_attempts=2)
    with TestClient(create_app(settings_from(env))) as client:
        worker = workers(env)
        client.put("/items/p", json={"value": "persisted"})
        wait_done(client, client.get("/items/p").json()["task_id"])
        client.put("/items/p", json={"value": "again"})  # drops the cached copy: the next read needs the db

        private_postgres.kill()
        ready = client.get("/readyz")
        assert (ready.status_code, list(ready.json()["failed"])) == (503, ["postgresql"])
        unavailable = client.get("/items/p")  # not cached, database away: a 503 to retry, not a 500
        assert unavailable.status_code == 503
        assert "database unavailable" in unavailable.json()["detail"]
        private_postgres.start()

        answer = client.get("/items/p")  # the pool's dead connections are replaced under the retry
        assert answer.status_code == 200
        assert (answer.json()["source"], answer.json()["value"]) == ("database", "again")
        done = wait_done(client, answer.json()["task_id"])
        assert done["worker"] == worker.worker_id  # the worker's pool recovered as well
        assert worker.stop() == 0
