"""The wiring is what the graph implies: checked against the plan and facets, not against snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.plan import Plan
from homelab.render import Rendered, env_objects
from homelab.render.sso import redirect_patterns

ENVS = ("dev", "staging", "prod")
SYSTEM = {"kube-system", "kube-public", "kube-node-lease", "default"}


def of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[dict[str, Any]], kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    found = [o for o in of(objects, kind) if o["metadata"]["name"] == name
             and (namespace is None or o["metadata"].get("namespace") == namespace)]
    assert len(found) == 1, f"expected one {kind} {namespace}/{name}, found {len(found)}"
    return found[0]


def expected_flows(plan: Plan) -> set[tuple[str | None, str]]:
    """Namespace flows computed straight from the plan: edges, ingress path, metrics scraping."""
    comps = {n: p.component for n, p in plan.components.items()}
    flows: set[tuple[str | None, str]] = set()
    for e in plan.edges:
        src, dst = comps[e.consumer], comps[e.provider]
        if dst.endpoints and src.namespace != dst.namespace:
            flows.add((src.namespace, dst.namespace))
    ingress = comps[plan.provider_of("ingress")].namespace
    flows.add((None, ingress))
    flows |= {(ingress, c.namespace) for c in comps.values() if any(e.expose for e in c.endpoints)
              and c.namespace != ingress}
    prometheus = comps[plan.provider_of("metrics-store")].namespace
    flows |= {(prometheus, c.namespace) for c in comps.values() if c.metrics and c.namespace != prometheus}
    # OIDC clients (a UI's own login, a proxy instance) reach the issuer's public host through the ingress
    if plan.provider_of("identity-provider"):
        flows |= {(c.namespace, ingress) for c in comps.values() for e in c.endpoints if e.expose
                  and c.namespace != ingress and ((e.sso == "oidc" and c.oidc) or
                                                  (e.sso == "proxy" and plan.provider_of("auth-proxy")))}
    return flows


def peers(rule_peer: dict[str, Any]) -> list[str | None]:
    """The namespaces a peer names (None: anywhere): one by its name label, several by an `In` selector."""
    if "ipBlock" in rule_peer:
        assert rule_peer["ipBlock"]["cidr"] == "0.0.0.0/0"
        return [None]
    selector = rule_peer["namespaceSelector"]
    if "matchLabels" in selector:
        return [selector["matchLabels"]["kubernetes.io/metadata.name"]]
    (expression,) = selector["matchExpressions"]
    assert expression["key"] == "kubernetes.io/metadata.name" and expression["operator"] == "In"
    assert len(expression["values"]) > 1 and expression["values"] == sorted(expression["values"])
    return list(expression["values"])


@pytest.mark.parametrize("env", ENVS)
def test_network_policies_allow_exactly_the_graph(tree: Path, rendered: Rendered, env: str) -> None:
    objects = env_objects(tree, env)
    plan = rendered.plans[env]
    policies = of(objects, "NetworkPolicy")
    owned = {p.component.namespace for p in plan.components.values()} - SYSTEM
    assert {p["metadata"]["namespace"] for p in policies} == owned
    ingress_seen: set[tuple[str | None, str]] = set()
    egress_seen: set[tuple[str | None, str]] = set()
    for policy in policies:
        ns, name, spec = policy["metadata"]["namespace"], policy["metadata"]["name"], policy["spec"]
        assert spec["podSelector"] == {} and name in ("default-deny", "allow")
        # flows are the port-less rules to other namespaces (or anywhere); same-namespace, DNS and API aside
        ingress_seen |= {(src, ns) for rule in spec.get("ingress", []) for p in rule["from"]
                         if p != {"podSelector": {}} for src in peers(p)}
        egress_seen |= {(ns, dst) for rule in spec.get("egress", []) if "ports" not in rule
                        for p in rule["to"] if p != {"podSelector": {}} for dst in peers(p)}
    flows = expected_flows(plan)
    # every flow is allowed on the receiving side (unless it lands in a namespace we do not police)...
    assert ingress_seen == {f for f in flows if f[1] in owned}
    # ...and on the sending side, for every sender we police
    assert egress_seen == {f for f in flows if f[0] in owned}
    for ns in owned:
        deny = named(policies, "NetworkPolicy", "default-deny", ns)["spec"]
        assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
        dns = named(policies, "NetworkPolicy", "allow", ns)["spec"]["egress"][1]
        assert {p["port"] for p in dns["ports"]} == {53}
        assert dns["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}


@pytest.mark.parametrize("env", ENVS)
def test_every_exposed_ui_has_route_certificate_and_sso(tree: Path, rendered: Rendered, config: Config,
                                                        env: str) -> None:
    objects = env_objects(tree, env)
    plan = rendered.plans[env]
    realm = named(objects, "KeycloakRealmImport", "lab")
    clients = {c["clientId"]: c for c in realm["spec"]["realm"]["clients"]}
    exposed = [(p.component, e) for p in plan.components.values() for e in p.component.endpoints if e.expose]
    assert exposed
    for comp, ep in exposed:
        expected_host = f"{ep.host or comp.name}.{'' if env == 'prod' else env + '.'}{config.platform.domain}"
        ingress = named(objects, "Ingress", f"{comp.name}-{ep.name}", comp.namespace)
        assert ingress["spec"]["rules"][0]["host"] == expected_host
        secret = ingress["spec"]["tls"][0]["secretName"]
        assert ingress["spec"]["tls"][0]["hosts"] == [expected_host]
        cert = named(objects, "Certificate", secret, comp.namespace)
        assert cert["spec"]["secretName"] == secret and cert["spec"]["dnsNames"] == [expected_host]
        assert cert["spec"]["issuerRef"] == {"kind": "ClusterIssuer", "name": "lab-ca", "group": "cert-manager.io"}
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        if ep.sso == "oidc":
            assert redirect_patterns(clients[comp.name]) == [f"https://{expected_host}/*"]
            assert backend == {"name": ep.service, "port": {"number": ep.port}}
        elif ep.sso == "proxy":
            proxy = named(objects, "Application", backend["name"])
            args = proxy["spec"]["source"]["helm"]["valuesObject"]["extraArgs"]
            assert args["upstream"] == f"http://{ep.service}.{comp.namespace}.svc:{ep.port}"
            assert args["redirect-url"] == f"https://{expected_host}/oauth2/callback"
            assert proxy["spec"]["source"]["repoURL"] == "oci://registry.example.invalid/charts/oauth2-proxy"
            assert proxy["spec"]["destination"]["namespace"] == comp.namespace
            cid = comp.name if ep == next(e for e in comp.endpoints if e.expose) else f"{comp.name}-{ep.name}"
            assert cid in clients
            creds = named(objects, "ExternalSecret", backend["name"], comp.namespace)["spec"]
            assert creds["target"]["template"]["data"] == {"client-id": cid}  # the realm's client, by name
            assert {d["secretKey"] for d in creds["data"]} == {"client-secret", "cookie-secret"}
            assert {d["remoteRef"]["key"] for d in creds["data"]} == {f"lab/{env}/{comp.name}/oidc-client"}
    # client secrets come through placeholders from an ExternalSecret, never as literals
    for client in clients.values():
        assert client["secret"].startswith("${CLIENT_SECRET_")
    assert set(realm["spec"]["placeholders"]) == {c["secret"][2:-1] for c in clients.values()}
    issuers = {o["metadata"]["name"]: o["spec"] for o in of(objects, "ClusterIssuer")}
    assert issuers["lab-ca"] == {"ca": {"secretName": "lab-root-ca"}} and "selfSigned" in issuers["lab-selfsigned"]


@pytest.mark.parametrize("env", ENVS)
def test_every_credential_is_an_external_secret_and_no_secret_has_data(tree: Path, rendered: Rendered,
                                                                      env: str) -> None:
    objects = env_objects(tree, env)
    externals = {(o["metadata"]["namespace"], o["spec"]["target"]["name"]): o for o in of(objects, "ExternalSecret")}
    for planned in rendered.plans[env].components.values():
        for secret in planned.component.secrets:
            ext = externals[(planned.component.namespace, secret.name)]
            assert ext["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "lab-vault"}
            paths = {d["secretKey"]: d["remoteRef"]["key"] for d in ext["spec"]["data"]}
            own = [key for key in secret.keys if key not in secret.template]
            assert [k for k in paths if k in own] == own
            assert {paths[k] for k in own} <= {f"lab/{env}/{planned.name}/{secret.name}"}
            if secret.template:  # built from the tenant's own credentials: its Vault path, never another's
                assert set(ext["spec"]["target"]["template"]["data"]) == set(secret.keys)
                assert {p for k, p in paths.items() if k not in own} <= {
                    f"lab/{env}/{planned.name}/{store}" for store in ("postgresql", "minio")}
    for obj in objects:
        assert not (obj["kind"] == "Secret" and ({"data", "stringData"} & set(obj))), obj["metadata"]["name"]
    store = named(objects, "ClusterSecretStore", "lab-vault")["spec"]["provider"]["vault"]
    assert store["server"] == "http://vault.vault.svc:8200" and store["version"] == "v2"


def test_no_secret_material_in_any_file(rendered: Rendered) -> None:
    for rel, data in rendered.files.items():
        text = data.decode()
        assert "kind: Secret\n" not in text, rel
        assert "stringData" not in text, rel


@pytest.mark.parametrize("env", ENVS)
def test_applications_follow_the_plan(tree: Path, rendered: Rendered, config: Config, catalog: Catalog,
                                      env: str) -> None:
    objects = env_objects(tree, env)
    plan = rendered.plans[env]
    for planned in plan.components.values():
        comp = planned.component
        if comp.source.kind == "none":
            assert not [a for a in of(objects, "Application") if a["metadata"]["name"] == comp.name]
            continue
        app = named(objects, "Application", comp.name, "argocd")
        assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == str(planned.wave)
        spec = app["spec"]
        assert spec["project"] == f"lab-{comp.layer}"
        assert spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": comp.namespace}
        assert spec["source"]["targetRevision"] == planned.version
        assert spec["syncPolicy"]["automated"] == {"enabled": True, "prune": True, "selfHeal": True}
        assert spec["syncPolicy"]["retry"]["limit"] == config.sync.retries
        assert "CreateNamespace=false" in spec["syncPolicy"]["syncOptions"]
        if comp.source.kind == "helm":
            assert (spec["source"]["repoURL"], spec["source"]["chart"]) == (comp.source.repo, comp.source.chart)
        if comp.source.kind == "git":
            assert spec["source"]["path"] == comp.source.path and "helm" not in spec["source"]
    grafana = named(objects, "Application", "grafana")["spec"]["source"]
    expected = "grafana.lab.example.net" if env == "prod" else f"grafana.{env}.lab.example.net"
    assert grafana["helm"]["valuesObject"]["grafana.ini"]["server"]["root_url"] == f"https://{expected}"
    issuer = f"https://keycloak.{'' if env == 'prod' else env + '.'}lab.example.net/realms/lab"
    assert grafana["helm"]["valuesObject"]["grafana.ini"]["auth.generic_oauth"]["auth_url"].startswith(issuer)
    assert grafana["targetRevision"] == ("9.9.9" if env == "prod" else "1.0.0")
    assert grafana["helm"]["valuesObject"].get("env") == ("dev" if env == "dev" else None)  # overrides.values
    assert named(objects, "Application", "shop")["spec"]["source"]["helm"]["valuesObject"]["replicaCount"] == (
        2 if env == "dev" else 1)
    for project in of(objects, "AppProject"):
        layer = project["metadata"]["name"].removeprefix("lab-")
        members = [p.component for p in plan.components.values() if p.component.layer == layer]
        repos = {config.gitops.repo_url} | {c.source.repo for c in members if c.source.kind in ("helm", "git")}
        repos |= {f"{c.source.repo}/{c.source.chart}" for c in members if c.source.kind == "oci"}
        if any(e.sso == "proxy" and e.expose for c in members for e in c.endpoints):
            repos.add("oci://registry.example.invalid/charts/oauth2-proxy")
        assert set(project["spec"]["sourceRepos"]) == repos
        assert {d["namespace"] for d in project["spec"]["destinations"]} == {c.namespace for c in members}


def test_root_application_per_environment(tree: Path, config: Config) -> None:
    for env in ENVS:
        roots = [o for o in env_objects(tree, env) if o["kind"] == "Application"
                 and o["metadata"]["labels"]["app.kubernetes.io/component"] == "root-application"]
        assert len(roots) == 1, "the cluster stage expects exactly one root Application per environment"
        root = roots[0]
        assert root["metadata"]["name"] == f"lab-{env}"
        assert root["spec"]["source"] == {"repoURL": config.gitops.repo_url, "path": f"clusters/lab/{env}/gate",
                                          "targetRevision": "main"}
        assert root["metadata"]["labels"]["homelab.dev/env"] == env


@pytest.mark.parametrize("env", ENVS)
def test_labels_namespaces_policies_backups(tree: Path, rendered: Rendered, config: Config, env: str) -> None:
    objects = env_objects(tree, env)
    for obj in objects:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "homelab"
        assert labels["app.kubernetes.io/part-of"] == labels["homelab.dev/platform"] == "lab"
        assert labels["homelab.dev/env"] == env
        assert labels["app.kubernetes.io/name"] and labels["app.kubernetes.io/component"]
        assert int(obj["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) >= -10
    plan = rendered.plans[env]
    for ns in of(objects, "Namespace"):
        members = [p.component for p in plan.components.values() if p.component.namespace == ns["metadata"]["name"]]
        level = members[0].pod_security
        for mode in ("enforce", "audit", "warn"):
            assert ns["metadata"]["labels"][f"pod-security.kubernetes.io/{mode}"] == level
        if level != "restricted":
            assert members[0].pod_security_reason in ns["metadata"]["annotations"]["homelab.dev/pod-security-reason"]
    actions = {r["validate"]["failureAction"] for p in of(objects, "ClusterPolicy") for r in p["spec"]["rules"]}
    assert actions == {"Audit" if env == "dev" else "Enforce"}
    schedules = {s["spec"]["template"]["includedNamespaces"][0] for s in of(objects, "Schedule")}
    assert schedules == {p.component.namespace for p in plan.components.values()
                         if p.component.backup.method == "velero"}
    cluster = named(objects, "Cluster", "postgresql", "postgresql")
    assert "backup" not in cluster["spec"]  # the deprecated in-tree barmanObjectStore is gone
    assert cluster["spec"]["plugins"] == [{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": True,
                                           "parameters": {"barmanObjectName": "postgresql-backup"}}]
    store = named(objects, "ObjectStore", "postgresql-backup", "postgresql")["spec"]["configuration"]
    assert store["destinationPath"] == "s3://postgresql/"  # the cluster's own bucket on the planned store
    assert store["endpointURL"] == "http://minio.minio.svc:9000"
    assert {e["spec"]["target"]["name"] for e in of(objects, "ExternalSecret")
            if e["metadata"]["namespace"] == "postgresql"} >= {"barman-s3"}
    scheduled = named(objects, "ScheduledBackup", "postgresql")["spec"]
    assert scheduled["cluster"] == {"name": "postgresql"} and scheduled["method"] == "plugin"
    location = named(objects, "BackupStorageLocation", "default", "velero")["spec"]
    assert location["config"]["s3Url"] == "http://minio.minio.svc:9000"
    assert location["objectStorage"]["bucket"] == "velero"
    buckets = named(objects, "Application", "minio")["spec"]["source"]["helm"]["valuesObject"]["buckets"]
    assert {b["name"] for b in buckets} == {"velero", "postgresql"}
    # each SQL consumer has a database and a role of its own
    assert {d["spec"]["owner"] for d in of(objects, "Database")} == {"keycloak", "shop"}
    assert {r["name"] for r in cluster["spec"]["managed"]["roles"]} == {"keycloak", "shop"}
    pool = named(objects, "IPAddressPool", "lab-pool")
    assert pool["spec"]["addresses"] == config.cluster.load_balancer.addresses  # type: ignore[union-attr]
    monitors = {m["metadata"]["name"] for m in of(objects, "ServiceMonitor")}
    assert monitors == {p.name for p in plan.components.values() if p.component.metrics}
