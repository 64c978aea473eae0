"""Platform checks: minimal, standard and full on the built-in hardware have zero findings, and each rule
catches a real render broken the way issue 13 describes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.profiles import PROFILES, config_for
from tests.tree import holding

from homelab.catalog import load_catalog
from homelab.validate import platform
from homelab.validate.findings import Finding


def findings(tree: Path, profile: str, envs: list[str] | None = None) -> list[Finding]:
    return platform.check(tree, config_for(profile), load_catalog(), envs)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_has_zero_platform_findings(trees: dict[str, Path], profile: str) -> None:
    found = findings(trees[profile], profile)
    assert found == [], "\n".join(f"{f.rule} {f.file} {f.message}" for f in found)


def _copy(tree: Path, tmp_path: Path) -> Path:
    out = tmp_path / "tree"
    shutil.copytree(tree, out)
    return out


def _edit(tree: Path, file: str, change: Callable[[list[dict[str, Any]]], None]) -> None:
    path = tree / file
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    change(docs)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def _doc(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def _drop_rules_with_port(port: int) -> Callable[[list[dict[str, Any]]], None]:
    def change(docs: list[dict[str, Any]]) -> None:
        spec = _doc(docs, "NetworkPolicy", "allow")["spec"]
        for direction in ("ingress", "egress"):
            if direction in spec:
                spec[direction] = [r for r in spec[direction]
                                   if port not in {p.get("port") for p in r.get("ports", [])}]
    return change


def _retarget_wave(kind: str) -> Callable[[list[dict[str, Any]]], None]:
    def change(docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            if doc["kind"] == kind:
                doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = "0"
    return change


def _values(name: str, change: Callable[[dict[str, Any]], None]) -> Callable[[list[dict[str, Any]]], None]:
    def edit(docs: list[dict[str, Any]]) -> None:
        change(_doc(docs, "Application", name)["spec"]["source"]["helm"]["valuesObject"])
    return edit


def _fluentd_output(values: dict[str, Any]) -> None:
    values["config"]["outputs"] = "[OUTPUT]\n    Name forward\n    Host fluentd.fluentd.svc\n    Port 24224\n"


def _grafana_sso(values: dict[str, Any]) -> None:
    values["grafana.ini"]["auth.generic_oauth"] = {"enabled": True, "client_id": "grafana", "auth_url": "/auth"}


def _unlabel(docs: list[dict[str, Any]]) -> None:
    namespace = _doc(docs, "Namespace", "gitea")
    namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "restricted"


def _root_container(docs: list[dict[str, Any]]) -> None:
    spec = _doc(docs, "Deployment", "request-path-app")["spec"]["template"]["spec"]
    spec["securityContext"]["runAsNonRoot"] = False


def _forbid_kube_system(docs: list[dict[str, Any]]) -> None:
    project = _doc(docs, "AppProject", "homelab-application")
    project["spec"]["destinations"] = [d for d in project["spec"]["destinations"] if d["namespace"] != "kube-system"]


# Where a change is made: a file of our manifests, or (component, kind, name, field) found with `holding`.
Where = str | tuple[str, str, str, tuple[str, ...]]
INGRESS = ("spec", "ingress")
EGRESS = ("spec", "egress")
VALUES = ("spec", "source", "helm", "valuesObject")

# rule -> (profile, where, change, the finding's rule, a word of its message): each is one of issue 13's items
BROKEN: dict[str, tuple[str, Where, Callable[[list[dict[str, Any]]], None], str, str]] = {
    "kyverno webhook unreachable (2)": ("standard", ("kyverno", "NetworkPolicy", "allow", INGRESS),
                                        _drop_rules_with_port(9443), "webhook-reachable", "kyverno"),
    "operator cannot reach instances (5)": ("standard", ("cnpg-system", "NetworkPolicy", "allow", EGRESS),
                                            _drop_rules_with_port(8000), "operator-reaches-operands", "8000"),
    "project forbids kube-system (6)": ("standard", ("argocd", "AppProject", "homelab-application",
                                                     ("spec", "destinations")),
                                        _forbid_kube_system, "project-destinations", "kube-system"),
    "CR before its CRD (wave)": ("standard", ("postgresql", "ScheduledBackup", "postgresql",
                                              ("metadata", "annotations")),
                                 _retarget_wave("ScheduledBackup"), "crd-first", "ScheduledBackup"),
    "restricted label on baseline pods (7)": ("standard", ("gitea", "Namespace", "gitea", ("metadata", "labels")),
                                              _unlabel, "pod-security", "gitea"),
    "our manifest breaks restricted (7)": ("standard", "manifests/request-path-app/web.yaml", _root_container,
                                           "pod-security", "runAsNonRoot"),
    "fluent-bit forwards to no fluentd (8)": ("standard", ("fluent-bit", "Application", "fluent-bit", VALUES),
                                              _values("fluent-bit", _fluentd_output), "dangling-consumer", "fluentd"),
    "grafana SSO without a provider (8)": ("minimal", ("grafana", "Application", "grafana", VALUES),
                                           _values("grafana", _grafana_sso), "dangling-consumer", "grafana"),
}


def _file(tree: Path, where: Where) -> str:
    return where if isinstance(where, str) else holding(tree, *where)


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_rule_catches_a_broken_render(trees: dict[str, Path], tmp_path: Path, case: str) -> None:
    profile, where, change, rule, word = BROKEN[case]
    tree = _copy(trees[profile], tmp_path)
    _edit(tree, _file(tree, where), change)
    found = [f for f in findings(tree, profile, ["dev"]) if f.rule == rule]
    assert found and any(word in f.message for f in found), [f.message for f in found]
    assert all(f.fix and f.file for f in found)
    # each names the file its object is written in (a component's folder, our manifests), not the overlay's root
    assert all(f.file.endswith(".yaml") and not f.file.startswith("dev/") for f in found), [f.file for f in found]


def test_api_unreachable_when_the_cni_values_lose_node_matching(trees: dict[str, Path], tmp_path: Path) -> None:
    """Item 1: under Cilium, ipBlock reaches the API server on a node only with policyCIDRMatchMode: nodes."""
    tree = _copy(trees["standard"], tmp_path)
    values = tree / "bootstrap" / "dev" / "cilium.values.yaml"
    body = yaml.safe_load(values.read_text())
    assert body["policyCIDRMatchMode"] == ["nodes"]
    del body["policyCIDRMatchMode"]
    values.write_text(yaml.safe_dump(body))
    found = findings(tree, "standard", ["dev"])
    api = [f for f in found if f.rule == "api-reachable"]
    names = {f.message.split(" in ")[0].removeprefix("dev: ") for f in api}
    assert names >= {"prometheus", "cloudnative-pg", "kyverno"}
    # the webhooks (ingress from the API server on other nodes) go with it
    assert any(f.rule == "webhook-reachable" for f in found)


def test_api_unreachable_without_the_api_port(trees: dict[str, Path], tmp_path: Path) -> None:
    tree = _copy(trees["minimal"], tmp_path)
    _edit(tree, holding(tree, "cert-manager", "NetworkPolicy", "allow", EGRESS), _drop_rules_with_port(6443))
    assert any(f.rule == "api-reachable" and "cert-manager" in f.message for f in findings(tree, "minimal", ["dev"]))
