"""Config and catalog variants: ACME DNS-01, Gateway API routes, shared Secrets, and the diagrams' contents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.render.conftest import make_config

from homelab.catalog.loader import Catalog, load_catalog
from homelab.catalog.synthetic import entry, platform_catalog, platform_entries
from homelab.config import Config
from homelab.errors import InputError
from homelab.plan import make_plan
from homelab.render import Rendered, diagrams, render_env


def bodies(config: Config, catalog: Catalog, env: str = "dev") -> list[dict[str, Any]]:
    return [o.body for o in render_env(config, catalog, env)[1]]


def test_acme_dns01_issuer_reads_its_credentials_from_vault(catalog: Catalog) -> None:
    config = make_config(tls={"mode": "acme-dns01", "acme": {"email": "me@lab.example.net",
                                                              "dns_provider": "cloudflare",
                                                              "credentials_secret": "dns/cloudflare"}})
    objs = bodies(config, catalog)
    issuer = next(o for o in objs if o["kind"] == "ClusterIssuer")
    acme = issuer["spec"]["acme"]
    assert acme["email"] == "me@lab.example.net"
    ref = acme["solvers"][0]["dns01"]["cloudflare"]["apiTokenSecretRef"]
    creds = next(o for o in objs if o["kind"] == "ExternalSecret" and o["metadata"]["name"] == ref["name"])
    assert creds["spec"]["data"] == [{"secretKey": ref["key"], "remoteRef": {"key": "dns/cloudflare",
                                                                             "property": ref["key"]}}]
    assert all(o["spec"]["issuerRef"]["name"] == "lab-acme" for o in objs
               if o["kind"] == "Certificate")
    bad = make_config(tls={"mode": "acme-dns01", "acme": {"email": "me@lab.example.net", "dns_provider": "rfc2136",
                                                           "credentials_secret": "dns/x"}})
    with pytest.raises(InputError, match="rfc2136"):
        render_env(bad, catalog, "dev")


@pytest.fixture(scope="module")
def gateway_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The platform without an ingress controller, with Gateway API CRDs and a mesh instead."""
    root = tmp_path_factory.mktemp("gw")
    entries = [e for e in platform_entries() if e["name"] != "ingress-nginx"]
    entries += [entry("gateway-api", "infrastructure", "networking", provides=["gateway-api"], namespace="kube-system"),
                entry("istio", "infrastructure", "networking", provides=["service-mesh"], uses=["gateway-api"],
                      pod_security="privileged", pod_security_reason="sidecar init (synthetic)")]
    import yaml

    from homelab.catalog.loader import data_root
    from homelab.catalog.synthetic import write_catalog

    caps = yaml.safe_load((data_root() / "capabilities.yaml").read_text())
    profiles = {"full": {"summary": "s", "hardware": "h", "components": [e["name"] for e in entries],
                         "nodes": [{"name": "n1", "cpu": 64, "memory": "256Gi", "storage": "4Ti"}]}}
    return load_catalog(write_catalog(root, entries, profiles, caps))


def test_gateway_api_routes_when_there_is_no_ingress_controller(gateway_catalog: Catalog) -> None:
    objs = bodies(make_config(), gateway_catalog)
    assert not [o for o in objs if o["kind"] == "Ingress"]
    gateway = next(o for o in objs if o["kind"] == "Gateway")
    assert gateway["metadata"]["namespace"] == "istio" and gateway["spec"]["gatewayClassName"] == "istio"
    routes = [o for o in objs if o["kind"] == "HTTPRoute"]
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert routes and len(routes) == len(listeners)
    for route in routes:
        parent = route["spec"]["parentRefs"][0]
        listener = listeners[parent["sectionName"]]
        assert route["spec"]["hostnames"] == [listener["hostname"]]
        secret = listener["tls"]["certificateRefs"][0]["name"]
        cert = next(o for o in objs if o["kind"] == "Certificate" and o["spec"]["secretName"] == secret)
        assert cert["metadata"]["namespace"] == "istio" and cert["spec"]["dnsNames"] == [listener["hostname"]]
    allow = next(o for o in objs if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "allow"
                 and o["metadata"]["namespace"] == "istio")
    assert {"ipBlock": {"cidr": "0.0.0.0/0"}} in allow["spec"]["ingress"][1]["from"]
    # kube-system is Kubernetes' own: never created, never default-denied
    assert not [o for o in objs if o["metadata"].get("namespace") == "kube-system" and o["kind"] == "NetworkPolicy"]
    assert not [o for o in objs if o["kind"] == "Namespace" and o["metadata"]["name"] == "kube-system"]


def test_a_secret_shared_in_a_namespace_is_one_external_secret(tmp_path: Path) -> None:
    extra = [entry("runner", "application", "cicd", namespace="shop", requires=["reference-app"],
                   secrets=[{"name": "shop-db", "keys": ["uri", "token"]}])]
    catalog = load_catalog(platform_catalog(tmp_path / "cat", extra))
    objs = bodies(make_config(), catalog)
    shared = [o for o in objs if o["kind"] == "ExternalSecret" and o["metadata"]["name"] == "shop-db"]
    assert len(shared) == 1
    # shop builds `uri` from its own database role; the runner adds `token` from the shared Secret's Vault path
    assert set(shared[0]["spec"]["target"]["template"]["data"]) == {"uri", "token"}
    assert {d["secretKey"]: d["remoteRef"]["key"] for d in shared[0]["spec"]["data"]} == {
        "sql_database_password": "lab/dev/shop/postgresql", "token": "lab/dev/shop/shop-db"}


def test_diagrams_name_the_planned_providers(catalog: Catalog, config: Config) -> None:
    plan = make_plan(config, catalog, "prod")
    built = diagrams.build(plan, catalog, config)
    assert list(built) == list(diagrams.NAMES)
    seq = built["interactions"]
    for role, title in (("Ingress", "Ingress-Nginx"), ("App", "Shop"), ("Cache", "Redis"), ("DB", "Postgresql"),
                        ("Monitoring", "Prometheus")):
        assert f"participant {role} as {role} ({title})" in seq
    assert "App->>DB: Query" in seq and "participant Queue" not in seq  # no queue in this platform
    arch = built["architecture"]
    for p in plan.components.values():
        assert f'c_{p.name.replace("-", "_")}["{p.component.title}"]' in arch
    assert 'subgraph L_backup["Backup & Recovery"]' in arch and "L_infrastructure --> L_data" not in arch
    assert "L_data --> L_infrastructure" in arch  # keycloak (infrastructure) requires postgresql (data)
    assert "Loki" not in built["monitoring"]  # removed in prod
    assert "E_staging -->|homelab promote| E_prod" in built["deployment"]
    assert "Auth -->|oidc| c_grafana" in built["security"] and "Proxy -->|proxy| c_shop" in built["security"]


def test_replicas_without_a_replica_key_are_reported(catalog: Catalog) -> None:
    config = make_config(environments={"dev": {"overrides": {"replicas": {"vault": 3, "shop": 3}}}})
    ctx, objs = render_env(config, catalog, "dev")
    assert any(w.startswith("vault: replicas 3 not applied") for w in ctx.warnings)
    assert not any(w.startswith("shop:") for w in ctx.warnings)
    shop = next(o.body for o in objs if o.kind == "Application" and o.name == "shop")
    assert shop["spec"]["source"]["helm"]["valuesObject"]["replicaCount"] == 3


def test_handbook_lists_every_vault_entry_and_client(rendered: Rendered) -> None:
    vault = rendered.files["docs/vault.md"].decode()
    for env, objs in rendered.objects.items():
        section = vault.split(f"## {env}\n", 1)[1].split("\n## ", 1)[0]
        for obj in objs:
            if obj.kind == "ExternalSecret":
                for item in obj.body["spec"]["data"]:
                    row = next(line for line in section.splitlines() if f"`{item['remoteRef']['key']}`" in line)
                    assert f"`{item['remoteRef']['property']}`" in row
    sso = rendered.files["docs/sso.md"].decode()
    assert "| `grafana` | https://grafana.dev.lab.example.net/* |" in sso
    assert "| `grafana` | https://grafana.lab.example.net/* |" in sso


def test_local_sources_sync_the_copied_manifests_from_the_users_repository(tmp_path: Path) -> None:
    from homelab.catalog.loader import data_root
    from homelab.errors import CatalogError
    from homelab.render import render_tree

    packaged = data_root().parent.parent / "manifests" / "memcached"
    local = {"kind": "local", "chart": "memcached", "version": "1.6.39", "confirmed": "synthetic"}
    catalog = load_catalog(platform_catalog(tmp_path / "cat", [entry("memcached", "data", "caching",
                                                                     provides=["memcache"], source=local)]))
    result = render_tree(make_config(), catalog)
    for path in packaged.rglob("*"):
        if path.is_file():
            assert result.files[f"manifests/memcached/{path.relative_to(packaged).as_posix()}"] == path.read_bytes()
    app = next(o.body for o in result.objects["dev"] if o.kind == "Application" and o.name == "memcached")
    # the placeholder the environment's release replaces by its own revision (see test_gate)
    assert app["spec"]["source"] == {"repoURL": "https://git.lab.example.net/lab/platform.git",
                                     "path": "clusters/lab/manifests/memcached", "targetRevision": "release-revision"}
    assert app["metadata"]["labels"]["homelab.dev/revision"] == "release-revision"
    missing = {**local, "chart": "no-such-folder"}
    broken = load_catalog(platform_catalog(tmp_path / "cat2", [entry("memcached", "data", "caching", source=missing)]))
    with pytest.raises(CatalogError, match="no-such-folder"):
        render_tree(make_config(), broken)


def test_sync_policy_follows_the_config_and_one_environment_renders_alone(catalog: Catalog) -> None:
    from homelab.render import render_tree

    config = make_config(sync={"automated": False, "retries": 2})
    result = render_tree(config, catalog, ["staging"])
    assert result.envs == ["staging"]
    assert not [rel for rel in result.files if rel.startswith(("dev/", "prod/"))]
    apps = [o.body for o in result.objects["staging"] if o.kind == "Application"]
    assert apps and all("automated" not in a["spec"]["syncPolicy"] for a in apps)
    assert {a["spec"]["syncPolicy"]["retry"]["limit"] for a in apps} == {2}
