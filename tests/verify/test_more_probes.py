"""Memcached, LDAP, Prometheus, etcd, HTTP, Kafka, S3, Swift, Azure Blob, Jupyter and MLflow
probes against real servers started by .ci/servers/*.sh (ports from LOCAL-SERVERS.md)."""

from __future__ import annotations

from typing import Any

import pytest

from homelab.verify.runner import run_one, run_sync
from tests.verify.conftest import need_server, target

AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
ROUND_TRIP = {"write", "read back", "clean up"}
ADMIN = {"bind_dn": "cn=admin,dc=example,dc=org", "password": "secret"}

CASES: list[tuple[str, str, int, str, dict[str, Any], set[str]]] = [
    ("memcached", "memcached", 51211, "memcached://127.0.0.1:51211", {}, ROUND_TRIP),
    ("ldap-write", "ldap", 50389, "ldap://127.0.0.1:50389/dc=example,dc=org", {**ADMIN, "write": True},
     {"bind", "search", *ROUND_TRIP}),
    ("ldap-user", "ldap", 50389, "ldap://127.0.0.1:50389/ou=people,dc=example,dc=org",
     {"bind_dn": "uid=alice,ou=people,dc=example,dc=org", "password": "alicepw"}, {"bind", "search"}),
    ("prometheus", "prometheus", 59090, "http://127.0.0.1:59090", {}, {"query up", "targets healthy"}),
    ("etcd", "etcd", 52379, "http://127.0.0.1:52379", {}, ROUND_TRIP),
    ("nginx", "http", 58080, "http://127.0.0.1:58080/healthz", {"expect_status": 200, "expect_body": "ok"},
     {"request", "check answer"}),
    ("haproxy", "http", 58081, "http://127.0.0.1:58081/healthz", {"expect_body": "ok"}, {"request"}),
    ("kafka", "kafka", 59092, "kafka://127.0.0.1:59092", {},
     {"create topic", "produce", "consume", "clean up"}),
    ("s3-on-swift", "s3", 58888, "s3://test%3Atester:testing@127.0.0.1:58888", {},
     {"create bucket", *ROUND_TRIP}),
    ("swift", "swift", 58888, "swift://test%3Atester:testing@127.0.0.1:58888/auth/v1.0", {},
     {"authenticate", *ROUND_TRIP}),
    ("azurite", "azure-blob", 50000, "azure-blob://devstoreaccount1@127.0.0.1:50000",
     {"account_key": AZURITE_KEY}, {"create container", *ROUND_TRIP}),
    ("jupyter", "jupyter", 58890, "http://127.0.0.1:58890", {"token": "homelab-ci-token"},
     {"api status", *ROUND_TRIP}),
    ("mlflow", "mlflow", 55001, "http://127.0.0.1:55001", {}, {"create experiment", "read back", "clean up"}),
]


@pytest.mark.servers
@pytest.mark.parametrize(("name", "kind", "port", "url", "options", "steps"), CASES,
                         ids=[case[0] for case in CASES])
def test_probe_does_a_real_round_trip(name: str, kind: str, port: int, url: str, options: dict[str, Any],
                                      steps: set[str]) -> None:
    need_server(port, name)
    result = run_sync(run_one(target(name, kind, url, **options), timeout=15))
    assert result.ok, result.reason
    assert steps <= {step.name for step in result.steps}


@pytest.mark.servers
@pytest.mark.parametrize(("name", "kind", "port", "url", "options", "words"), [
    ("ldap", "ldap", 50389, "ldap://127.0.0.1:50389/dc=example,dc=org",
     {"bind_dn": "cn=admin,dc=example,dc=org", "password": "wrong"}, "invalidcredentials"),
    ("s3", "s3", 58888, "s3://test%3Atester:wrong@127.0.0.1:58888", {}, "signature"),
    ("swift", "swift", 58888, "swift://test%3Atester:wrong@127.0.0.1:58888/auth/v1.0", {}, "401"),
    ("azurite", "azure-blob", 50000, "azure-blob://devstoreaccount1@127.0.0.1:50000",
     {"account_key": "d3Jvbmc="}, "authorization"),
    ("jupyter", "jupyter", 58890, "http://127.0.0.1:58890", {"token": "wrong"}, "403"),
])
def test_wrong_credentials_are_refused(name: str, kind: str, port: int, url: str, options: dict[str, Any],
                                       words: str) -> None:
    need_server(port, name)
    result = run_sync(run_one(target(name, kind, url, **options), timeout=10))
    assert not result.ok and words in result.reason.lower(), result.reason
    assert "\n" not in result.reason


@pytest.mark.servers
@pytest.mark.parametrize(("kind", "url", "port"), [
    ("http", "https://127.0.0.1:58080/healthz", 58080),
    ("ldap", "ldaps://127.0.0.1:50389/dc=example,dc=org", 50389),
    ("s3", "s3s://test%3Atester:testing@127.0.0.1:58888", 58888),
])
def test_tls_against_plain_server_fails_with_a_tls_reason(kind: str, url: str, port: int) -> None:
    need_server(port, kind)
    result = run_sync(run_one(target("x", kind, url), timeout=5))
    assert not result.ok and result.seconds < 5.5
    assert any(word in result.reason.lower() for word in ("tls", "ssl")), result.reason


@pytest.mark.servers
def test_unhealthy_answer_fails_with_the_status() -> None:
    need_server(58080, "nginx")
    result = run_sync(run_one(target("x", "http", "http://127.0.0.1:58080/missing"), timeout=5))
    assert not result.ok and result.reason == "check answer: HTTP 404, expected a 2xx status"
    wrong_body = target("x", "http", "http://127.0.0.1:58080/healthz", expect_body="healthy")
    result = run_sync(run_one(wrong_body, timeout=5))
    assert not result.ok and "does not contain 'healthy'" in result.reason


@pytest.mark.servers
def test_prometheus_names_down_targets() -> None:
    """A scrape target that is down is a failure, unless `allow_down` is set."""
    need_server(59090, "prometheus")
    down = target("p", "prometheus", "http://127.0.0.1:59090")
    result = run_sync(run_one(down, timeout=5))
    assert result.ok, result.reason  # both CI targets are up
    note = next(s.detail for s in result.steps if s.name == "targets healthy")
    assert note.endswith("targets up") and note.split("/")[0] == note.split("/")[1].split()[0]


def test_qdrant_probe_in_local_mode(tmp_path: Any) -> None:
    """No Qdrant server runs here: Qdrant's local mode runs the same client calls in-process."""
    result = run_sync(run_one(target("q", "qdrant", f"file://{tmp_path}/qdrant"), timeout=30))
    assert result.ok, result.reason
    assert [s.name for s in result.steps] == ["create collection", "upsert", "search", "clean up"]


@pytest.mark.servers
@pytest.mark.parametrize(("kind", "url", "port"), [
    ("prometheus", "http://127.0.0.1:59090/-/ready", 59090),
    ("mlflow", "http://127.0.0.1:55001/health", 55001),
])
def test_catalog_health_paths_are_not_taken_as_api_prefixes(kind: str, url: str, port: int) -> None:
    """The catalog names health URLs (`/-/ready`, `/health`); the API probes still find their API."""
    need_server(port, kind)
    result = run_sync(run_one(target(kind, kind, url), timeout=15))
    assert result.ok, result.reason
