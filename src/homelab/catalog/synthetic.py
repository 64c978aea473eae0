"""Synthetic catalogs of any size, for benchmarks and planner tests.

They are written as real data files (same folders, same loader) so that a
benchmark measures loading and planning exactly as the real catalog does.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

from homelab.catalog.loader import data_root

CATEGORIES = [("infrastructure", "storage"), ("data", "databases"), ("application", "monitoring"),
              ("development", "tools"), ("backup", "backup")]


def entry(name: str, layer: str = "data", category: str = "databases", **facets: Any) -> dict[str, Any]:
    """A minimal valid catalog entry; `facets` override any field."""
    body: dict[str, Any] = {
        "name": name, "title": name.title(), "summary": f"synthetic component {name}", "layer": layer,
        "categories": [category], "license": "Apache-2.0", "namespace": name, "pod_security": "restricted",
        "source": {"kind": "helm", "repo": "https://charts.example.invalid", "chart": name, "version": "1.0.0",
                   "confirmed": "synthetic"},
        "footprint": {"cpu": "100m", "memory": "128Mi"},
    }
    body.update(facets)
    return body


def write_catalog(root: Path, entries: list[dict[str, Any]], profiles: dict[str, dict[str, Any]],
                  capabilities: dict[str, dict[str, Any]]) -> Path:
    """Write entries, profiles and the capability vocabulary as a catalog tree under `root`."""
    (root / "profiles").mkdir(parents=True, exist_ok=True)
    (root / "layers.yaml").write_text((data_root() / "layers.yaml").read_text())
    (root / "capabilities.yaml").write_text(yaml.safe_dump(capabilities, sort_keys=True))
    for body in entries:
        folder = root / body["layer"] / body["categories"][0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{body['name']}.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    for name, profile in profiles.items():
        (root / "profiles" / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, **profile}, sort_keys=False))
    return root


def facets(name: str, i: int) -> dict[str, Any]:
    """Endpoints, metrics, secrets and backup for the i-th synthetic component, so render has wiring to do.

    Every component serves one endpoint; every third exposes it as a UI (alternating OIDC and proxy SSO),
    every second has metrics, every fifth a credential, data-layer ones a backup.
    """
    exposed = i % 3 == 0
    out: dict[str, Any] = {
        "endpoints": [{"name": "http", "service": name, "port": 8080, "expose": exposed,
                       "sso": ("oidc" if i % 2 else "proxy") if exposed else "none"}],
        "values": {"replicaCount": 1, "url": "https://${host:http}", "namespace": "${namespace}"},
    }
    if i % 2 == 0:
        out["metrics"] = {"service": name, "port": "http", "selector": {"app.kubernetes.io/name": name}}
    if i % 5 == 0:
        out["secrets"] = [{"name": f"{name}-credentials", "keys": ["username", "password"]}]
    if CATEGORIES[i % len(CATEGORIES)][0] == "data":
        out["backup"] = {"method": "velero", "schedule": "0 2 * * *"}
    return out


def generate(root: Path, size: int, seed: int = 7, platform: bool = False) -> Path:
    """A DAG of `size` components; each requires up to three capabilities of earlier ones.

    `platform` adds `platform_entries()` (ingress, TLS, SSO, secrets, metrics, backups) so every
    synthetic UI, credential and metrics endpoint gets wired the way a real platform would.
    """
    rng = random.Random(seed)
    entries = []
    for i in range(size):
        layer, category = CATEGORIES[i % len(CATEGORIES)]
        requires = sorted({f"cap-{rng.randrange(i)}" for _ in range(min(i, 3))}) if i else []
        name = f"c{i:05d}"
        entries.append(entry(name, layer, category, provides=[f"cap-{i}"], requires=requires,
                             footprint={"cpu": f"{rng.choice([10, 20, 50])}m",
                                        "memory": f"{rng.choice([16, 32, 64])}Mi"}, **facets(name, i)))
    capabilities = {f"cap-{i}": {"summary": f"capability {i}"} for i in range(size)}
    if platform:
        return platform_catalog(root, entries, capabilities)
    profiles = {"full": {"summary": "everything", "hardware": "synthetic",
                         "nodes": [{"name": "n1", "cpu": 64, "memory": "256Gi", "storage": "4Ti"}],
                         "components": [e["name"] for e in entries]}}
    return write_catalog(root, entries, profiles, capabilities)


def big_cluster_config(size: int) -> dict[str, Any]:
    """A config whose nodes hold `size` synthetic components with room to spare."""
    nodes = max(3, size // 150)
    return {
        "platform": {"name": "synthetic", "domain": "synthetic.example.net"},
        "cluster": {"nodes": [{"name": f"n{i}", "cpu": 64, "memory": "256Gi", "storage": "4Ti"}
                              for i in range(nodes)]},
        "profile": "full",
        "gitops": {"repo_url": "https://git.example.net/homelab.git"},
    }


def _ui(name: str, service: str, port: int, sso: str = "none", expose: bool = True) -> dict[str, Any]:
    return {"name": name, "service": service, "port": port, "expose": expose, "sso": sso}


def platform_entries() -> list[dict[str, Any]]:
    """A small synthetic platform with one provider of every capability render wires (not the real catalog).

    It exercises every glue path: TLS, ingress, SSO by OIDC and by proxy, secrets, metrics, backups by
    Velero and Barman, a database and a bucket per tenant, policies, a load balancer; sources of kind
    helm, oci and git.
    """
    def helm(name: str) -> dict[str, Any]:
        return {"kind": "helm", "repo": f"https://charts.example.invalid/{name}", "chart": name, "version": "1.2.3",
                "confirmed": "synthetic"}

    privileged = {"pod_security": "privileged", "pod_security_reason": "host networking (synthetic)"}
    return [
        entry("metallb", "infrastructure", "networking", provides=["load-balancer"], operator=True, **privileged),
        entry("ingress-nginx", "infrastructure", "networking", provides=["ingress"], pod_security="baseline",
              pod_security_reason="binds privileged ports (synthetic)", uses=["load-balancer"],
              endpoints=[_ui("http", "ingress-nginx-controller", 80, expose=False)]),
        entry("cert-manager", "infrastructure", "security", provides=["certificates"], operator=True),
        entry("vault", "infrastructure", "security", provides=["secrets-store"],
              endpoints=[_ui("api", "vault", 8200)], backup={"method": "velero"}),
        entry("external-secrets", "infrastructure", "security", provides=["external-secrets"],
              requires=["secrets-store"], operator=True),
        entry("keycloak", "infrastructure", "security", provides=["identity-provider"],
              requires=["sql-database"], endpoints=[_ui("ui", "keycloak-service", 8080)],
              resources=[{"apiVersion": "k8s.keycloak.org/v2alpha1", "kind": "Keycloak",
                          "metadata": {"name": "keycloak", "namespace": "keycloak"},
                          "spec": {"instances": 1, "hostname": {"hostname": "${host:ui}"},
                                   "db": {"host": "${store:sql-database/host}",
                                          "database": "${store:sql-database/database}"}}}],
              secrets=[{"name": "keycloak-db", "keys": ["username", "password"], "template": {
                  "username": "${store:sql-database/username}", "password": "${store:sql-database/password}"}}]),
        entry("oauth2-proxy", "infrastructure", "security", provides=["auth-proxy"],
              source={"kind": "oci", "repo": "oci://registry.example.invalid/charts", "chart": "oauth2-proxy",
                      "version": "7.0.0", "confirmed": "synthetic"},
              endpoints=[_ui("http", "oauth2-proxy", 80, expose=False)], values={"replicaCount": 1}),
        entry("kyverno", "infrastructure", "security", provides=["policy-engine"], operator=True,
              source={"kind": "git", "repo": "https://git.example.invalid/kyverno.git", "path": "config/release",
                      "version": "v1.0.0", "confirmed": "synthetic"}),
        entry("minio", "infrastructure", "storage", provides=["object-storage"],
              endpoints=[_ui("s3", "minio", 9000, expose=False), _ui("console", "minio-console", 9001, "proxy")],
              metrics={"service": "minio", "port": "http-metrics", "path": "/minio/v2/metrics/cluster"},
              tenancy=[{"capabilities": ["object-storage"], "confirmed": "synthetic",
                        "fields": {"url": "http://minio.${namespace}.svc:9000", "bucket": "${consumer}",
                                   "region": "us-east-1"},
                        "secret_fields": ["access_key", "secret_key"],
                        "values": {"buckets": [{"name": "${field:bucket}"}]}}]),
        entry("cloudnative-pg", "data", "databases", provides=["postgres-operator"], operator=True),
        entry("postgresql", "data", "databases", provides=["sql-database", "postgresql"],
              requires=["postgres-operator"], uses=["object-storage", "metrics-store"],
              source={"kind": "none", "confirmed": "synthetic"},
              endpoints=[_ui("rw", "postgresql-rw", 5432, expose=False)],
              metrics={"service": "postgresql-metrics", "port": 9187, "selector": {"cnpg.io/cluster": "postgresql"}},
              backup={"method": "barman", "schedule": "0 3 * * *"},
              secrets=[{"name": "postgresql-app", "keys": ["username", "password"]}],
              resources=[{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
                          "metadata": {"name": "postgresql", "namespace": "postgresql"},
                          "spec": {"instances": 1, "storage": {"size": "1Gi"}}}],
              tenancy=[{"capabilities": ["sql-database"], "confirmed": "synthetic",
                        "fields": {"host": "postgresql-rw.${namespace}.svc", "port": "5432",
                                   "database": "${tenant}", "username": "${tenant}"},
                        "secret_fields": ["password"],
                        "credential": {"type": "kubernetes.io/basic-auth",
                                       "template": {"username": "${tenant}", "password": "${secret:password}"}},
                        "patches": [{"kind": "Cluster", "merge": {"spec": {"managed": {"roles": [
                            {"name": "${tenant}", "login": True, "superuser": False,
                             "passwordSecret": {"name": "${credential}"}}]}}}}],
                        "resources": [{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database",
                                       "metadata": {"name": "${consumer}", "namespace": "postgresql"},
                                       "spec": {"name": "${tenant}", "owner": "${tenant}",
                                                "cluster": {"name": "postgresql"}}}]}]),
        entry("barman", "backup", "backup", provides=["database-backup"], requires=["postgres-operator"],
              uses=["object-storage"], backs_up=[{
                  "method": "barman", "kind": "Cluster", "capability": "object-storage", "confirmed": "synthetic",
                  "merge": {"spec": {"plugins": [{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": True,
                                                  "parameters": {"barmanObjectName": "${name}-backup"}}]}},
                  "secrets": [{"name": "barman-s3", "keys": ["ACCESS_KEY_ID", "ACCESS_SECRET_KEY"], "template": {
                      "ACCESS_KEY_ID": "${store:object-storage/access_key}",
                      "ACCESS_SECRET_KEY": "${store:object-storage/secret_key}"}}],
                  "resources": [
                      {"apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore",
                       "metadata": {"name": "${name}-backup"},
                       "spec": {"configuration": {
                           "destinationPath": "s3://${store:object-storage/bucket}/",
                           "endpointURL": "${store:object-storage/url}",
                           "s3Credentials": {"accessKeyId": {"name": "barman-s3", "key": "ACCESS_KEY_ID"},
                                             "secretAccessKey": {"name": "barman-s3",
                                                                 "key": "ACCESS_SECRET_KEY"}}}}},
                      {"apiVersion": "postgresql.cnpg.io/v1", "kind": "ScheduledBackup",
                       "metadata": {"name": "${name}"},
                       "spec": {"schedule": "0 ${schedule}", "cluster": {"name": "${name}"}, "method": "plugin",
                                "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"}}}]}]),
        entry("redis", "data", "caching", provides=["cache"], endpoints=[_ui("redis", "redis-master", 6379,
                                                                               expose=False)],
              backup={"method": "velero"}, secrets=[{"name": "redis-auth", "keys": ["password"]}]),
        entry("prometheus", "application", "monitoring", provides=["metrics-store", "prometheus-operator"],
              operator=True, endpoints=[_ui("web", "prometheus", 9090, "proxy")],
              metrics={"service": "prometheus", "port": "web"}),
        entry("loki", "application", "monitoring", provides=["logs-store"], endpoints=[_ui("http", "loki", 3100,
                                                                                          expose=False)]),
        entry("grafana", "application", "monitoring", provides=["dashboards"], requires=["metrics-store"],
              uses=["logs-store", "identity-provider"], endpoints=[_ui("ui", "grafana", 80, "oidc")],
              metrics={"service": "grafana", "port": "service"}, backup={"method": "velero"},
              secrets=[{"name": "grafana-admin", "keys": ["admin-user", "admin-password"]}],
              values={"replicas": 1, "grafana.ini": {"server": {"root_url": "https://${host:ui}"}}},
              oidc={"confirmed": "synthetic", "secret": {"name": "grafana-oidc", "template": {
                  "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET": "${oidc_client_secret}"}},
                    "values": {"envFromSecret": "${oidc_secret}", "grafana.ini": {"auth.generic_oauth": {
                        "client_id": "${oidc_client_id}", "auth_url": "${oidc_issuer}/protocol/openid-connect/auth"}}},
                    "ca_values": {"grafana.ini": {"auth.generic_oauth": {"tls_client_ca": "/ca/ca.crt"}},
                                  "extraSecretMounts": [{"name": "ca", "secretName": "${ca_secret}",
                                                         "mountPath": "/ca"}]}}),
        entry("argocd", "application", "cicd", provides=["gitops"], source=helm("argo-cd"),
              endpoints=[_ui("ui", "argocd-server", 80, "oidc")],
              oidc={"confirmed": "synthetic",
                    "values": {"configs": {"cm": {"oidc.config": "issuer: ${oidc_issuer}"}}}}),
        entry("velero", "backup", "backup", provides=["cluster-backup"], requires=["object-storage"], operator=True,
              pod_security="baseline", pod_security_reason="node agent reads pod volumes (synthetic)",
              secrets=[{"name": "velero-s3", "keys": ["cloud"], "template": {
                  "cloud": "[default]\naws_access_key_id=${store:object-storage/access_key}\n"}}],
              resources=[{"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation",
                          "metadata": {"name": "default", "namespace": "velero"},
                          "spec": {"provider": "aws", "default": True,
                                   "objectStorage": {"bucket": "${store:object-storage/bucket}"},
                                   "credential": {"name": "velero-s3", "key": "cloud"},
                                   "config": {"s3Url": "${store:object-storage/url}", "s3ForcePathStyle": "true",
                                              "region": "${store:object-storage/region}"}}}]),
        entry("shop", "application", "workloads", provides=["reference-app"], requires=["sql-database", "cache"],
              endpoints=[_ui("web", "shop", 8000, "proxy")], metrics={"service": "shop", "port": "http"},
              secrets=[{"name": "shop-db", "keys": ["uri"], "template": {
                  "uri": "postgres://${store:sql-database/username}:${store:sql-database/password}@"
                         "${store:sql-database/host}/${store:sql-database/database}"}}],
              values={"replicaCount": 1, "db": "${store:sql-database/host}"}),
    ]


def platform_catalog(root: Path, extra: list[dict[str, Any]] | None = None,
                     extra_capabilities: dict[str, Any] | None = None) -> Path:
    """`platform_entries()` (+ `extra`) as a catalog whose profile `full` selects all of them."""
    entries = [*platform_entries(), *(extra or [])]
    capabilities = yaml.safe_load((data_root() / "capabilities.yaml").read_text()) | (extra_capabilities or {})
    for body in entries:
        for cap in [*body.get("provides", []), *body.get("requires", []), *body.get("uses", [])]:
            capabilities.setdefault(cap, {"summary": cap})
    profiles = {"full": {"summary": "everything", "hardware": "synthetic",
                         "nodes": [{"name": "n1", "cpu": 64, "memory": "256Gi", "storage": "4Ti"}],
                         "components": [e["name"] for e in entries]}}
    return write_catalog(root, entries, profiles, capabilities)
