"""Probe kinds proven against the real systems `.ci/servers/` builds or fetches from the registries:
Dex (oidc), ClickHouse, FerretDB (mongodb), Apache Kafka, OpenSearch (elasticsearch), Neo4j, OpenBao
(vault: the API OpenBao keeps from Vault), OpenFGA and Trino.
Each does the probe's full round trip, and where the protocol has them, a wrong
credential and TLS spoken to the plain server. Ports and test-only secrets match the scripts."""

from __future__ import annotations

from typing import Any

import pytest

from homelab.verify.runner import run_one, run_sync
from tests.dex import CLIENT_ID, CLIENT_SECRET, EMAIL, ISSUER, PASSWORD
from tests.verify.conftest import need_server, target

CLICKHOUSE = "http://homelab:homelab-clickhouse-pw@127.0.0.1:58123"
NEO4J = "bolt://neo4j:homelab-neo4j-pw@127.0.0.1:57687"
VAULT_TOKEN = "homelab-bao-root"  # OpenBao, as .ci/servers/openbao.sh sets it
OPENFGA_KEY = "homelab-openfga-key"
DEX_LOGIN = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "username": EMAIL, "password": PASSWORD}
ROUND_TRIP = ["write", "read back", "clean up"]

# name, kind, port, url, options, the steps the check must have taken (in order), what its first note says
CASES: list[tuple[str, str, int, str, dict[str, Any], list[str], str]] = [
    ("dex", "oidc", 55556, ISSUER, {"issuer": ISSUER, **DEX_LOGIN},
     ["discovery", "signing keys", "password token"], f"issuer {ISSUER}"),
    ("clickhouse", "clickhouse", 58123, CLICKHOUSE, {}, ["connect", "create table", *ROUND_TRIP], "clickhouse 18.16"),
    ("ferretdb", "mongodb", 57017, "mongodb://127.0.0.1:57017/", {}, ["connect", *ROUND_TRIP], "ferretdb v1."),
    ("apache-kafka", "kafka", 59094, "kafka://127.0.0.1:59094", {},
     ["connect", "create topic", "produce", "consume", "clean up"], "1 broker(s)"),
    ("opensearch", "elasticsearch", 59200, "http://127.0.0.1:59200", {},
     ["connect", "create index", "write", "search", "clean up"], "opensearch 2.19"),
    ("neo4j", "neo4j", 57687, NEO4J, {}, ["connect", *ROUND_TRIP], "Neo4j/5.26"),
    ("openbao", "vault", 58200, "http://127.0.0.1:58200", {"token": VAULT_TOKEN},
     ["health", "authenticate", *ROUND_TRIP], ""),
    ("openfga", "openfga", 58480, "http://127.0.0.1:58480", {"token": OPENFGA_KEY},
     ["create store", "write model", "write tuple", "check", "clean up"], ""),
    ("trino", "trino", 58088, "http://homelab@127.0.0.1:58088", {"catalog": "memory"},
     ["query", "create table", *ROUND_TRIP], ""),
]


@pytest.mark.servers
@pytest.mark.parametrize(("name", "kind", "port", "url", "options", "steps", "note"), CASES,
                         ids=[case[0] for case in CASES])
def test_round_trip_against_the_real_server(name: str, kind: str, port: int, url: str, options: dict[str, Any],
                                            steps: list[str], note: str) -> None:
    need_server(port, name)
    result = run_sync(run_one(target(name, kind, url, **options), timeout=60))
    assert result.ok, result.reason
    assert [step.name for step in result.steps] == steps
    assert result.steps[0].detail.startswith(note), result.steps[0].detail


WRONG: list[tuple[str, str, int, str, dict[str, Any], str]] = [
    ("dex-password", "oidc", 55556, ISSUER, {**DEX_LOGIN, "password": "wrong"}, "invalid username or password"),
    ("dex-client", "oidc", 55556, ISSUER, {**DEX_LOGIN, "client_secret": "wrong"}, "invalid client credentials"),
    ("clickhouse", "clickhouse", 58123, "http://homelab:wrong@127.0.0.1:58123", {}, "wrong password"),
    ("neo4j", "neo4j", 57687, "bolt://neo4j:wrong@127.0.0.1:57687", {}, "unauthorized"),
    ("openbao", "vault", 58200, "http://127.0.0.1:58200", {"token": "wrong"}, "authenticate: the token is not valid"),
    ("openfga", "openfga", 58480, "http://127.0.0.1:58480", {"token": "wrong"}, "401"),
]


@pytest.mark.servers
@pytest.mark.parametrize(("name", "kind", "port", "url", "options", "words"), WRONG, ids=[case[0] for case in WRONG])
def test_wrong_credentials_are_refused_by_the_real_server(name: str, kind: str, port: int, url: str,
                                                          options: dict[str, Any], words: str) -> None:
    need_server(port, name)
    result = run_sync(run_one(target(name, kind, url, **options), timeout=30))
    assert not result.ok and words in result.reason.lower(), result.reason
    assert "\n" not in result.reason


TLS: list[tuple[str, str, int, str, dict[str, Any], tuple[str, ...]]] = [
    ("dex", "oidc", 55556, "https://127.0.0.1:55556/dex", {}, ("tls",)),
    ("clickhouse", "clickhouse", 58123, "https://homelab:x@127.0.0.1:58123", {}, ("tls",)),
    ("opensearch", "elasticsearch", 59200, "https://127.0.0.1:59200", {}, ("tls",)),
    ("neo4j", "neo4j", 57687, "bolt+s://neo4j:x@127.0.0.1:57687", {}, ("encryption", "tls", "ssl")),
    ("openbao", "vault", 58200, "https://127.0.0.1:58200", {"token": VAULT_TOKEN}, ("ssl", "tls")),
    ("openfga", "openfga", 58480, "https://127.0.0.1:58480", {"token": OPENFGA_KEY}, ("tls",)),
    ("trino", "trino", 58088, "https://127.0.0.1:58088", {}, ("tls",)),
]


@pytest.mark.servers
@pytest.mark.parametrize(("name", "kind", "port", "url", "options", "words"), TLS, ids=[case[0] for case in TLS])
def test_tls_against_the_plain_real_server_fails_as_tls(name: str, kind: str, port: int, url: str,
                                                        options: dict[str, Any], words: tuple[str, ...]) -> None:
    need_server(port, name)
    result = run_sync(run_one(target(name, kind, url, **options), timeout=10))
    assert not result.ok and result.seconds < 10.5
    assert any(word in result.reason.lower() for word in words), result.reason


@pytest.mark.servers
def test_tls_against_plain_ferretdb_fails_within_the_timeout() -> None:
    """A TLS hello to the plain wire protocol gets no answer (the server waits for a whole message), and
    PyMongo keeps selecting a server until its deadline: the probe fails at its timeout, not later."""
    need_server(57017, "ferretdb")
    result = run_sync(run_one(target("ferretdb", "mongodb", "mongodb://127.0.0.1:57017/?tls=true"), timeout=3))
    assert not result.ok and 2.5 < result.seconds < 3.6, (result.seconds, result.reason)
    assert result.reason.startswith("no answer within 3 s during 'connect'"), result.reason
