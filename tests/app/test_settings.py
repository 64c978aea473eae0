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


def test_loopback_by_default_and_tokens_required_beyond_it() -> None:
    assert Settings().host == "127.0.0.1"
    with pytest.raises(ValidationError, match="APP_OIDC_ISSUER"):
        Settings(host="0.0.0.0")
    assert Settings(host="0.0.0.0", insecure_no_auth=True).host == "0.0.0.0"
    assert Settings(host="0.0.0.0", oidc_issuer="https://sso.example.net/realms/lab", oidc_audience="app")
    with pytest.raises(ValidationError, match="both"):
        Settings(oidc_issuer="https://sso.example.net/realms/lab")


def test_web_beyond_loopback_without_tokens_exits_2_in_one_line() -> None:
    env = {**os.environ, "APP_HOST": "0.0.0.0"}
    done = subprocess.run([sys.executable, "-m", "homelab_app", "web"], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "APP_INSECURE_NO_AUTH=true" in done.stderr, done.stderr


def test_missing_app_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from homelab_app import cli

    monkeypatch.setattr(cli, "EXTRA_MODULES", ("pydantic_settings", "no_such_module_for_the_test"))
    assert cli.missing_extra() == ["no_such_module_for_the_test"]
    with pytest.raises(SystemExit) as stop:
        cli._settings()
    assert stop.value.code == 2


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as the kernel shows them) of TCP sockets listening on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    found.append(local.rsplit(":", 1)[0])
    return found


@pytest.mark.servers
def test_worker_metrics_listen_on_loopback(app_env, workers) -> None:
    worker = workers(app_env())
    worker.wait_for("worker consuming")
    port = int(worker.env["APP_METRICS_PORT"])
    assert _listening(port) == ["0100007F"]  # 127.0.0.1, not 0.0.0.0
