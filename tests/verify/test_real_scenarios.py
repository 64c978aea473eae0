"""The design's scenarios on the real systems: request-path with a token Dex issued and the reference app
checks, data-flow from Apache Kafka, and OpenBao (Vault's API) serving the credentials the rendered
ExternalSecrets name."""

from __future__ import annotations

from pathlib import Path

import pytest

from homelab.catalog.loader import load_catalog
from homelab.catalog.synthetic import platform_catalog
from homelab.config import Config
from homelab.render import render_tree, write_tree
from homelab.verify.runner import run_one, run_sync
from tests.dex import CLIENT_ID, ISSUER, password_grant_tokens, require_dex
from tests.verify.conftest import need_server, reference_app_running, target
from tests.verify.test_scenarios import FLOW_STEPS, PG, S3, scratch_tables

VAULT = "http://127.0.0.1:58200"
VAULT_TOKEN = "homelab-bao-root"  # OpenBao dev server's root token, as .ci/servers/openbao.sh sets it


@pytest.mark.servers
def test_request_path_carries_the_token_dex_issued_and_the_app_checks(tmp_path: Path) -> None:
    require_dex()
    token = str(password_grant_tokens()["id_token"])
    with reference_app_running(tmp_path, APP_OIDC_ISSUER=ISSUER, APP_OIDC_AUDIENCE=CLIENT_ID) as url:
        result = run_sync(run_one(target("app", "request-path", url, token=token), timeout=30))
        assert result.ok, result.reason
        assert len(result.steps) == 7
        refused = run_sync(run_one(target("app", "request-path", url), timeout=30))
    assert not refused.ok and refused.reason.startswith("write (database, cache invalidated): put item: HTTP 401"), \
        refused.reason


@pytest.mark.servers
def test_data_flow_from_apache_kafka_to_postgresql_and_s3() -> None:
    for port, what in ((59094, "apache kafka"), (5432, "postgresql"), (58888, "swift s3api")):
        need_server(port, what)
    result = run_sync(run_one(target("flow", "data-flow", "kafka://127.0.0.1:59094", database=PG, objects=S3),
                              timeout=60))
    assert result.ok, result.reason
    assert [s.name for s in result.steps] == FLOW_STEPS
    assert scratch_tables() == 0


def rendered_secret_refs(directory: Path) -> list[str]:
    """`path#property` of every remoteRef the dev environment's ExternalSecrets read, as render writes them."""
    import yaml

    config = Config.model_validate({
        "platform": {"name": "lab", "domain": "lab.example.net"},
        "cluster": {"nodes": [{"name": "n1", "cpu": 16, "memory": "64Gi"}],
                    "load_balancer": {"addresses": ["192.168.10.240/28"]}},
        "environments": {"dev": {}}, "profile": "full",
        "gitops": {"repo_url": "https://git.lab.example.net/lab/platform.git", "path": "clusters/lab"}})
    catalog = load_catalog(platform_catalog(directory / "catalog"))
    write_tree(render_tree(config, catalog), directory / "tree")
    refs = []
    for manifest in sorted((directory / "tree").rglob("*.yaml")):
        for obj in yaml.safe_load_all(manifest.read_text()):
            if isinstance(obj, dict) and obj.get("kind") == "ExternalSecret":
                refs += [f"{d['remoteRef']['key']}#{d['remoteRef']['property']}" for d in obj["spec"]["data"]]
    return refs


@pytest.mark.servers
def test_vault_serves_the_credentials_the_rendered_external_secrets_read(tmp_path: Path) -> None:
    import hvac

    need_server(58200, "openbao (Vault's API)")
    refs = rendered_secret_refs(tmp_path)
    assert refs and all(ref.startswith("lab/dev/") for ref in refs)
    client = hvac.Client(url=VAULT, token=VAULT_TOKEN)
    paths: dict[str, dict[str, str]] = {}
    for ref in refs:
        path, _, prop = ref.partition("#")
        paths.setdefault(path, {})[prop] = f"test-value-{len(paths)}"
    probe = target("vault", "vault", VAULT, token=VAULT_TOKEN, refs=refs)
    try:
        first, *rest = sorted(paths)
        for path in rest:  # all but one written: the probe names the one External Secrets would miss
            client.secrets.kv.v2.create_or_update_secret(path=path, secret=paths[path], mount_point="secret")
        missing = run_sync(run_one(probe, timeout=30))
        assert not missing.ok and missing.reason.startswith("read secrets: missing or empty: "), missing.reason
        assert {ref.partition("#")[0] for ref in missing.reason.split(": ", 2)[2].split(", ")} == {first}
        assert "test-value" not in missing.reason
        client.secrets.kv.v2.create_or_update_secret(path=first, secret=paths[first], mount_point="secret")
        result = run_sync(run_one(probe, timeout=30))
        assert result.ok, result.reason
        assert result.steps[-1].name == "read secrets" and result.steps[-1].detail == f"{len(refs)} secret(s) present"
    finally:
        for path in paths:
            client.secrets.kv.v2.delete_metadata_and_all_versions(path=path, mount_point="secret")
