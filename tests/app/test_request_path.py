"""The HTTP contract against real PostgreSQL, Redis and RabbitMQ: cache miss then hit, writes, probes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from homelab_app.web import create_app
from tests.app.conftest import metric, settings_from

pytestmark = pytest.mark.servers


def test_cache_miss_then_hit_then_invalidation(app_env) -> None:
    with TestClient(create_app(settings_from(app_env()))) as client:
        before = client.get("/metrics").text
        assert client.put("/items/colour", json={"value": "blue"}).status_code == 200
        first = client.get("/items/colour").json()
        second = client.get("/items/colour").json()
        assert (first["source"], second["source"]) == ("database", "cache")
        assert first["value"] == second["value"] == "blue"
        assert first["task_id"] != second["task_id"]

        client.put("/items/colour", json={"value": "green"})  # the write must drop the cached copy
        third = client.get("/items/colour").json()
        assert (third["source"], third["value"]) == ("database", "green")

        after = client.get("/metrics").text
        assert metric(after, "app_cache_hits_total") - metric(before, "app_cache_hits_total") == 1
        assert metric(after, "app_cache_misses_total") - metric(before, "app_cache_misses_total") == 2
        assert metric(after, "app_tasks_published_total") - metric(before, "app_tasks_published_total") == 3
        assert 'app_request_seconds_count{method="GET",route="/items/{key}",source="cache",status="200"}' in after
        # No worker runs here, so all three tasks wait in the queue.
        assert metric(after, "app_queue_depth") == 3


def test_absent_and_deleted_items_are_404(app_env) -> None:
    with TestClient(create_app(settings_from(app_env()))) as client:
        assert client.get("/items/nothing").status_code == 404
        client.put("/items/gone", json={"value": "x"})
        assert client.get("/items/gone").json()["source"] == "database"
        assert client.delete("/items/gone").status_code == 204
        assert client.get("/items/gone").status_code == 404  # not served from the cache either
        assert client.delete("/items/gone").status_code == 404


def test_probes_report_ready(app_env) -> None:
    with TestClient(create_app(settings_from(app_env()))) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_unknown_task_reads_pending_and_bad_body_is_rejected(app_env) -> None:
    with TestClient(create_app(settings_from(app_env()))) as client:
        assert client.get("/tasks/00000000-0000-0000-0000-000000000000").json()["status"] == "pending"
        assert client.get("/tasks/not-a-uuid").status_code == 422
        assert client.put("/items/k", json={"nope": 1}).status_code == 422
