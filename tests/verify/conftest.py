"""Real local servers for the probe tests, and the misbehaving listeners failure tests need."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from homelab.verify.targets import Target
from tests.hostile.servers import closed_port as held_closed_port
from tests.needs import missing, module
from tests.ports import free_port, free_ports


def need_server(port: int, what: str, host: str = "127.0.0.1") -> None:
    """Fail in CI (the server should have been started), skip on a laptop without it."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        missing(f"{what} not running on {host}:{port}")


def target(name: str, kind: str, url: str, **options: object) -> Target:
    return Target(name=name, kind=kind, url=url, options=options)



@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port where nothing listens, held for the test (tests/hostile/servers.closed_port: released at
    once, a probe could connect to itself through it; ldap3 failed with "KeyError: (1, 0)" that way)."""
    with held_closed_port() as sock:
        yield int(sock.getsockname()[1])


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A listener whose kernel completes the TCP handshake but that never reads or answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


class PrivateRedis:
    """A redis-server of our own on a free port, so a test may stop it mid-run."""

    def __init__(self, directory: Path, password: str | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            need_server(6379, "redis-server binary")  # fails in CI, skips elsewhere
        self.port = free_port()
        args = [str(binary), "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(directory),
                "--save", "", "--appendonly", "no", "--daemonize", "no"]
        if password:
            args += ["--requirepass", password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail("private redis-server did not start within 10 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def private_redis_with_password(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path, password="right-password")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real HTTPS server with a self-signed certificate (made by openssl) that answers 200 'ok'."""
    import http.server
    import ssl
    import threading

    directory = tmp_path_factory.mktemp("tls")
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok\n")

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()


@contextlib.contextmanager
def reference_app_running(directory: Path, **app_env: str) -> Iterator[str]:
    """The reference app's web and worker processes on names unique to the caller (plus `app_env`), on
    the CI run's PostgreSQL, Redis and RabbitMQ; yields the web URL, removes its tables afterwards."""
    module("homelab_app", "the reference app, src/homelab_app: pip install -e '.[test]'")
    import httpx
    import psycopg

    for port, what in ((5432, "postgresql"), (6379, "redis"), (5672, "rabbitmq")):
        need_server(port, what)
    suffix = uuid.uuid4().hex[:8]
    port, metrics_port = free_ports(2)
    env = {**os.environ, "APP_HOST": "127.0.0.1", "APP_PORT": str(port), "APP_METRICS_PORT": str(metrics_port),
           "APP_TABLE_PREFIX": f"verify_{suffix}_", "APP_CACHE_PREFIX": f"verify-{suffix}:",
           "APP_QUEUE_NAME": f"verify-{suffix}", **app_env}
    processes = [subprocess.Popen([sys.executable, "-m", "homelab_app", role], env=env, cwd=directory,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for role in ("web", "worker")]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).json().get("status") == "ready":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the reference app did not become ready within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
            conn.execute(f"drop table if exists verify_{suffix}_items, verify_{suffix}_tasks")
