"""Validator on a small hand-written tree: clean when right, and each broken field is caught."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests import needs

from homelab.validate import validate_tree
from homelab.validate.schemas import CrdSchemas

REPO = "https://git.example.net/lab.git"


def objects() -> dict[str, list[dict[str, Any]]]:
    labels = {"app.kubernetes.io/managed-by": "homelab", "pod-security.kubernetes.io/enforce": "restricted"}
    return {
        "namespace.yaml": [{"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": "web", "labels": labels}}],
        "netpol.yaml": [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                         "metadata": {"name": "default-deny", "namespace": "web"},
                         "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}],
        "deployment.yaml": [{"apiVersion": "apps/v1", "kind": "Deployment",
                             "metadata": {"name": "web", "namespace": "web"},
                             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                                      "template": {"metadata": {"labels": {"app": "web"}},
                                                   "spec": {"containers": [{
                                                       "name": "web", "image": "nginx:1.27.3",
                                                       "resources": {"requests": {"cpu": "50m",
                                                                                  "memory": "64Mi"}}}]}}}}],
        "application.yaml": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                              "metadata": {"name": "grafana", "namespace": "argocd"},
                              "spec": {"project": "application",
                                       "source": {"repoURL": "https://grafana.github.io/helm-charts",
                                                  "chart": "grafana", "targetRevision": "10.1.4"},
                                       "destination": {"server": "https://kubernetes.default.svc",
                                                       "namespace": "web"}}},
                             {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                              "metadata": {"name": "root", "namespace": "argocd"},
                              "spec": {"project": "default",
                                       "source": {"repoURL": REPO, "path": "dev", "targetRevision": "main"},
                                       "destination": {"server": "https://kubernetes.default.svc",
                                                       "namespace": "argocd"}}}],
        "externalsecret.yaml": [{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                                 "metadata": {"name": "web", "namespace": "web"},
                                 "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
                                          "target": {"name": "web"},
                                          "data": [{"secretKey": "password",
                                                    "remoteRef": {"key": "lab/dev/web", "property": "password"}}]}}],
        "ingress.yaml": [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                          "metadata": {"name": "web", "namespace": "web"},
                          "spec": {"tls": [{"hosts": ["web.dev.lab.example.net"], "secretName": "web-tls"}],
                                   "rules": [{"host": "web.dev.lab.example.net"}]}}],
    }


def write(tree: Path, docs: dict[str, list[dict[str, Any]]]) -> Path:
    env = tree / "dev"
    env.mkdir(parents=True, exist_ok=True)
    for name, items in docs.items():
        (env / name).write_text(yaml.safe_dump_all(items, sort_keys=True))
    (env / "kustomization.yaml").write_text(yaml.safe_dump({"resources": sorted(docs)}))
    return tree


def run(tree: Path, crds: CrdSchemas, build: bool = False):  # type: ignore[no-untyped-def]
    return validate_tree(tree, "1.33", crds, gitops_repo=REPO, build=build)


def test_clean_tree_has_no_findings(tmp_path: Path, crds: CrdSchemas) -> None:
    report = run(write(tmp_path, objects()), crds, build=bool(shutil.which("kubectl")))
    assert report.findings == []
    assert report.objects == 7 and not report.unverified


def _set(file: str, index: int, path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(docs: dict[str, Any]) -> None:
        target = docs[file][index]
        for part in path[:-1]:
            target = target[part]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


DELETE = object()
MUTATIONS = {
    "wrong type (core)": (_set("deployment.yaml", 0, ["spec", "replicas"], "two"), "schema", "$.spec.replicas"),
    "wrong type (CRD)": (_set("application.yaml", 0, ["spec", "source", "chart"], 7), "schema",
                         "$.spec.source.chart"),
    "missing required (CRD)": (_set("application.yaml", 0, ["spec", "destination"], DELETE), "schema", "$.spec"),
    "missing required (core)": (_set("deployment.yaml", 0, ["spec", "selector"], DELETE), "schema", "$.spec"),
    "unknown field (CRD)": (_set("externalsecret.yaml", 0, ["spec", "refreshIntervall"], "1h"), "schema", "$.spec"),
    "unknown apiVersion (CRD group)": (_set("application.yaml", 0, ["apiVersion"], "argoproj.io/v1alpha9"),
                                       "schema", "$.apiVersion"),
    "unknown apiVersion (core)": (_set("deployment.yaml", 0, ["apiVersion"], "apps/v2"), "schema", "$.apiVersion"),
    "unpinned image": (_set("deployment.yaml", 0, ["spec", "template", "spec", "containers", 0, "image"],
                            "nginx:latest"), "images-pinned", "containers[0].image"),
    "untagged image": (_set("deployment.yaml", 0, ["spec", "template", "spec", "containers", 0, "image"], "nginx"),
                       "images-pinned", "containers[0].image"),
    "no requests": (_set("deployment.yaml", 0, ["spec", "template", "spec", "containers", 0, "resources"], {}),
                    "requests-set", "resources.requests"),
    "no PSA label": (_set("namespace.yaml", 0, ["metadata", "labels"], {"a": "b"}), "pod-security-labels",
                     "$.metadata.labels"),
    "literal secret": (lambda d: d.update(secret=[{"apiVersion": "v1", "kind": "Secret",
                                                   "metadata": {"name": "x", "namespace": "web"},
                                                   "stringData": {"password": "hunter2"}}]),
                       "no-secret-data", "$.stringData"),
    "no default deny": (lambda d: d.pop("netpol.yaml"), "default-deny", "$.metadata.name"),
    "ingress without TLS": (_set("ingress.yaml", 0, ["spec", "tls"], []), "tls-everywhere", "rules[0].host"),
    "chart range": (_set("application.yaml", 0, ["spec", "source", "targetRevision"], "10.x"),
                    "applications-pinned", "targetRevision"),
    "chart on HEAD": (_set("application.yaml", 0, ["spec", "source", "targetRevision"], "HEAD"),
                      "applications-pinned", "targetRevision"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_mutation_is_caught(name: str, tmp_path: Path, crds: CrdSchemas) -> None:
    mutate, rule, path = MUTATIONS[name]
    docs = copy.deepcopy(objects())
    mutate(docs)
    docs = {k if k.endswith(".yaml") else f"{k}.yaml": v for k, v in docs.items()}
    report = run(write(tmp_path, docs), crds)
    hits = [f for f in report.findings if f.rule == rule and path in f.path]
    assert hits, [f"{f.rule} {f.path} {f.message}" for f in report.findings]
    assert all(f.file.startswith("dev/") and f.fix for f in hits)


def test_custom_kind_without_crd_is_unverified_not_passed(tmp_path: Path, crds: CrdSchemas) -> None:
    docs = objects()  # an invented kind: no CRD anywhere serves it, so nothing can vouch for it
    docs["widget.yaml"] = [{"apiVersion": "widgets.example.invalid/v1", "kind": "Widget",
                            "metadata": {"name": "w", "namespace": "web"}}]
    report = run(write(tmp_path, docs), crds)
    assert report.unverified == {"widgets.example.invalid/v1 Widget": 1}


def test_overlay_that_does_not_build_is_a_finding(tmp_path: Path, crds: CrdSchemas) -> None:
    needs.kustomize()
    tree = write(tmp_path, objects())
    (tree / "dev" / "kustomization.yaml").write_text(yaml.safe_dump({"resources": ["missing.yaml"]}))
    report = run(tree, crds, build=True)
    assert [f.rule for f in report.findings] == ["kustomize"]
    assert report.findings[0].file == "dev/kustomization.yaml"


def test_yaml_syntax_error_is_a_finding(tmp_path: Path, crds: CrdSchemas) -> None:
    tree = write(tmp_path, objects())
    (tree / "dev" / "broken.yaml").write_text("kind: [unclosed\n")
    report = run(tree, crds)
    assert [(f.rule, f.file) for f in report.findings] == [("yaml", "dev/broken.yaml")]


def test_crds_read_from_a_live_cluster_validate_custom_kinds(tmp_path: Path, crds_dir: Path) -> None:
    """The cluster's own CRDs (listed through the cluster client, here a faked API server) are the schema."""
    from tests.cluster.fakeapi import FakeAPI

    from homelab.cli.validate_cmd import cluster_crds
    from homelab.validate import crds_for

    api = FakeAPI()
    api.add(*[d for d in yaml.safe_load_all((crds_dir / "argo-cd" / "application-crd.yaml").read_text()) if d])
    live = cluster_crds(api.kube(tmp_path))
    assert [c["metadata"]["name"] for c in live] == ["applications.argoproj.io"]
    docs = objects()
    docs["application.yaml"][0]["spec"]["project"] = 7
    report = validate_tree(write(tmp_path / "tree", docs), "1.33", crds_for(None, live), gitops_repo=REPO,
                           build=False)
    assert [(f.rule, f.path) for f in report.findings] == [("schema", "$.spec.project")]
    assert "external-secrets.io/v1 ExternalSecret" in report.unverified  # not served by that cluster


def test_cached_build_is_rebuilt_when_any_input_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from homelab.validate import kustomize

    command = needs.kustomize()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tree = write(tmp_path / "tree", objects())
    [root] = kustomize.roots(tree)
    first, error = kustomize.build_cached(root, command)
    assert error is None and len(first) == 7
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1
    deployment = tree / "dev" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("replicas: 1", "replicas: 3"))
    second, _ = kustomize.build_cached(root, command)
    assert next(o for o in second if o["kind"] == "Deployment")["spec"]["replicas"] == 3
    third, _ = kustomize.build_cached(root, command)  # unchanged now: from the cache, same objects
    assert third == second and len(list((tmp_path / "cache").rglob("*.json"))) == 2
