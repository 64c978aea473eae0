"""The real thing: the built-in `full` example rendered for dev, staging and prod validates clean
against the upstream CRDs, and breaking one field of a rendered file at a time is always caught."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from homelab.catalog import load_catalog
from homelab.config import Config, builtin_text
from homelab.render import render_tree, write_tree
from homelab.validate import Report, validate_tree
from homelab.validate.schemas import CrdSchemas

CONFIG = Config.model_validate(yaml.safe_load(builtin_text()))
BUILD = bool(shutil.which("kubectl") or shutil.which("kustomize"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("full") / "out"
    write_tree(render_tree(CONFIG, load_catalog()), tree)
    return tree


def run(tree: Path, crds: CrdSchemas, build: bool = BUILD) -> Report:
    return validate_tree(tree, CONFIG.cluster.kubernetes.version, crds, CONFIG.gitops.repo_url, build=build)


def test_full_profile_in_every_environment_has_zero_findings(rendered: Path, crds: CrdSchemas) -> None:
    assert sorted(p.name for p in rendered.iterdir() if p.is_dir()) == [
        "application", "backup", "bootstrap", "data", "dev", "development", "docs", "infrastructure", "manifests",
        "platform", "prod", "staging"]
    report = run(rendered, crds)
    assert report.findings == [], "\n".join(f"{f.file}#{f.index} {f.path}: {f.message}" for f in report.findings)
    assert report.objects > 1000
    # kinds without an upstream CRD at hand are listed, not passed silently
    assert all(" " in key for key in report.unverified)


def test_without_kustomize_rewritten_folders_are_skipped_with_the_reason_not_misreported(
        rendered: Path, crds: CrdSchemas, monkeypatch: pytest.MonkeyPatch) -> None:
    """No kubectl or kustomize: files whose kustomization sets their selectors or images are not checked as
    written (they would fail for what kustomize adds), and the report says which and how to check them."""
    from homelab.validate import kustomize

    monkeypatch.setattr(kustomize, "kustomize_command", lambda: None)
    report = run(rendered, crds, build=True)
    assert report.findings == [], "\n".join(f"{f.file} {f.path}: {f.message}" for f in report.findings)
    skipped = [n for n in report.notes if "files not checked" in n]
    assert any(n.startswith("manifests/memcached:") and "labels.includeSelectors" in n for n in skipped), skipped
    assert all("install kubectl or kustomize" in n for n in skipped)


def _edit(rendered: Path, tmp_path: Path, changes: dict[str, list[Callable[[list[dict[str, Any]]], None]]]) -> Path:
    """A copy of the tree with each file's changes made."""
    tree = tmp_path / "tree"
    shutil.copytree(rendered, tree)
    for file, edits in changes.items():
        path = tree / file
        docs = list(yaml.safe_load_all(path.read_text()))
        for change in edits:
            change(docs)
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return tree


def _first(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(d for d in docs if d and d.get("kind") == kind)


GRAFANA = "application/grafana/base/"
MUTATIONS: dict[str, tuple[str, Callable[[list[dict[str, Any]]], None], str, str]] = {
    "wrong type": (GRAFANA + "application.yaml",
                   lambda docs: _first(docs, "Application")["spec"].__setitem__("project", 42),
                   "schema", "$.spec.project"),
    "missing required field": (GRAFANA + "application.yaml",
                               lambda docs: _first(docs, "Application")["spec"].pop("destination"),
                               "schema", "$.spec"),
    "unknown apiVersion": (GRAFANA + "network-policy.yaml",
                           lambda docs: _first(docs, "NetworkPolicy").__setitem__("apiVersion",
                                                                                   "networking.k8s.io/v2"),
                           "schema", "$.apiVersion"),
    "unknown field in a CRD kind": (GRAFANA + "external-secret.yaml",
                                    lambda docs: _first(docs, "ExternalSecret")["spec"].__setitem__("refreshIntervall",
                                                                                                     "1h"),
                                    "schema", "$.spec"),
    "unpinned image": ("manifests/request-path-app/web.yaml",
                       lambda docs: _first(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
                       .__setitem__("image", "busybox"), "images-pinned", ".image"),
    "chart not pinned": (GRAFANA + "application.yaml",
                         lambda docs: _first(docs, "Application")["spec"]["source"].__setitem__("targetRevision",
                                                                                                "HEAD"),
                         "applications-pinned", "targetRevision"),
}


@pytest.fixture(scope="module")
def broken(rendered: Path, tmp_path_factory: pytest.TempPathFactory, crds: CrdSchemas) -> Report:
    """The tree with every mutation made at once (each breaks another field, so none hides another), validated
    once: a full validation per mutation cost minutes of the suite."""
    changes: dict[str, list[Callable[[list[dict[str, Any]]], None]]] = {}
    for file, change, _, _ in MUTATIONS.values():
        if not (rendered / file).is_file():
            pytest.fail(f"the rendered tree no longer has {file}; update this test to a file it has")
        changes.setdefault(file, []).append(change)
    return run(_edit(rendered, tmp_path_factory.mktemp("broken"), changes), crds)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_one_broken_field_is_caught(name: str, broken: Report) -> None:
    file, _, rule, path = MUTATIONS[name]
    # a JSON path names the field exactly (the missing `destination` is reported at $.spec, beside $.spec.project)
    hits = [f for f in broken.findings if f.rule == rule and f.file == file
            and (f.path == path if path.startswith("$") else path in f.path)]
    assert hits, [f"{f.rule} {f.file} {f.path} {f.message}" for f in broken.findings]


def test_each_broken_field_is_the_only_finding_of_its_kind(broken: Report) -> None:
    """Nothing else in the tree is found: every finding is one of the mutations' (rule, file)."""
    made = {(rule, file) for file, _, rule, _ in MUTATIONS.values()}
    assert {(f.rule, f.file) for f in broken.findings} <= made, [(f.rule, f.file) for f in broken.findings]
