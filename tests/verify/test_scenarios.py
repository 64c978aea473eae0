"""The design's two end-to-end paths: request-path through the reference app, data-flow through
a stream, PostgreSQL and S3, all real servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from homelab.verify.request_path import counters
from homelab.verify.runner import run_one, run_sync
from tests.verify.conftest import need_server, reference_app_running, target

PG = "postgresql://postgres@127.0.0.1:5432/test"
S3 = "s3://test%3Atester:testing@127.0.0.1:58888"
FLOW_STEPS = ["stream: produce and consume events", "store in database", "store in object storage",
              "query database", "query object storage", "clean up"]


def scratch_tables() -> int:
    with psycopg.connect(PG) as conn:
        row = conn.execute("select count(*) from pg_tables where tablename like 'homelab_verify_%'").fetchone()
    return int(row[0]) if row else 0


@pytest.mark.servers
@pytest.mark.parametrize(("stream", "port"), [("kafka://127.0.0.1:59092", 59092), ("nats://127.0.0.1:4222", 4222)],
                         ids=["kafka", "nats-jetstream"])
def test_data_flow_stream_to_database_and_object_storage(stream: str, port: int) -> None:
    for needed, what in ((port, "stream"), (5432, "postgresql"), (58888, "swift s3api")):
        need_server(needed, what)
    result = run_sync(run_one(target("flow", "data-flow", stream, database=PG, objects=S3), timeout=20))
    assert result.ok, result.reason
    assert [s.name for s in result.steps] == FLOW_STEPS
    assert scratch_tables() == 0


@pytest.mark.servers
def test_data_flow_names_the_step_where_object_storage_is_down(closed_port: int) -> None:
    need_server(59092, "kafka (tansu)")
    need_server(5432, "postgresql")
    gone = f"s3://k:s@127.0.0.1:{closed_port}"
    result = run_sync(run_one(target("flow", "data-flow", "kafka://127.0.0.1:59092", database=PG, objects=gone),
                                 timeout=10))
    assert not result.ok and result.reason.startswith("store in object storage: "), result.reason
    assert "connect" in result.reason.lower()
    assert scratch_tables() == 0  # the database table was still cleaned up


def test_data_flow_without_its_stores_says_what_is_missing() -> None:
    result = run_sync(run_one(target("flow", "data-flow", "kafka://127.0.0.1:1"), timeout=5))
    assert not result.ok and "needs options 'database'" in result.reason


@pytest.mark.servers
def test_request_path_against_something_that_is_not_the_app_fails_at_ready() -> None:
    need_server(58080, "nginx")
    result = run_sync(run_one(target("app", "request-path", "http://127.0.0.1:58080"), timeout=5))
    assert not result.ok and result.reason.startswith("ready: readyz: HTTP 404"), result.reason


def test_counters_sum_label_sets() -> None:
    text = ('# HELP app_cache_hits_total hits\n# TYPE app_cache_hits_total counter\napp_cache_hits_total 3.0\n'
            'app_request_seconds_count{route="/items/{key}",method="GET",source="cache"} 2.0\n'
            'app_request_seconds_count{route="/readyz",method="GET",source=""} 5.0\n')
    assert counters(text) == {"app_cache_hits_total": 3.0, "app_request_seconds_count": 7.0}


@pytest.fixture
def reference_app(tmp_path: Path) -> Iterator[str]:
    """The reference app's web and worker processes, on names unique to this test."""
    with reference_app_running(tmp_path) as url:
        yield url


@pytest.mark.servers
def test_request_path_through_the_reference_app(reference_app: str) -> None:
    result = run_sync(run_one(target("app", "request-path", reference_app), timeout=20))
    assert result.ok, result.reason
    assert [s.name for s in result.steps] == [
        "ready", "write (database, cache invalidated)", "read: cache miss, from database", "read: cache hit",
        "async task done (queue -> worker)", "metrics moved", "clean up"]
