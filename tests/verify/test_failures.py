"""Every way a system can be down fails within the timeout with a one-line reason."""

from __future__ import annotations

import asyncio
import time

import pytest

from homelab.verify.kinds import probe_class
from homelab.verify.runner import Result, reason_of, run_all, run_one, run_sync
from tests.verify.conftest import PrivateRedis, need_server, target

KIND_URLS = {
    "postgresql": "postgresql://postgres@127.0.0.1:{port}/test",
    "mysql": "mysql://root@127.0.0.1:{port}/test",
    "redis": "redis://127.0.0.1:{port}/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:{port}/",
    "nats": "nats://127.0.0.1:{port}",
    "mqtt": "mqtt://127.0.0.1:{port}",
    "memcached": "memcached://127.0.0.1:{port}",
    "ldap": "ldap://127.0.0.1:{port}/dc=example,dc=org",
    "prometheus": "http://127.0.0.1:{port}",
    "etcd": "http://127.0.0.1:{port}",
    "http": "http://127.0.0.1:{port}/healthz",
    "kafka": "kafka://127.0.0.1:{port}",
    "s3": "s3://key:secret@127.0.0.1:{port}",
    "swift": "swift://test%3Atester:testing@127.0.0.1:{port}/auth/v1.0",
    "azure-blob": "azure-blob://devstoreaccount1:a2V5@127.0.0.1:{port}",
    "jupyter": "http://127.0.0.1:{port}",
    "mlflow": "http://127.0.0.1:{port}",
    "qdrant": "http://127.0.0.1:{port}",
    # No server of these kinds runs here: the failure paths are what the tests can prove.
    "elasticsearch": "http://127.0.0.1:{port}",
    "solr": "http://127.0.0.1:{port}/solr",
    "neo4j": "bolt://neo4j:pw@127.0.0.1:{port}",
    "dgraph": "http://127.0.0.1:{port}",
    "mongodb": "mongodb://127.0.0.1:{port}/?directConnection=true",
    "oidc": "http://127.0.0.1:{port}/realms/homelab",
    "vault": "http://:token@127.0.0.1:{port}",
    "openfga": "http://127.0.0.1:{port}",
    "clickhouse": "http://127.0.0.1:{port}",
    "trino": "http://127.0.0.1:{port}",
}
# Clients that keep retrying a refused connection until their own deadline (so the reason
# is the time-out, still within the limit) rather than reporting the refusal.
RETRY_UNTIL_TIMEOUT = {"kafka", "mongodb"}


@pytest.mark.parametrize("kind", sorted(KIND_URLS))
def test_closed_port_fails_fast_with_refused(kind: str, closed_port: int) -> None:
    result = run_sync(run_one(target("x", kind, KIND_URLS[kind].format(port=closed_port)), timeout=3))
    assert not result.ok and "\n" not in result.reason and result.seconds < 3.5
    if kind not in RETRY_UNTIL_TIMEOUT:
        assert "refused" in result.reason.lower() and result.seconds < 2, result.reason


@pytest.mark.parametrize("kind", sorted(KIND_URLS))
def test_black_hole_costs_the_timeout_and_no_more(kind: str, black_hole: int) -> None:
    probe_class(kind).prepare()  # importing the client library is not the probe's cost
    start = time.perf_counter()
    result = run_sync(run_one(target("x", kind, KIND_URLS[kind].format(port=black_hole)), timeout=1.0))
    elapsed = time.perf_counter() - start
    assert not result.ok
    # The runner's deadline or the client's own (set to the same timeout) fires first.
    assert any(words in result.reason for words in ("no answer within", "no broker answered")), result.reason
    assert 0.9 <= result.seconds <= 1.5  # the runner's hard limit: timeout + 0.5 s
    assert elapsed <= 2.5  # and the caller is not held by the abandoned probe's cleanup


def test_a_clients_own_timeout_reads_as_no_answer(black_hole: int) -> None:
    """Under load a client's own timeout (set to the probe's) can fire before the runner's deadline; requests and
    httpx wrap the socket's TimeoutError in errors of their own, and the reason must still say what happened
    (the vault probe once reported "health: ReadTimeout: HTTPConnectionPool(...)")."""
    import httpx
    import requests

    for call in (requests.get, httpx.get):
        with pytest.raises((requests.Timeout, httpx.TimeoutException)) as raised:
            call(f"http://127.0.0.1:{black_hole}/", timeout=0.2)
        assert reason_of(raised.value).startswith("no answer within the timeout"), (call, raised.value)


def test_black_holes_time_out_together_not_one_after_another(black_hole: int) -> None:
    """One after another they would take a timeout each (29 s); together, about one timeout. The bound leaves
    room for a busy machine (another test worker shares the cores) and is still far below one after another."""
    targets = [target(f"x-{kind}", kind, url.format(port=black_hole)) for kind, url in KIND_URLS.items()]
    for kind in KIND_URLS:
        probe_class(kind).prepare()  # importing the client libraries is not what runs together
    start = time.perf_counter()
    results = run_sync(run_all(targets, timeout=1.0))
    elapsed = time.perf_counter() - start
    assert not any(r.ok for r in results)
    assert all(r.seconds <= 1.5 for r in results), [(r.name, r.seconds) for r in results if r.seconds > 1.5]
    assert elapsed < 3.0, elapsed  # one after another: len(targets) timeouts


@pytest.mark.servers
@pytest.mark.parametrize(("kind", "url", "words"), [
    ("mysql", "mysql://root:wrong@127.0.0.1:3306/test", "access denied"),
    ("rabbitmq", "amqp://guest:wrong@127.0.0.1:5672/", "access_refused"),
])
def test_wrong_password_is_refused(kind: str, url: str, words: str) -> None:
    need_server(int(url.rsplit(":", 1)[1].split("/")[0]), kind)
    result = run_sync(run_one(target("x", kind, url), timeout=5))
    assert not result.ok and words in result.reason.lower(), result.reason
    assert result.reason.startswith("connect: ")


def test_wrong_redis_password_is_refused(private_redis_with_password: PrivateRedis) -> None:
    port = private_redis_with_password.port
    bad = run_sync(run_one(target("x", "redis", f"redis://:wrong@127.0.0.1:{port}/0"), 5))
    assert not bad.ok and "password" in bad.reason.lower(), bad.reason
    good = run_sync(run_one(target("x", "redis", f"redis://:right-password@127.0.0.1:{port}/0"), 5))
    assert good.ok, good.reason


@pytest.mark.servers
@pytest.mark.parametrize(("kind", "url", "port"), [
    ("redis", "rediss://127.0.0.1:6379/0", 6379),
    ("rabbitmq", "amqps://guest:guest@127.0.0.1:5672/", 5672),
    ("mqtt", "mqtts://127.0.0.1:1883", 1883),
    ("nats", "tls://127.0.0.1:4222", 4222),
])
def test_tls_client_against_plain_server_fails_within_timeout(kind: str, url: str, port: int) -> None:
    need_server(port, kind)
    result = run_sync(run_one(target("x", kind, url), timeout=3))
    assert not result.ok and result.seconds < 3.5
    assert any(word in result.reason.lower() for word in ("tls", "ssl", "no answer")), result.reason


def test_server_stopped_mid_run(private_redis: PrivateRedis) -> None:
    """Writes are paused so the probe blocks in 'write'; the server is killed then. That target
    fails with a one-line reason naming the step, and the run's other target still passes."""
    import redis

    need_server(6379, "redis")
    redis.Redis(port=private_redis.port).execute_command("CLIENT", "PAUSE", "5000", "WRITE")

    async def scenario() -> list[Result]:
        run = asyncio.create_task(run_all([
            target("doomed", "redis", f"redis://127.0.0.1:{private_redis.port}/0"),
            target("healthy", "redis", "redis://127.0.0.1:6379/0")], timeout=4))
        await asyncio.sleep(0.5)
        private_redis.stop()
        return await run

    doomed, healthy = run_sync(scenario())
    assert not doomed.ok and doomed.reason.startswith("write: "), doomed.reason
    assert doomed.seconds < 4 and "\n" not in doomed.reason
    assert [s.name for s in doomed.steps] == ["connect", "write"] and not doomed.steps[-1].ok
    assert healthy.ok, healthy.reason


def test_untrusted_certificate_fails_unless_insecure(https_server: int) -> None:
    url = f"https://127.0.0.1:{https_server}/healthz"
    strict = run_sync(run_one(target("x", "http", url), timeout=5))
    assert not strict.ok and strict.reason == "request: TLS handshake failed: CERTIFICATE_VERIFY_FAILED"
    relaxed = run_sync(run_one(target("x", "http", url, insecure=True, expect_body="ok"), timeout=5))
    assert relaxed.ok, relaxed.reason


def test_plain_http_against_a_tls_server_fails_within_the_timeout(https_server: int) -> None:
    result = run_sync(run_one(target("x", "http", f"http://127.0.0.1:{https_server}/"), timeout=2))
    assert not result.ok and result.seconds < 2.5 and "\n" not in result.reason
