"""Hostile input against real PostgreSQL, Redis and RabbitMQ: every bad request is a 4xx at once, never a 500,
and no database text reaches the client."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
from fastapi.testclient import TestClient

from homelab_app.store import Store, transient
from homelab_app.web import create_app
from tests.app.conftest import settings_from

pytestmark = pytest.mark.servers


@pytest.fixture
def client(app_env) -> TestClient:
    with TestClient(create_app(settings_from(app_env(max_value_bytes=1000, max_body_bytes=4096)))) as client:
        yield client


def test_oversized_body_is_413_before_it_is_read(client: TestClient) -> None:
    declared = client.put("/items/big", content=b'{"value": "' + b"x" * 10_000 + b'"}',
                          headers={"content-type": "application/json"})
    assert declared.status_code == 413

    def chunks():  # no Content-Length: the limit holds while the body streams in
        yield b'{"value": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    streamed = client.put("/items/big", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert client.get("/items/big").status_code == 404  # nothing was stored


@pytest.mark.parametrize(("key", "value", "field"), [
    ("k", "x" * 1001, "value is 1001 bytes"),
    ("k", "é" * 501, "value is 1002 bytes"),
    ("k" * 300, "v", "key is 300 bytes"),
    ("nul%00key", "v", "key must not contain NUL"),
    ("k", "nul\x00value", "value must not contain NUL"),
])
def test_bad_keys_and_values_are_422(client: TestClient, key: str, value: str, field: str) -> None:
    answer = client.put(f"/items/{key}", json={"value": value})
    assert answer.status_code == 422 and field in answer.json()["detail"], answer.text


def test_lone_surrogate_is_422(client: TestClient) -> None:
    answer = client.put("/items/k", content=b'{"value": "\\ud800"}', headers={"content-type": "application/json"})
    assert answer.status_code == 422, answer.text


def test_a_key_postgresql_cannot_index_is_refused_at_once_without_its_text(app_env) -> None:
    """Random bytes do not compress, so a 3,000-byte key is over the btree limit: permanent, not retried."""
    settings = settings_from(app_env(operation_attempts=4))
    key = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(1000))  # 3,000 bytes of varied CJK

    async def put() -> float:
        store = Store(settings)
        await store.open()
        try:
            started = time.perf_counter()
            with pytest.raises(psycopg.Error) as caught:
                await store.put(key, "v")
            assert not transient(caught.value)
            return time.perf_counter() - started
        finally:
            await store.close()

    assert asyncio.run(put()) < 0.5  # one attempt, no backoff between four


def test_transient_means_the_database_is_away() -> None:
    assert transient(psycopg.OperationalError("connection refused"))  # no SQLSTATE: the link itself
    assert not transient(psycopg.errors.ProgramLimitExceeded("index row size exceeds"))
    assert transient(psycopg.errors.AdminShutdown("terminating connection"))


def test_no_docs_by_default(client: TestClient, app_env) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 404
    with TestClient(create_app(settings_from(app_env(docs="true")))) as documented:
        assert documented.get("/openapi.json").status_code == 200


def test_writes_are_rate_limited_reads_are_not(app_env) -> None:
    with TestClient(create_app(settings_from(app_env(write_rate=1, write_burst=5)))) as client:
        answers = [client.put(f"/items/w{i}", json={"value": "v"}) for i in range(8)]
        assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
        assert int(answers[-1].headers["retry-after"]) >= 1
        assert client.get("/items/w0").status_code == 200
        assert client.delete("/items/w0").status_code == 429


def test_status_shows_in_request_metrics(client: TestClient) -> None:
    client.get("/items/absent")
    client.put("/items/k", json={"value": "x" * 2000})
    text = client.get("/metrics").text
    assert 'app_request_seconds_count{method="GET",route="/items/{key}",source="database",status="404"}' in text
    assert 'method="PUT",route="/items/{key}",source="none",status="422"}' in text
