"""SQL, Redis, AMQP, NATS/JetStream and MQTT probes against the machine's real servers."""

from __future__ import annotations

import asyncio

import pytest

from homelab.verify.runner import run_all, run_one, run_sync
from tests.verify.conftest import need_server, target

PG = "postgresql://postgres@127.0.0.1:5432/test"
SQL_STEPS = {"connect", "write", "read back", "clean up"}
SERVERS = [
    ("postgresql", 5432, PG, SQL_STEPS),
    ("mysql", 3306, "mysql://root@127.0.0.1:3306/test", SQL_STEPS),
    ("redis", 6379, "redis://127.0.0.1:6379/0", {"connect", "write", "read back", "clean up"}),
    ("rabbitmq", 5672, "amqp://guest:guest@127.0.0.1:5672/", {"connect", "publish", "consume", "clean up"}),
    ("nats", 4222, "nats://127.0.0.1:4222", {"publish and receive", "store", "read back", "clean up"}),
    ("mqtt", 1883, "mqtt://127.0.0.1:1883", {"connect", "subscribe", "publish and receive"}),
]


@pytest.mark.servers
@pytest.mark.parametrize(("kind", "port", "url", "steps"), SERVERS, ids=[s[0] for s in SERVERS])
def test_probe_does_a_real_round_trip(kind: str, port: int, url: str, steps: set[str]) -> None:
    need_server(port, kind)
    result = run_sync(run_one(target(kind, kind, url), timeout=10))
    assert result.ok, result.reason
    done = {step.name for step in result.steps}
    assert steps <= done and all(step.ok for step in result.steps)
    assert result.steps[0].detail or kind == "mqtt"  # the server said who it is


@pytest.mark.servers
def test_core_nats_only_when_jetstream_is_switched_off() -> None:
    need_server(4222, "nats")
    result = run_sync(run_one(target("n", "nats", "nats://127.0.0.1:4222", jetstream=False), timeout=10))
    assert result.ok and [s.name for s in result.steps] == ["connect", "publish and receive"]


@pytest.mark.servers
def test_all_at_once_takes_about_as_long_as_the_slowest() -> None:
    for _, port, _, _ in SERVERS:
        need_server(port, f"server on {port}")
    targets = [target(kind, kind, url) for kind, _, url, _ in SERVERS]

    async def timed() -> tuple[float, list[float]]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        results = await run_all(targets, timeout=10)
        assert all(r.ok for r in results), [r.reason for r in results if not r.ok]
        return loop.time() - start, [r.seconds for r in results]

    wall, each = run_sync(timed())
    assert wall < max(each) + 0.5 and wall < sum(each)


@pytest.mark.servers
def test_probe_leaves_no_scratch_table_behind() -> None:
    need_server(5432, "postgresql")
    import psycopg

    assert run_sync(run_one(target("pg", "postgresql", PG), 10)).ok
    with psycopg.connect(PG) as conn:
        left = conn.execute("select count(*) from pg_tables where tablename like 'homelab_verify_%'")
        assert left.fetchone() == (0,)
