"""dev and staging as prefixed namespaces on prod's cluster (src/homelab/examples/shared-cluster.yaml): the tree
renders, validates clean, writes no object twice, and the collision check catches a tree that does."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from homelab import config as config_module
from homelab.catalog import load_catalog
from homelab.config import Config
from homelab.render import Rendered, env_objects, render_tree, write_tree
from homelab.validate import platform, validate_tree
from homelab.validate.schemas import CrdSchemas

EXAMPLE = resources.files("homelab").joinpath("examples/shared-cluster.yaml")
CLUSTER_SCOPED_OF_THE_HOST = {"ClusterIssuer", "ClusterSecretStore", "ClusterPolicy", "IPAddressPool",
                              "L2Advertisement", "GatewayClass"}


@pytest.fixture(scope="module")
def config() -> Config:
    return config_module.parse_config(config_module.yamlsrc.parse(EXAMPLE.read_text(), "shared-cluster.yaml"))


@pytest.fixture(scope="module")
def rendered(config: Config) -> Rendered:
    return render_tree(config, load_catalog())


@pytest.fixture(scope="module")
def tree(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shared") / "out"
    write_tree(rendered, out)
    return out


def objects(tree: Path, env: str) -> list[dict[str, Any]]:
    return env_objects(tree, env)


def test_the_tree_validates_clean(tree: Path, config: Config, crds: CrdSchemas) -> None:
    report = validate_tree(tree, config.cluster.kubernetes.version, crds, config.gitops.repo_url,
                           build=bool(shutil.which("kubectl") or shutil.which("kustomize")))
    assert [(f.rule, f.file, f.message) for f in report.findings] == []
    assert [(f.rule, f.message) for f in platform.check(tree, config, load_catalog())] == []


def test_a_guest_writes_only_its_own_namespaces_and_names(tree: Path, config: Config) -> None:
    prod = {o["metadata"]["namespace"] for o in objects(tree, "prod") if o["metadata"].get("namespace")}
    for env in ("dev", "staging"):
        mine = objects(tree, env)
        namespaces = [o["metadata"]["name"] for o in mine if o["kind"] == "Namespace"]
        assert namespaces and all(ns.startswith(f"{env}-") for ns in namespaces), namespaces
        # cluster-wide objects are the host's; a guest's own ClusterPolicies (dev audits: see below) are named apart
        assert not [o for o in mine if o["kind"] in CLUSTER_SCOPED_OF_THE_HOST and not (
            o["kind"] == "ClusterPolicy" and o["metadata"]["name"].startswith(f"{env}-homelab-"))]
        for obj in mine:
            ns, name = obj["metadata"].get("namespace"), obj["metadata"]["name"]
            # in the host's namespaces (argocd, velero, a store's) only under its prefix; the gate's root is its own
            assert ns is None or ns.startswith(f"{env}-") or name.startswith((f"{env}-", f"homelab-{env}")), \
                (obj["kind"], ns, name)
            assert ns is None or ns.startswith(f"{env}-") or ns in prod, (obj["kind"], ns, name)
        apps = {o["metadata"]["name"]: o for o in mine if o["kind"] == "Application"}
        assert apps[f"{env}-mlflow"]["spec"]["destination"]["namespace"] == f"{env}-mlflow"
        assert apps[f"{env}-mlflow"]["spec"]["project"] == f"homelab-{env}-development"
        assert "cert-manager" not in apps and f"{env}-cert-manager" not in apps  # the host's, used across namespaces


def test_wiring_follows_the_prefixed_namespaces(tree: Path) -> None:
    dev = objects(tree, "dev")
    mlflow = next(o for o in dev if o["kind"] == "Application" and o["metadata"]["name"] == "dev-mlflow")
    text = yaml.safe_dump(mlflow)
    assert "postgresql-rw.dev-postgresql.svc" in text and "bucket: dev-mlflow" in text
    # the host's object store gives dev's mlflow a bucket and an identity of its own, named by prefix
    seaweedfs = next(o for o in objects(tree, "prod") if o["kind"] == "Application"
                     and o["metadata"]["name"] == "seaweedfs")
    assert "dev-mlflow" in yaml.safe_dump(seaweedfs)
    # policies add up: the host's store admits dev's namespaces through a policy dev writes beside prod's
    policy = next(o for o in dev if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "seaweedfs")
    assert policy["metadata"]["name"] == "dev-allow" and "dev-mlflow" in yaml.safe_dump(policy)
    # dev's UIs log in to a realm of its own on prod's Keycloak (whose operator watches only its own namespace)
    realm = next(o for o in dev if o["kind"] == "KeycloakRealmImport")
    assert (realm["metadata"]["namespace"], realm["spec"]["realm"]["realm"]) == ("keycloak", "homelab-dev")
    assert "https://auth.home.example.net/realms/homelab-dev" in text.replace("\n", "") or \
        "https://auth.home.example.net/realms/homelab-dev" in yaml.safe_dump(dev)
    # dev's own namespaces admit the host's operator and Prometheus, and reach the host's store, by their names
    pg = yaml.safe_dump([o for o in dev if o["kind"] == "NetworkPolicy"
                         and o["metadata"]["namespace"] == "dev-postgresql"])
    assert all(ns in pg for ns in ("cnpg-system", "monitoring", "seaweedfs", "dev-mlflow"))


def test_the_collision_check_fails_a_guest_writing_the_hosts_names(tree: Path, config: Config,
                                                                   tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tree, broken)
    for name in ("application.yaml", "namespace.yaml"):
        path = broken / "development" / "mlflow" / "dev" / name
        path.write_text(path.read_text().replace("  name: dev-mlflow\n", "  name: mlflow\n"))
    found = [f for f in platform.check(broken, config, load_catalog()) if f.rule == "one-cluster-names"]
    assert [(f.file, f.message) for f in found] == [
        ("development/mlflow/dev/namespace.yaml",
         "dev: Namespace mlflow (cluster-scoped) is also prod's, on the cluster prod, dev, staging share"),
        ("development/mlflow/dev/application.yaml",
         "dev: Application argocd/mlflow is also prod's, on the cluster prod, dev, staging share")]


def test_the_hosts_policies_exempt_its_guests_privileged_namespaces(config: Config) -> None:
    """One Kyverno, one set of ClusterPolicies: prod's must let dev's SonarQube (privileged) run in dev-sonarqube."""
    from homelab.render.pipeline import render_env

    with_sonarqube = config.model_copy(update={"add": ["sonarqube"]})
    _, objects = render_env(with_sonarqube, load_catalog(), "prod")
    policy = next(o.body for o in objects if o.kind == "ClusterPolicy" and o.name == "homelab-baseline-pod-security")
    excluded = yaml.safe_dump(policy["spec"]["rules"][0]["exclude"])
    assert all(f"- {ns}\n" in excluded for ns in ("sonarqube", "dev-sonarqube", "staging-sonarqube")), excluded


def test_a_dev_guest_audits_beside_a_host_that_enforces(tree: Path) -> None:
    """One Kyverno: prod's policies (Enforce) leave dev's namespaces to dev's own set (Audit, matching only them);
    staging enforces like its host, so prod's cover it and it writes none."""
    from homelab.validate import kyverno

    def policies(env: str) -> dict[str, dict[str, Any]]:
        return {o["metadata"]["name"]: o for o in objects(tree, env) if o["kind"] == "ClusterPolicy"}

    dev_namespaces = {o["metadata"]["name"] for o in objects(tree, "dev") if o["kind"] == "Namespace"}
    assert dev_namespaces and all(ns.startswith("dev-") for ns in dev_namespaces)
    assert policies("staging") == {}
    prod, dev = policies("prod"), policies("dev")
    assert set(dev) == {f"dev-{name}" for name in prod} and len(dev) == 3
    latest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ""},
              "spec": {"containers": [{"name": "c", "image": "nginx:latest",
                                       "resources": {"requests": {"cpu": "1", "memory": "1Mi"}}}]}}

    def refused(policy: dict[str, Any], namespace: str) -> set[str]:
        pod = {**latest, "metadata": {"name": "p", "namespace": namespace}}
        return {r.action for r in kyverno.rejections(policy, pod, None)}

    ns = sorted(dev_namespaces)[0]
    pins = "pin-images"
    assert refused(prod[f"homelab-{pins}"], ns) == set(), "the host's Enforce leaves dev's namespaces alone"
    assert refused(dev[f"dev-homelab-{pins}"], ns) == {"Audit"}
    assert refused(prod[f"homelab-{pins}"], "staging-postgresql") == {"Enforce"}
    assert refused(dev[f"dev-homelab-{pins}"], "staging-postgresql") == set(), "dev's set holds only in dev's"
