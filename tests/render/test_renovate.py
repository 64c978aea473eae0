"""Renovate itself (the npm package pinned in package.json) run on the rendered built-in example: its config
validator accepts renovate.json, and every chart pin and image tag render writes is a dependency Renovate finds,
with the datasource, name, registry and version written there, on the branch only dev follows.

Renovate runs once for the module, offline: `--platform=local --dry-run=lookup` with every host disabled
(`hostRules: [{enabled: false}]`), so it extracts and applies the config's rules (ignored, disabled) and each
lookup fails at once instead of reaching the network."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.needs import missing
from tests.profiles import config_for

from homelab.catalog import load_catalog
from homelab.render import render_tree, write_tree

BIN = Path(__file__).resolve().parents[2] / ".ci" / "renovate" / "node_modules" / ".bin"
Pin = tuple[str, str, str, str, str]  # file, datasource, depName, registry URL ("" when none), version
ANNOTATION = re.compile(r"^\s*# renovate: (.+)$")
URL_VERSION = re.compile(r"^\s*- https://\S+?/(v?\d+\.\d+[^/\s]*)/")
IMAGE_LINE = re.compile(r"^\s*image: (\S+):([^\s:/]+)$")
CONFIG = config_for("full")  # the built-in example: what `homelab render` writes without a homelab.yaml


def _renovate(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else missing(
        f"{path} is not installed (npm ci in .ci/renovate: its package.json pins renovate)")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("renovate") / "repo"
    write_tree(render_tree(CONFIG, load_catalog()), out)
    git = ["git", "-C", str(out), "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "rendered"]):  # Renovate lists files with git
        subprocess.run(git + args, check=True)
    return out


@pytest.fixture(scope="module")
def log(tree: Path) -> list[dict[str, Any]]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tree.parent), "LOG_FORMAT": "json", "LOG_LEVEL": "debug",
           "RENOVATE_BASE_DIR": str(tree.parent / "renovate-base"), "RENOVATE_HOST_RULES": '[{"enabled": false}]'}
    run = subprocess.run([_renovate("renovate"), "--platform=local", "--dry-run=lookup"], cwd=tree, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def found(log: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Every dependency Renovate found, by the file it is written in."""
    refused = [rec["error"]["validationMessage"] for rec in log if rec["msg"] == "Repository has invalid config"]
    assert not refused, f"Renovate refused renovate.json: {refused}"
    (files,) = [rec["config"] for rec in log if rec["msg"] == "packageFiles with updates"]
    deps: dict[str, list[dict[str, Any]]] = {}
    for manager in files.values():  # one file may be read by several managers
        for f in manager:
            deps.setdefault(f["packageFile"], []).extend(f["deps"])
    return deps


def _docs(tree: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(tree.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict):
                yield path.relative_to(tree).as_posix(), doc


def _images(rel: str, node: object) -> Iterator[tuple[str, str, str]]:
    """(file, image, tag) of every `image: name:tag` and `image: {repository, tag}`: Helm values, pods, patches."""
    if isinstance(node, list):
        for item in node:
            yield from _images(rel, item)
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "image" and isinstance(value, str) and IMAGE_LINE.match(f"image: {value}"):
            name, tag = IMAGE_LINE.match(f"image: {value}").groups()  # type: ignore[union-attr]
            yield rel, name, tag
        elif key == "patch" and isinstance(value, str):  # a kustomize patch inline in an Application
            yield from _images(rel, yaml.safe_load(value))
        elif key == "image" and isinstance(value, dict) and "tag" in value:
            yield rel, value.get("repository", ""), str(value["tag"])
        else:
            yield from _images(rel, value)


def _written(tree: Path) -> tuple[set[Pin], set[str]]:
    """The pins render wrote, read from the tree without Renovate; and the files of the GitOps repo's sources."""
    pins: set[Pin] = set()
    own: set[str] = set()
    retagged = {(rel.rsplit("/", 1)[0], i["name"]) for rel, doc in _docs(tree) if doc.get("kind") == "Kustomization"
                for i in doc.get("images") or []}
    for rel, doc in _docs(tree):
        if doc.get("kind") == "Application":
            spec = doc.get("spec") or {}
            for src in [spec.get("source") or {}, *(spec.get("sources") or [])]:
                repo, version = src.get("repoURL"), src.get("targetRevision")
                if not repo or not version:
                    continue
                if repo == CONFIG.gitops.repo_url:
                    own.add(rel)
                elif "chart" in src and repo.startswith("https://"):
                    pins.add((rel, "helm", src["chart"], repo.rstrip("/"), version))
                elif "chart" in src or repo.startswith("oci://"):
                    name = repo.removeprefix("oci://") + (f"/{src['chart']}" if "chart" in src else "")
                    pins.add((rel, "docker", name, "", version))
                else:
                    pins.add((rel, "git-tags", repo, "", version))
        if doc.get("kind") == "Kustomization":
            pins |= {(rel, "docker", i.get("newName", i["name"]), "", str(i["newTag"])) for i in doc.get("images") or []
                     if "newTag" in i}
        if rel.startswith("bootstrap/") and rel.endswith("/steps.yaml"):
            pins |= {(rel, "helm", s["helm"]["chart"], s["helm"]["repo"].rstrip("/"), str(s["helm"]["version"]))
                     for s in doc["steps"] if "helm" in s}
        if rel.startswith("manifests/") or doc.get("kind") == "Application":
            pins |= {(rel, "docker", name, "", tag) for rel, name, tag in _images(rel, doc)
                     if (rel.rsplit("/", 1)[0], name) not in retagged}
    return pins, own


def _annotated(tree: Path) -> set[Pin]:
    """Each `# renovate:` comment's pin: on the next line (a URL's version segment, an image's tag), or for a
    comment heading a kustomization, its `images:` entry of that name."""
    pins: set[Pin] = set()
    for path in sorted(tree.rglob("*.yaml")):
        rel, lines = path.relative_to(tree).as_posix(), path.read_text().splitlines()
        for at, line in enumerate(lines):
            if not (match := ANNOTATION.match(line)):
                continue
            fields = dict(item.split("=", 1) for item in match.group(1).split())
            after = lines[at + 1] if at + 1 < len(lines) else ""
            if pinned := URL_VERSION.match(after) or IMAGE_LINE.match(after):
                version = pinned.groups()[-1]
            else:
                images = yaml.safe_load(path.read_text()).get("images") or []
                (version,) = [str(i["newTag"]) for i in images if i["name"] == fields["depName"]]
            pins.add((rel, fields["datasource"], fields["depName"], fields.get("registryUrl", "").rstrip("/"), version))
    return pins


def _as_pins(found: dict[str, list[dict[str, Any]]], usable: bool) -> set[Pin]:
    """Renovate's dependencies as pins: those it would update (usable) or those its config turns off."""
    off = {"ignored", "disabled"}
    return {(rel, d["datasource"], d["depName"], (d.get("registryUrls") or [""])[0].rstrip("/"),
             d.get("currentValue", "")) for rel, deps in found.items() for d in deps
            if (d.get("skipReason") not in off) == usable and d.get("datasource") != "kubernetes-api"}


def test_renovate_accepts_the_rendered_config(tree: Path) -> None:
    run = subprocess.run([_renovate("renovate-config-validator"), "--strict", "renovate.json"], cwd=tree,
                         capture_output=True, text=True, timeout=120, env={**os.environ, "LOG_LEVEL": "info"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Config validated successfully" in run.stdout + run.stderr


def test_every_pin_render_writes_is_a_dependency_renovate_updates(
        tree: Path, found: dict[str, list[dict[str, Any]]]) -> None:
    written, _ = _written(tree)
    kinds = {pin[1] for pin in written}
    assert len(written) > 120 and kinds == {"helm", "docker", "git-tags"}, kinds
    assert any(pin[0].startswith("bootstrap/") for pin in written)
    updated = _as_pins(found, usable=True)
    assert sorted(written - updated) == []
    assert sorted(updated - written - _annotated(tree)) == [], "Renovate reads something as a pin that is not one"


def test_every_renovate_comment_names_what_renovate_finds(
        tree: Path, found: dict[str, list[dict[str, Any]]]) -> None:
    annotated = _annotated(tree)
    assert {pin[1] for pin in annotated} >= {"docker", "github-releases", "github-tags"}
    assert sorted(annotated - _as_pins(found, usable=True)) == []


def test_the_gitops_repository_is_ignored_and_oci_sources_are_not_read_as_git(
        tree: Path, found: dict[str, list[dict[str, Any]]]) -> None:
    """The argocd manager reads `repoURL: oci://...` without `chart` as a Git repository; the config turns that
    reading off (a regex reads the chart), and the GitOps repository itself is no dependency."""
    written, own = _written(tree)
    off = _as_pins(found, usable=False)
    ignored = {rel for rel, _, name, _, _ in off if name == CONFIG.gitops.repo_url}
    assert ignored and ignored <= own  # the gate's files (root.yaml, release.yaml) are not Application files
    oci = {(rel, "git-tags", "oci://" + name, "", version) for rel, kind, name, _, version in written
           if (rel, kind, name) in {(r, "docker", n.removeprefix("oci://")) for r, _, n, _, _ in off}}
    assert oci and {pin for pin in off if pin[2] != CONFIG.gitops.repo_url} == oci


def _revision(path: Path) -> str:
    return str(yaml.safe_load(path.read_text())["spec"]["source"]["targetRevision"])


def test_updates_land_on_the_branch_only_dev_follows(tree: Path, log: list[dict[str, Any]]) -> None:
    (used,) = [rec["config"] for rec in log if rec["msg"] == "Repository config"]
    assert used["baseBranches"] == [CONFIG.gitops.branch]
    assert _revision(tree / "dev" / "gate" / "release.yaml") == CONFIG.gitops.branch
    for env in ("staging", "prod"):  # their promoted commit, or nothing at all before the first promotion
        release = tree / env / "gate" / "release.yaml"
        assert not release.exists() or _revision(release) != CONFIG.gitops.branch
