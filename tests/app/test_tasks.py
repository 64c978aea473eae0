"""Task round trips over RabbitMQ and NATS JetStream with real worker processes, including kills."""

from __future__ import annotations

import signal

import psycopg
import pytest
from fastapi.testclient import TestClient

from homelab_app.web import create_app
from tests.app.conftest import settings_from, wait_done

pytestmark = pytest.mark.servers
BACKENDS = ["rabbitmq", "nats"]


def result_rows(env: dict[str, str], task_id: str) -> int:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test") as conn:
        row = conn.execute(f"SELECT count(*) FROM {env['APP_TABLE_PREFIX']}tasks WHERE task_id = %s",
                           (task_id,)).fetchone()
        assert row is not None
        return int(row[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_task_round_trip(app_env, workers, backend: str) -> None:
    env = app_env(backend)
    with TestClient(create_app(settings_from(env))) as client:
        client.put("/items/greeting", json={"value": "hello queue world"})
        task_id = client.get("/items/greeting").json()["task_id"]
        assert client.get(f"/tasks/{task_id}").json()["status"] == "pending"  # no worker yet
        worker = workers(env)
        done = wait_done(client, task_id)
        assert done["result"] == {"characters": 17, "words": 3}
        assert done["worker"] == worker.worker_id
        assert worker.stop() == 0


def kill_mid_task(env: dict[str, str], workers, timeout: float) -> None:
    """SIGKILL a worker while it works on a task; a second worker must complete that same task once."""
    with TestClient(create_app(settings_from(env))) as client:
        client.put("/items/slow", json={"value": "abc"})
        task_id = client.get("/items/slow").json()["task_id"]
        doomed = workers(env)
        doomed.wait_for(f'"task started", "task_id": "{task_id}"', timeout=timeout)
        doomed.stop(signal.SIGKILL)
        assert client.get(f"/tasks/{task_id}").json()["status"] == "pending"

        rescuer = workers(env)
        done = wait_done(client, task_id, timeout=timeout)
        assert done["worker"] == rescuer.worker_id
        assert done["result"]["characters"] == 3
        assert result_rows(env, task_id) == 1
        assert rescuer.stop() == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_worker_killed_mid_task_loses_nothing(app_env, workers, backend: str) -> None:
    kill_mid_task(app_env(backend, work_seconds=3, ack_wait_seconds=2), workers, timeout=40)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigterm_finishes_the_task_in_hand(app_env, workers, backend: str) -> None:
    env = app_env(backend, work_seconds=2)
    with TestClient(create_app(settings_from(env))) as client:
        client.put("/items/graceful", json={"value": "done before exit"})
        task_id = client.get("/items/graceful").json()["task_id"]
        worker = workers(env)
        worker.wait_for(f'"task started", "task_id": "{task_id}"')
        assert worker.stop(signal.SIGTERM) == 0
        worker.wait_for("worker stopped")
        body = client.get(f"/tasks/{task_id}").json()
        assert (body["status"], body["worker"]) == ("done", worker.worker_id)


def test_task_round_trip_over_kafka(app_env, workers, tansu: str) -> None:
    env = app_env("kafka", queue_url=tansu)
    with TestClient(create_app(settings_from(env))) as client:
        client.put("/items/stream", json={"value": "kafka says hi"})
        task_id = client.get("/items/stream").json()["task_id"]
        assert "app_queue_depth 1.0" in client.get("/metrics").text
        worker = workers(env)
        done = wait_done(client, task_id, timeout=90)  # a group's first join is slow on Tansu (~20 s)
        assert (done["result"]["characters"], done["worker"]) == (13, worker.worker_id)
        assert "app_queue_depth 0.0" in client.get("/metrics").text  # the worker committed the offset
        assert worker.stop() == 0


def test_worker_killed_mid_task_over_kafka(app_env, workers, tansu: str) -> None:
    # The dead member holds its partition until its 10 s session times out; then the group rebalances.
    kill_mid_task(app_env("kafka", queue_url=tansu, work_seconds=3), workers, timeout=90)
