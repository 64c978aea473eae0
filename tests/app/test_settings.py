"""Configuration comes from APP_* variables only; bad values stop the process with one line each."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from homelab_app.settings import Settings


def test_environment_variables_configure_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_QUEUE_BACKEND", "nats")
    monkeypatch.setenv("APP_CACHE_TTL_SECONDS", "42")
    monkeypatch.setenv("APP_TABLE_PREFIX", "dev_")
    settings = Settings()
    assert (settings.queue_backend, settings.cache_ttl_seconds) == ("nats", 42)
    assert (settings.items_table, settings.tasks_table) == ("dev_items", "dev_tasks")


@pytest.mark.parametrize("field, value", [("table_prefix", "x; drop table items"), ("queue_backend", "kafkaesque"),
                                          ("queue_name", "no spaces"), ("cache_ttl_seconds", "0")])
def test_bad_values_are_rejected(field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: value})


def test_worker_exits_2_naming_the_bad_variable() -> None:
    env = {**os.environ, "APP_QUEUE_BACKEND": "carrier-pigeon", "APP_PORT": "99999"}
    done = subprocess.run([sys.executable, "-m", "homelab_app", "worker"], env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2
    assert "APP_QUEUE_BACKEND:" in done.stderr and "APP_PORT:" in done.stderr
    assert "Traceback" not in done.stderr
